import tls from 'node:tls';
import { DiagnosisCode } from '../../diagnose/index.js';
import type { ParsedCertificate } from '../../pki/certificate.js';
import { verifyChain } from '../../pki/verify.js';
import type { TlsSession } from './handshake.js';
import type { LocalMaterial } from './local.js';
import { codeForText, type ProbeRun } from './run.js';

/** The OpenSSL verify codes Node reports in authorizationError, mapped like diagnose_error maps their text. */
const VERIFY_CODES: Record<string, DiagnosisCode> = {
  CERT_HAS_EXPIRED: 'server_cert_expired',
  CERT_NOT_YET_VALID: 'cert_not_yet_valid',
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted_server_ca',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted_server_ca',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted_server_ca',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted_server_ca',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted_server_ca',
  CERT_SIGNATURE_FAILURE: 'untrusted_server_ca',
  CERT_UNTRUSTED: 'untrusted_server_ca',
  CERT_REJECTED: 'untrusted_server_ca',
  INVALID_PURPOSE: 'cert_wrong_usage',
  INVALID_CA: 'cert_wrong_usage',
};

/** OpenSSL's texts for those codes (X509_verify_cert_error_string). */
const VERIFY_MESSAGES: Record<string, string> = {
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get issuer certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  CERT_SIGNATURE_FAILURE: 'certificate signature failure',
  INVALID_PURPOSE: 'unsupported certificate purpose',
  INVALID_CA: 'invalid CA certificate',
};

/**
 * The server's chain against the given CA (else Node's bundled store), its dates, and the host
 * name. After a completed handshake the TLS layer's verdict is used; after a failed one, a chain
 * read from the records is checked here against the CA file.
 */
export function verifyServer(run: ProbeRun, { secure, chain }: TlsSession, { trusted }: LocalMaterial): void {
  const { options, name, report, findings, progress, add } = run;
  progress('verifying the chain and the host name', 0.55);
  const leaf = chain[0];
  if (!leaf) return;
  const trust = trusted.length ? 'ca_file' : 'system_store';
  const caSource = trusted.length ? options.ca?.path ?? 'CA (pasted)' : null;
  if (secure) {
    const codeName = secure.authorizationError ? String(secure.authorizationError) : null;
    // Node names only some of OpenSSL's verify errors (X509_V_ERR_KEYUSAGE_NO_CERTSIGN comes out
    // as "UNSPECIFIED"): with a CA file, our verifier says which certificate and which rule.
    const ours = !secure.authorized && trusted.length ? verifyChain(leaf, chain.slice(1), trusted, { purpose: 'server_auth' }) : null;
    const message = ours && !ours.verified && ours.error ? ours.error : codeName ? VERIFY_MESSAGES[codeName] ?? codeName : null;
    report.verification = { trust, ca_source: caSource, verified: secure.authorized, error_code: codeName, error: message };
    if (!secure.authorized) {
      const code = (codeName ? VERIFY_CODES[codeName] : undefined) ?? codeForText(`${codeName ?? ''} ${message ?? ''}`, 'untrusted_server_ca', options.client);
      add(code, 'error', 'verify', `the server certificate does not verify against ${trusted.length ? `the CA in ${caSource}` : "Node's bundled public CAs (no CA given)"}: ${message}${codeName && codeName !== message ? ` (${codeName})` : ''}`);
    }
  } else if (trusted.length) {
    const result = verifyChain(leaf, chain.slice(1), trusted, { purpose: 'server_auth' });
    report.verification = { trust, ca_source: caSource, verified: result.verified, error_code: null, error: result.error ?? null };
    if (!result.verified) add(codeForText(result.error ?? '', 'untrusted_server_ca', options.client), 'error', 'verify', `the server certificate does not verify against the CA in ${caSource}: ${result.error}`);
  } else {
    report.verification = { trust, ca_source: null, verified: null, error_code: null, error: 'the handshake did not complete, so the chain was not verified against the system store' };
  }
  if (leaf.notAfter.getTime() < Date.now() && !findings.some((f) => f.code === 'server_cert_expired')) {
    add('server_cert_expired', 'warning', 'verify', `the server certificate expired on ${leaf.info.not_after}`);
  }
  if (leaf.notBefore.getTime() > Date.now() && !findings.some((f) => f.code === 'cert_not_yet_valid')) {
    add('cert_not_yet_valid', 'warning', 'verify', `the server certificate is valid only from ${leaf.info.not_before}`);
  }
  const mismatch = checkHostname(name, leaf);
  report.hostname = { name, matches: mismatch === null, error: mismatch };
  if (mismatch) add('hostname_mismatch', 'error', 'hostname', `the server certificate does not cover ${name}: ${mismatch}`);
}

/** tls.checkServerIdentity on our parsed certificate (the same rules node-postgres applies). */
function checkHostname(name: string, leaf: ParsedCertificate): string | null {
  const peer = { subject: { CN: leaf.info.common_name }, subjectaltname: leaf.x509.subjectAltName ?? undefined } as unknown as tls.PeerCertificate;
  const error = tls.checkServerIdentity(name, peer);
  return error ? error.message : null;
}
