/**
 * The certificate checks of a sink's TLS material: ca_cert as Go's AppendCertsFromPEM reads it,
 * and the dates every embedded certificate is checked against.
 */
import type { ParsedCertificate } from '../pki/certificate.js';
import { goAppendCertsFromPem, viewCertificates, type CertificateView } from './material.js';
import { problem, type SinkProblem, type Where } from './problems.js';
import type { Endpoint } from './sink-params.js';
import type { EmbeddedCertificate, MaterialContext, TlsMaterialReport } from './validate-report.js';

const EXPIRY_WARNING_DAYS = 30;

export function embedded(cert: ParsedCertificate, param: EmbeddedCertificate['param'], where: Endpoint, encoding: 'pem' | 'der'): EmbeddedCertificate {
  const { subject, issuer, not_before, not_after, days_left, sha256_fingerprint, is_ca, public_key, ext_key_usage } = cert.info;
  return { subject, issuer, not_before, not_after, days_left, sha256_fingerprint, is_ca, public_key, ext_key_usage, param, where, encoding };
}

/** Why a CA that Go cannot read hurts, per reader (reference §5.2 and §7.7). */
function unreadableCaConsequence(reader: MaterialContext['reader']): { message: string; cockroach_error: string } {
  if (reader === 'kafka') {
    return {
      message: 'The Kafka sink hands ca_cert to Go\'s AppendCertsFromPEM and ignores the failure, so the changefeed is created but trusts no CA at all (not even the system roots): '
        + 'it fails later with "x509: certificate signed by unknown authority" and "client has run out of available brokers".',
      cockroach_error: 'client has run out of available brokers to talk to: ... x509: certificate signed by unknown authority',
    };
  }
  return { message: 'The webhook sink and the schema registry refuse a ca_cert they cannot read as PEM.', cockroach_error: 'failed to parse certificate data:...' };
}

export function expiryProblems(cert: ParsedCertificate, param: string, where: Where, now: Date): SinkProblem[] {
  const label = `${param} ${cert.info.subject}`;
  if (cert.notAfter <= now) {
    return [problem({
      code: 'certificate_expired', level: 'error', where, param,
      message: `${label} expired on ${cert.info.not_after}; the TLS handshake with the ${param === 'ca_cert' ? 'broker' : 'broker, which checks the client certificate,'} fails.`,
      fix: param === 'ca_cert' ? 'Get the current CA certificate of the broker or endpoint and encode that.' : 'Issue a new client certificate (and key) and encode those.',
      cockroach_error: 'x509: certificate has expired or is not yet valid',
    })];
  }
  if (cert.notBefore > now) {
    return [problem({
      code: 'certificate_not_yet_valid', level: 'error', where, param,
      message: `${label} is not valid before ${cert.info.not_before}: a clock is wrong or the certificate was issued with a future start date.`,
      fix: 'Check the clocks of the CockroachDB nodes and of the machine that issued the certificate; reissue it with a start date in the past.',
      cockroach_error: 'x509: certificate has expired or is not yet valid',
    })];
  }
  if (cert.info.days_left < EXPIRY_WARNING_DAYS) {
    return [problem({
      code: 'certificate_expiring', level: 'warning', where, param,
      message: `${label} expires in ${cert.info.days_left} days (${cert.info.not_after}); the changefeed stops when it does.`,
      fix: 'Plan the renewal now: issue the new certificate, build a new URI and ALTER CHANGEFEED ... SET sink (pause the job first).',
    })];
  }
  return [];
}

export function checkCa(bytes: Buffer, ctx: MaterialContext, report: TlsMaterialReport): void {
  const where = ctx.where;
  const file = ctx.files?.ca ?? 'ca.crt';
  const view: CertificateView = viewCertificates(bytes, 'ca_cert', ctx.now);
  const consequence = unreadableCaConsequence(ctx.reader);
  if (view.encoding === 'der') {
    report.problems.push(problem({
      code: 'der_instead_of_pem', level: 'error', where, param: 'ca_cert',
      message: `ca_cert holds a DER (binary) certificate, not PEM. ${consequence.message}`,
      fix: `Convert it to PEM, then base64 the PEM file: openssl x509 -inform DER -in ${file} -out ca.pem && base64 -w 0 ca.pem; or let \`crdb-tls changefeed-uri encode --ca ${file}\` convert and encode it.`,
      cockroach_error: consequence.cockroach_error,
    }));
    report.certificates.push(...view.certificates.map((c) => embedded(c, 'ca_cert', where, 'der')));
    return;
  }
  const usable = goAppendCertsFromPem(bytes);
  if (view.certificates.length === 0 || usable === 0) {
    const found = view.otherBlocks.length ? `PEM blocks of type ${view.otherBlocks.join(', ')}` : view.encoding === 'pem' ? 'no readable certificate' : 'neither PEM nor DER';
    report.problems.push(problem({
      code: 'ca_cert_not_pem', level: 'error', where, param: 'ca_cert',
      message: `ca_cert holds ${found}, not a PEM certificate${view.parseError ? ` (${view.parseError})` : ''}. ${consequence.message}`,
      fix: `Put the CA certificate of the broker or endpoint (-----BEGIN CERTIFICATE-----) in ca_cert: base64 -w 0 ${file}.`,
      cockroach_error: consequence.cockroach_error,
    }));
    return;
  }
  for (const cert of view.certificates) {
    report.caCertificates.push(cert);
    report.certificates.push(embedded(cert, 'ca_cert', where, 'pem'));
    report.problems.push(...expiryProblems(cert, 'ca_cert', where, ctx.now));
    if (!cert.info.is_ca && !cert.info.self_signed) {
      report.problems.push(problem({
        code: 'ca_cert_not_a_ca', level: 'warning', where, param: 'ca_cert',
        message: `ca_cert holds ${cert.info.subject}, which is not a CA certificate: it verifies only a server that presents exactly this certificate.`,
        fix: 'Use the certificate of the CA that signed the broker\'s (or endpoint\'s) certificate.',
      }));
    }
  }
}
