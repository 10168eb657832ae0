import { ToolError } from '../core/errors.js';
import { parseCertificates, type CertificateInfo, type ParsedCertificate } from '../pki/certificate.js';
import { pemBlocks, toPem } from '../pki/pem.js';
import { signingProblem } from '../pki/verify.js';

const CERTIFICATE_BLOCKS = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);
const MAX_BUNDLE_BYTES = 1_048_576;

export interface CaBundle {
  certificates: ParsedCertificate[];
  /**
   * The bundle re-encoded from the parsed certificates, one PEM block each with a blank line in
   * between ("PEM format requires a blank line in between certificates", client-certs-advanced.md
   * via reference §4.2): what is uploaded, and nothing else from the input (no comments, no keys).
   */
  pem: string;
  warnings: string[];
}

export interface CaBundleRules {
  /** An expired CA certificate: refused for an upload, a warning for a download. */
  expired: 'refuse' | 'warn';
  now?: Date;
}

/** "CN=Acme Client CA, O=Acme (SHA-256 AB:CD:…, expires 2030-01-01T00:00:00.000Z)": how a person tells two CAs apart. */
export function describeCa(info: CertificateInfo): string {
  return `${info.subject || '(empty subject)'} (SHA-256 ${info.sha256_fingerprint}, expires ${info.not_after})`;
}

const bundlePem = (certificates: ParsedCertificate[]) => certificates.map((c) => toPem('CERTIFICATE', c.der)).join('\n');

/**
 * Reads a CA certificate or a bundle of them (PEM, or DER) and checks what the Cloud and libpq
 * need: every block a certificate (a private key is refused and never echoed), every certificate
 * a CA (basicConstraints CA:TRUE), none twice, and none expired (or only warned about).
 */
export function validateCaBundle(input: string | Buffer, source: string, rules: CaBundleRules): CaBundle {
  const now = rules.now ?? new Date();
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  if (bytes.length > MAX_BUNDLE_BYTES) throw new ToolError('input_too_large', `${source} is larger than 1 MB`, 'A CA bundle is a few kilobytes; give the CA certificates only.');
  const text = bytes.toString('utf8');
  if (text.includes('-----BEGIN')) {
    const blocks = pemBlocks(text);
    if (blocks.some((b) => b.type.includes('PRIVATE KEY'))) {
      throw new ToolError('invalid_input', `${source} holds a private key; nothing was sent`, 'Give only the public CA certificate(s) (ca.crt or ca-client.crt), never a .key file. If the key was shared by mistake, treat it as exposed.');
    }
    const other = [...new Set(blocks.filter((b) => !CERTIFICATE_BLOCKS.has(b.type)).map((b) => b.type))];
    if (other.length > 0) throw new ToolError('invalid_certificate', `${source} holds ${other.join(', ')} blocks besides certificates`, 'Give PEM CA certificates only (-----BEGIN CERTIFICATE----- blocks).');
  }
  const certificates = parseCertificates(bytes, source, now);
  const notCa = certificates.filter((c) => !c.info.is_ca);
  if (notCa.length > 0) {
    throw new ToolError(
      'invalid_certificate',
      `${source} holds ${notCa.length === 1 ? 'a certificate that is' : `${notCa.length} certificates that are`} not a CA (no basicConstraints CA:TRUE): ${notCa.map((c) => describeCa(c.info)).join('; ')}`,
      'Give the CA certificate that signed the client certificates (ca-client.crt or ca.crt), not a client or node certificate.',
    );
  }
  // CA:TRUE but a keyUsage without keyCertSign: nothing it signed verifies (RFC 5280 §4.2.1.3).
  const cannotSign = certificates.flatMap((c) => {
    const problem = signingProblem(c);
    return problem ? [`${describeCa(c.info)}: ${problem}`] : [];
  });
  if (cannotSign.length > 0) {
    throw new ToolError(
      'invalid_certificate',
      `${source} holds ${cannotSign.length === 1 ? 'a CA certificate that' : `${cannotSign.length} CA certificates that`} cannot sign certificates: ${cannotSign.join('; ')}`,
      'Reissue the CA with keyUsage keyCertSign (or without a keyUsage extension): openssl x509 -noout -ext keyUsage,basicConstraints -in FILE shows what it has.',
    );
  }
  const seen = new Map<string, ParsedCertificate>();
  for (const c of certificates) {
    if (seen.has(c.info.sha256_fingerprint)) throw new ToolError('invalid_certificate', `${source} holds the same CA certificate twice: ${describeCa(c.info)}`, 'Remove the duplicate copy from the bundle.');
    seen.set(c.info.sha256_fingerprint, c);
  }
  const warnings: string[] = [];
  const expired = certificates.filter((c) => c.notAfter <= now);
  if (expired.length > 0) {
    const list = expired.map((c) => describeCa(c.info)).join('; ');
    if (rules.expired === 'refuse') throw new ToolError('invalid_certificate', `${source} holds an expired CA certificate: ${list}`, 'Drop the expired CA from the bundle; certificates it signed no longer verify anyway.');
    warnings.push(`expired CA certificate: ${list}`);
  }
  for (const c of certificates.filter((c) => c.notBefore > now)) warnings.push(`CA certificate not valid yet (check the clock): ${describeCa(c.info)}`);
  return { certificates, pem: bundlePem(certificates), warnings };
}

export const fingerprintsOf = (certificates: Array<{ info: CertificateInfo } | CertificateInfo>) =>
  new Set(certificates.map((c) => ('info' in c ? c.info : c).sha256_fingerprint));
