/**
 * Checks a sink's TLS material and parameters the way CockroachDB will use them, before anyone
 * runs CREATE CHANGEFEED: encode runs them on what it is about to embed, decode on what a URI
 * holds. Every problem says what CockroachDB (or the broker) will do and how to fix it.
 */
import * as z from 'zod';
import { CertificateInfo, safeVerify, type ParsedCertificate } from '../pki/certificate.js';
import { keyMatches } from '../pki/keys.js';
import { verifyChain } from '../pki/verify.js';
import { decodeGoStdBase64 } from './go-base64.js';
import { parseGoBool } from './go-url.js';
import { goAppendCertsFromPem, goX509KeyPairError, viewCertificates, viewPrivateKey, type CertificateView, type KeyView } from './material.js';
import { problem, type SinkProblem, type Where } from './problems.js';
import { shownParamName } from './redact.js';
import {
  BOOL_PARAMS, KAFKA_NEWEST_PARAM_PREFIX, KAFKA_PARAMS, NEWEST_SASL_MECHANISMS, OAUTH_ONLY_PARAMS, SASL_MECHANISMS, SASL_ONLY_PARAMS, SASL_REQUIRED_PARAMS,
  isKnownParam, type Endpoint, type SinkKind,
} from './sink-params.js';

const EXPIRY_WARNING_DAYS = 30;

export const EmbeddedCertificate = CertificateInfo.pick({
  subject: true, issuer: true, not_before: true, not_after: true, days_left: true, sha256_fingerprint: true, is_ca: true, public_key: true, ext_key_usage: true,
}).extend({
  param: z.enum(['ca_cert', 'client_cert']),
  where: z.enum(['sink', 'schema_registry']),
  encoding: z.enum(['pem', 'der']).describe('How the certificate sits in the URI; CockroachDB reads PEM only'),
});
export type EmbeddedCertificate = z.infer<typeof EmbeddedCertificate>;

export const EmbeddedKey = z.object({
  param: z.literal('client_key'),
  where: z.enum(['sink', 'schema_registry']),
  encoding: z.enum(['pem', 'der', 'other']),
  format: z.enum(['PKCS#1', 'PKCS#8', 'SEC1']).nullable(),
  type: z.string().nullable().describe('rsa, ec, ed25519, ...; null when the key cannot be read'),
  bits: z.number().int().optional(),
  curve: z.string().optional(),
  encrypted: z.boolean(),
  matches_certificate: z.boolean().nullable().describe('Whether client_key belongs to client_cert; null when one of them cannot be read'),
});
export type EmbeddedKey = z.infer<typeof EmbeddedKey>;

/** Bytes exactly as CockroachDB gets them after base64 decoding. */
export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface MaterialContext {
  where: Endpoint;
  /** Who reads the material: the Kafka sink (ignores a bad ca_cert), the webhook sink or the registry (refuse it). */
  reader: SinkKind | 'schema_registry';
  now: Date;
  /** File names to put in fix commands (defaults: ca.crt, client.crt, client.key). */
  files?: { ca?: string; cert?: string; key?: string };
}

export interface TlsMaterialReport {
  certificates: EmbeddedCertificate[];
  key: EmbeddedKey | null;
  problems: SinkProblem[];
  /** The parsed CA and client certificates, for callers that go further (a handshake test). */
  caCertificates: ParsedCertificate[];
  clientCertificates: ParsedCertificate[];
}

function embedded(cert: ParsedCertificate, param: EmbeddedCertificate['param'], where: Endpoint, encoding: 'pem' | 'der'): EmbeddedCertificate {
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

function expiryProblems(cert: ParsedCertificate, param: string, where: Where, now: Date): SinkProblem[] {
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

function checkCa(bytes: Buffer, ctx: MaterialContext, report: TlsMaterialReport): void {
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

function keyFacts(view: KeyView): Pick<EmbeddedKey, 'type' | 'bits' | 'curve'> {
  const details = view.key?.asymmetricKeyDetails ?? {};
  return {
    type: view.key?.asymmetricKeyType ?? null,
    ...(details.modulusLength !== undefined ? { bits: details.modulusLength } : {}),
    ...(details.namedCurve !== undefined ? { curve: details.namedCurve } : {}),
  };
}

function checkClientPair(material: TlsMaterial, ctx: MaterialContext, report: TlsMaterialReport): void {
  const { where } = ctx;
  const certFile = ctx.files?.cert ?? 'client.crt';
  const keyFile = ctx.files?.key ?? 'client.key';
  const registry = ctx.reader === 'schema_registry';
  if (material.cert && !material.key) {
    report.problems.push(problem({
      code: 'client_cert_without_key', level: 'error', where, param: 'client_cert',
      message: 'client_cert is set without client_key; CockroachDB needs both to present a client certificate.',
      fix: 'Add the client key (client_key) that belongs to the certificate.',
      cockroach_error: registry ? 'client_cert and client_key must be provided together' : 'client_cert requires client_key to be set',
    }));
  }
  if (material.key && !material.cert) {
    report.problems.push(problem({
      code: 'client_key_without_cert', level: 'error', where, param: 'client_key',
      message: 'client_key is set without client_cert; CockroachDB needs both to present a client certificate.',
      fix: 'Add the client certificate (client_cert) that belongs to the key.',
      cockroach_error: registry ? 'client_cert and client_key must be provided together' : 'client_key requires client_cert to be set',
    }));
  }

  let leaf: ParsedCertificate | undefined;
  let bundle: ParsedCertificate[] = [];
  if (material.cert) {
    const view = viewCertificates(material.cert, 'client_cert', ctx.now);
    if (view.encoding === 'der') {
      report.certificates.push(...view.certificates.map((c) => embedded(c, 'client_cert', where, 'der')));
      report.problems.push(problem({
        code: 'der_instead_of_pem', level: 'error', where, param: 'client_cert',
        message: 'client_cert holds a DER (binary) certificate, not PEM; Go\'s tls.X509KeyPair reads PEM only.',
        fix: `Convert it: openssl x509 -inform DER -in ${certFile} -out client.pem && base64 -w 0 client.pem; or let \`crdb-tls changefeed-uri encode --cert ${certFile}\` do it.`,
        cockroach_error: 'invalid client certificate data provided: tls: failed to find any PEM data in certificate input',
      }));
    } else if (view.certificates.length === 0) {
      const switched = view.otherBlocks.some((t) => t.endsWith('PRIVATE KEY'));
      report.problems.push(problem({
        code: switched ? 'pem_inputs_switched' : 'client_cert_not_pem', level: 'error', where, param: 'client_cert',
        message: switched ? 'client_cert holds a private key, not a certificate: the certificate and the key were swapped.' : `client_cert holds ${view.encoding === 'pem' ? `no certificate (found ${view.otherBlocks.join(', ') || 'a malformed PEM block'})` : 'neither PEM nor DER'}.`,
        fix: switched ? 'Put base64 of the certificate file in client_cert and base64 of the key file in client_key.' : `Put base64 of the PEM client certificate in client_cert: base64 -w 0 ${certFile}.`,
        cockroach_error: `invalid client certificate data provided: ${goX509KeyPairError(material.cert, material.key ?? Buffer.alloc(0)) ?? 'tls: failed to find any PEM data in certificate input'}`,
      }));
    } else {
      bundle = view.certificates;
      leaf = bundle[0]!;
      report.clientCertificates.push(...bundle);
      report.certificates.push(...bundle.map((c) => embedded(c, 'client_cert', where, 'pem')));
      report.problems.push(...expiryProblems(leaf, 'client_cert', where, ctx.now));
      if (leaf.info.ext_key_usage.length > 0 && !leaf.info.ext_key_usage.includes('clientAuth')) {
        report.problems.push(problem({
          code: 'client_cert_missing_client_auth', level: 'warning', where, param: 'client_cert',
          message: `client_cert ${leaf.info.subject} has extended key usages ${leaf.info.ext_key_usage.join(', ')} but not clientAuth; brokers that check it refuse the certificate ("unsupported certificate purpose").`,
          fix: 'Issue the client certificate with the clientAuth extended key usage.',
        }));
      }
    }
  }

  let keyView: KeyView | undefined;
  if (material.key) {
    keyView = viewPrivateKey(material.key);
    report.key = {
      param: 'client_key', where, encoding: keyView.encoding, format: keyView.format ?? null, encrypted: keyView.encrypted, matches_certificate: null, ...keyFacts(keyView),
    };
    if (keyView.encrypted) {
      report.problems.push(problem({
        code: 'encrypted_key', level: 'error', where, param: 'client_key',
        message: `client_key is an encrypted private key (${keyView.encoding === 'der' ? 'DER EncryptedPrivateKeyInfo' : keyView.blockType === 'ENCRYPTED PRIVATE KEY' ? 'ENCRYPTED PRIVATE KEY' : 'Proc-Type: 4,ENCRYPTED'}); CockroachDB has no passphrase to decrypt it.`,
        fix: `Decrypt it (openssl asks for the passphrase): openssl pkey -in ${keyFile} -out client.decrypted.key (for RSA keys the docs' form also works: openssl rsa -in ${keyFile} -out client.decrypted.key -passin pass:PASSWORD), then encode client.decrypted.key and keep it at mode 0600.`,
        cockroach_error: 'invalid client certificate data provided: tls: failed to parse private key',
      }));
    } else if (keyView.encoding === 'der') {
      report.problems.push(problem({
        code: 'der_instead_of_pem', level: 'error', where, param: 'client_key',
        message: `client_key holds a DER (binary) ${keyView.format ?? ''} key, not PEM; Go's tls.X509KeyPair reads PEM only (the .pk8 file for Java is DER).`.replace('  ', ' '),
        fix: `Convert it: openssl pkey -inform DER -in ${keyFile} -out client.key.pem && base64 -w 0 client.key.pem; or let \`crdb-tls changefeed-uri encode --key ${keyFile}\` do it.`,
        cockroach_error: 'invalid client certificate data provided: tls: failed to find any PEM data in key input',
      }));
    } else if (keyView.error) {
      const certInstead = keyView.encoding === 'pem' && !keyView.blockType && material.key.includes('-----BEGIN CERTIFICATE-----');
      report.problems.push(problem({
        code: certInstead ? 'pem_inputs_switched' : 'key_unreadable', level: 'error', where, param: 'client_key',
        message: certInstead ? 'client_key holds a certificate, not a private key: the certificate and the key were swapped.' : `client_key cannot be read: ${keyView.error}.`,
        fix: certInstead ? 'Put base64 of the key file in client_key and base64 of the certificate in client_cert.' : `Put base64 of the unencrypted PEM key (PKCS#1, PKCS#8 or SEC1) in client_key: base64 -w 0 ${keyFile}.`,
        cockroach_error: `invalid client certificate data provided: ${material.cert ? goX509KeyPairError(material.cert, material.key) ?? 'tls: failed to parse private key' : 'tls: failed to find any PEM data in key input'}`,
      }));
    }
  }

  if (leaf && keyView?.key && keyView.encoding === 'pem' && report.key) {
    const matches = keyMatches(keyView.key, leaf.x509.publicKey);
    report.key.matches_certificate = matches;
    if (!matches) {
      report.problems.push(problem({
        code: 'key_mismatch', level: 'error', where, param: 'client_key',
        message: `client_key does not belong to client_cert ${leaf.info.subject} (their public keys differ).`,
        fix: `Use the key generated with this certificate, or issue a certificate for this key. Compare: openssl x509 -noout -pubkey -in ${certFile} | openssl sha256 and openssl pkey -pubout -in ${keyFile} | openssl sha256.`,
        cockroach_error: 'invalid client certificate data provided: tls: private key does not match public key',
      }));
    }
  }
  // Safety net: anything Go's X509KeyPair refuses that the checks above did not name.
  if (material.cert && material.key && !report.problems.some((p) => p.level === 'error' && (p.param === 'client_cert' || p.param === 'client_key'))) {
    const goError = goX509KeyPairError(material.cert, material.key);
    if (goError) {
      report.problems.push(problem({
        code: 'client_pair_refused', level: 'error', where, param: 'client_key',
        message: `Go's tls.X509KeyPair refuses this certificate and key: ${goError}.`,
        fix: 'Give the PEM client certificate and its unencrypted PEM key.',
        cockroach_error: `invalid client certificate data provided: ${goError}`,
      }));
    }
  }

  // The CA in ca_cert is for the server; the client certificate only has to chain to it when it
  // was issued by that same CA (a private CA for both sides, the common setup).
  if (leaf && report.caCertificates.length > 0) {
    const chain = verifyChain(leaf, bundle.slice(1), report.caCertificates, { purpose: 'client_auth', now: ctx.now });
    const namesCa = report.caCertificates.filter((ca) => ca.info.subject === leaf.info.issuer);
    const signedBy = namesCa.find((ca) => safeVerify(leaf.x509, ca.x509.publicKey));
    const expiryOnly = /expired|not yet valid/.test(chain.error ?? '');
    if (chain.verified || expiryOnly) {
      // Chains (or fails only on dates, reported above).
    } else if (signedBy) {
      report.problems.push(problem({
        code: 'client_cert_chain_invalid', level: 'error', where, param: 'client_cert',
        message: `client_cert was signed by the CA in ca_cert, but the chain is not valid: ${chain.error}. A broker trusting that CA refuses the client certificate.`,
        fix: 'Issue the client certificate from a proper CA certificate (basicConstraints CA:TRUE; a keyUsage, if it has one, must include keyCertSign) with the clientAuth usage (or no extendedKeyUsage), and include any intermediate in client_cert after the leaf.',
        cockroach_error: 'remote error: tls: bad certificate',
      }));
    } else if (namesCa.length > 0) {
      report.problems.push(problem({
        code: 'client_cert_ca_name_collision', level: 'warning', where, param: 'client_cert',
        message: `client_cert names ${leaf.info.issuer} as its issuer, the subject of the CA in ca_cert, but another key signed it. Either that CA was re-created (then a broker trusting the CA in ca_cert refuses this client certificate), `
          + 'or it is a second CA with the same name (cockroach cert create-ca and create-client-ca both name theirs "Cockroach CA"), which is fine if the broker trusts it for client certificates.',
        fix: `Check which CA signed it: openssl x509 -noout -ext authorityKeyIdentifier -in ${certFile} against openssl x509 -noout -ext subjectKeyIdentifier of each CA, and make sure the broker's client truststore holds that CA.`,
      }));
    } else {
      report.problems.push(problem({
        code: 'client_cert_other_ca', level: 'info', where, param: 'client_cert',
        message: `client_cert is issued by ${leaf.info.issuer}, not by the CA in ca_cert (${report.caCertificates.map((c) => c.info.subject).join('; ')}). That is fine when the broker trusts ${leaf.info.issuer} for client certificates.`,
        fix: 'Make sure the broker\'s client truststore (ssl.truststore with ssl.client.auth=required) holds the CA that issued the client certificate.',
      }));
    }
  }
}

/** Every problem of the CA, client certificate and key that CockroachDB (or the broker) would hit. */
export function checkTlsMaterial(material: TlsMaterial, ctx: MaterialContext): TlsMaterialReport {
  const report: TlsMaterialReport = { certificates: [], key: null, problems: [], caCertificates: [], clientCertificates: [] };
  if (material.ca) checkCa(material.ca, ctx, report);
  if (material.cert || material.key) checkClientPair(material, ctx, report);
  return report;
}

const GO_DURATION = /^[-+]?(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))*$|^0$/;

/**
 * The parameter rules CockroachDB enforces when it builds the sink (sink_kafka*.go, kafkaauth,
 * sink_webhook_v2.go, schema_registry.go), on values as Go decoded them.
 */
export function checkSinkParameters(reader: SinkKind | 'schema_registry', params: Map<string, string>, where: Endpoint): SinkProblem[] {
  const problems: SinkProblem[] = [];
  const has = (name: string) => (params.get(name) ?? '') !== '';
  const push = (fields: Omit<SinkProblem, 'diagnosis_code' | 'where'>) => problems.push(problem({ ...fields, where }));

  for (const name of BOOL_PARAMS) {
    const value = params.get(name);
    if (value && (reader === 'kafka' || name === 'insecure_tls_skip_verify') && parseGoBool(value) === undefined) {
      push({ code: 'not_a_bool', level: 'error', param: name, message: `${name}=${value} is not a boolean.`, fix: `Use ${name}=true or ${name}=false.`, cockroach_error: `param ${name} must be a bool` });
    }
  }
  const skipVerify = parseGoBool(params.get('insecure_tls_skip_verify') ?? '') === true;
  if (skipVerify && reader !== 'schema_registry') {
    push({
      code: 'tls_verification_disabled', level: 'warning', param: 'insecure_tls_skip_verify',
      message: 'insecure_tls_skip_verify=true: CockroachDB does not verify the server certificate, so anyone on the path can impersonate the sink.',
      fix: 'Remove insecure_tls_skip_verify and pass the CA that signed the server certificate in ca_cert.',
    });
  }

  if (reader === 'kafka') {
    const tls = parseGoBool(params.get('tls_enabled') ?? '') === true;
    for (const name of ['ca_cert', 'client_cert']) {
      if (has(name) && !tls) {
        push({ code: 'tls_not_enabled', level: 'error', param: name, message: `${name} is set but tls_enabled is not true.`, fix: 'Add tls_enabled=true to the URI.', cockroach_error: `${name} requires tls_enabled=true` });
      }
    }
    if (skipVerify && !tls) {
      push({ code: 'tls_not_enabled', level: 'info', param: 'insecure_tls_skip_verify', message: 'insecure_tls_skip_verify has no effect without tls_enabled=true.', fix: 'Add tls_enabled=true (and a ca_cert instead of skipping verification).' });
    }
    problems.push(...checkSasl(params, tls, where));
    if (has('schema_topic')) push({ code: 'unsupported_parameter', level: 'error', param: 'schema_topic', message: 'schema_topic is not supported by CockroachDB.', fix: 'Remove schema_topic.', cockroach_error: 'schema_topic is not yet supported' });
    const unknown = [...params.keys()].filter((name) => !isKnownParam(name, 'kafka')).map(shownParamName);
    if (unknown.length > 0) {
      push({
        code: 'unknown_parameter', level: 'error', param: unknown.join(', '),
        message: `The Kafka sink does not know ${unknown.map((n) => JSON.stringify(n)).join(', ')}; it refuses the URI.`,
        fix: `Remove or rename them; the Kafka sink reads ${KAFKA_PARAMS.join(', ')} (and ${KAFKA_NEWEST_PARAM_PREFIX}* on the newest versions).`,
        cockroach_error: `unknown kafka sink query parameters: [${unknown.join(', ')}]`,
      });
    }
  } else {
    const forwarded = [...params.keys()].filter((name) => !isKnownParam(name, reader));
    for (const realName of forwarded) {
      const name = shownParamName(realName);
      const kafkaOnly = reader === 'webhook' && (name === 'tls_enabled' || name.startsWith('sasl_') || name.startsWith('topic_'));
      push({
        code: kafkaOnly ? 'kafka_parameter_on_webhook' : 'forwarded_parameter', level: kafkaOnly ? 'warning' : 'info', param: name,
        message: kafkaOnly
          ? `${name} is a Kafka sink parameter; the webhook sink ignores it and sends it on to the endpoint in the query string.`
          : `${name} is not read by CockroachDB; it stays in the URL CockroachDB sends requests to${reader === 'schema_registry' ? ' (the registry)' : ''}.`,
        fix: kafkaOnly ? `Remove ${name}; a webhook-https:// sink is always TLS.` : 'Nothing to do if the endpoint expects it.',
      });
    }
    if (reader === 'schema_registry' && has('timeout') && !GO_DURATION.test(params.get('timeout')!)) {
      push({ code: 'invalid_timeout', level: 'error', param: 'timeout', message: `timeout=${params.get('timeout')} is not a Go duration.`, fix: 'Use a duration such as timeout=30s.', cockroach_error: `time: invalid duration "${params.get('timeout')}"` });
    }
  }
  return problems;
}

/** kafkaauth.go `pick` and the mechanisms' `validateParams`, in CockroachDB's order. */
function checkSasl(params: Map<string, string>, tls: boolean, where: Endpoint): SinkProblem[] {
  const problems: SinkProblem[] = [];
  const has = (name: string) => (params.get(name) ?? '') !== '';
  const push = (fields: Omit<SinkProblem, 'diagnosis_code' | 'where'>) => problems.push(problem({ ...fields, where }));
  const enabled = parseGoBool(params.get('sasl_enabled') ?? '') === true;
  if (!enabled) {
    if (has('sasl_handshake')) push({ code: 'sasl_not_enabled', level: 'error', param: 'sasl_handshake', message: 'sasl_handshake is set but sasl_enabled is not true.', fix: 'Add sasl_enabled=true, or remove sasl_handshake.', cockroach_error: 'sasl_enabled must be enabled to configure SASL handshake behavior' });
    else if (has('sasl_mechanism')) push({ code: 'sasl_not_enabled', level: 'error', param: 'sasl_mechanism', message: 'sasl_mechanism is set but sasl_enabled is not true.', fix: 'Add sasl_enabled=true, or remove sasl_mechanism.', cockroach_error: 'sasl_enabled must be enabled to configure SASL mechanism' });
    else {
      const given = SASL_ONLY_PARAMS.filter(has);
      if (given.length > 0) {
        push({
          code: 'sasl_not_enabled', level: 'error', param: given.join(', '),
          message: `${given.join(', ')} ${given.length > 1 ? 'are' : 'is'} set but sasl_enabled is not true, so CockroachDB refuses the URI.`,
          fix: 'Add sasl_enabled=true (and sasl_mechanism if it is not PLAIN).',
          cockroach_error: `sasl_enabled must be enabled if ${given[0]} is provided (older versions: "if a SASL user is provided")`,
        });
      }
    }
    return problems;
  }
  const mechanism = params.get('sasl_mechanism') || 'PLAIN';
  const known = (SASL_MECHANISMS as readonly string[]).includes(mechanism);
  if (!known && !(NEWEST_SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
    push({
      code: 'unknown_sasl_mechanism', level: 'error', param: 'sasl_mechanism',
      message: `sasl_mechanism=${mechanism} is not a mechanism CockroachDB supports (names are case-sensitive).`,
      fix: `Use one of ${SASL_MECHANISMS.join(', ')}.`,
      cockroach_error: `param sasl_mechanism must be one of ${[...SASL_MECHANISMS].sort().slice(0, -1).join(', ')}, or ${[...SASL_MECHANISMS].sort().at(-1)}`,
    });
    return problems;
  }
  if (!known) {
    push({ code: 'sasl_mechanism_newest_only', level: 'info', param: 'sasl_mechanism', message: `sasl_mechanism=${mechanism} exists only in the newest CockroachDB versions; its ${KAFKA_NEWEST_PARAM_PREFIX}* parameters are not checked here.`, fix: 'Check that your CockroachDB version supports it.' });
  }
  if (mechanism !== 'OAUTHBEARER') {
    for (const name of OAUTH_ONLY_PARAMS.filter(has)) {
      push({ code: 'oauth_parameter_without_oauth', level: 'error', param: name, message: `${name} is only read with sasl_mechanism=OAUTHBEARER (the mechanism here is ${mechanism}).`, fix: 'Set sasl_mechanism=OAUTHBEARER, or remove it.', cockroach_error: `${name} is only a valid parameter for sasl_mechanism=OAUTHBEARER` });
    }
  }
  for (const name of (SASL_REQUIRED_PARAMS[mechanism] ?? []).filter((p) => !has(p))) {
    push({
      code: 'sasl_parameter_missing', level: 'error', param: name,
      message: `SASL ${mechanism} needs ${name}, which is missing or empty.`,
      fix: `Add ${name}=... (percent-encoded).`,
      cockroach_error: `${name} must be provided when SASL is enabled (newest versions add: using mechanism ${mechanism})`,
    });
  }
  if (mechanism === 'OAUTHBEARER' && has('sasl_client_secret')) {
    const decoded = decodeGoStdBase64(params.get('sasl_client_secret')!);
    if (!decoded.ok) {
      push({
        code: 'client_secret_not_base64', level: 'error', param: 'sasl_client_secret',
        message: 'CockroachDB base64-decodes sasl_client_secret (standard alphabet, padded), and this value is not valid base64.',
        fix: 'Give base64 of the secret: printf %s "$CLIENT_SECRET" | base64 -w 0, then percent-encode it.',
        cockroach_error: `decoding client secret: param sasl_client_secret must be base 64 encoded: ${decoded.error}`,
      });
    }
  }
  if (!tls) {
    push({ code: 'sasl_without_tls', level: 'warning', param: 'sasl_enabled', message: 'SASL is enabled without tls_enabled=true: the credentials travel in clear text (the docs require TLS for SASL).', fix: 'Add tls_enabled=true.' });
  }
  return problems;
}
