import { signal, type Signal, type Weights } from './types.js';

/** A certificate outside its validity period: server-side, client-side, or the clock. */

/** Go: "x509: certificate has expired or is not yet valid: current time A is after B" (expired) / "is before B" (not yet valid). */
function refineGoValidity(line: string): Weights | undefined {
  const current = line.indexOf('current time ');
  if (current < 0) return undefined;
  const rest = line.slice(current);
  if (rest.includes(' is after ')) return { server_cert_expired: 0.93, client_cert_expired: 0.2 };
  if (rest.includes(' is before ')) return { cert_not_yet_valid: 0.93 };
  return undefined;
}

const serverLog = (line: string) => line.includes('could not accept ssl connection');

export const EXPIRY_SIGNALS: Signal[] = [
  signal('go.expired-or-not-yet', 'x509: certificate has expired or is not yet valid', { server_cert_expired: 0.75, cert_not_yet_valid: 0.35, client_cert_expired: 0.15 }, 'ref §6.1', { refine: refineGoValidity }),
  signal('node.expired-code', 'cert_has_expired', { server_cert_expired: 0.92 }, 'ref §6.3; toolchain §3'),
  // Also a substring of Go's "has expired or is not yet valid": that one decides, this one steps aside.
  signal('openssl.expired', 'certificate has expired', { server_cert_expired: 0.9 }, 'ref §6.3; toolchain §3 (node-pg message); Python ssl', {
    refine: (line) => (line.includes('or is not yet valid') ? {} : undefined),
  }),
  signal('java.expired', 'certificateexpiredexception', { server_cert_expired: 0.9 }, 'Java java.security.cert'),
  signal('java.notafter', 'notafter:', { server_cert_expired: 0.5 }, 'diagnosis-codes.md ("NotAfter ... in the past")'),
  signal('node.not-yet-valid-code', 'cert_not_yet_valid', { cert_not_yet_valid: 0.92 }, 'ref §6.3'),
  signal('openssl.not-yet-valid', 'certificate is not yet valid', { cert_not_yet_valid: 0.92 }, 'diagnosis-codes.md; OpenSSL X509_V_ERR_CERT_NOT_YET_VALID'),
  signal('java.not-yet-valid', 'certificatenotyetvalidexception', { cert_not_yet_valid: 0.9 }, 'Java java.security.cert'),
  signal('java.notbefore', 'notbefore:', { cert_not_yet_valid: 0.45 }, 'Java CertificateNotYetValidException message'),
  // The server (or a proxy) sent the certificate_expired alert about OUR certificate. In a PostgreSQL
  // server log the same alert came from the client about the SERVER's certificate (toolchain §3).
  signal('alert.cert-expired', 'sslv3 alert certificate expired', { client_cert_expired: 0.93 }, 'toolchain §3 (psql 15, node-pg 8.23)', {
    refine: (line) => (serverLog(line) ? { server_cert_expired: 0.85 } : undefined),
  }),
  signal('node.alert-expired-code', 'err_ssl_sslv3_alert_certificate_expired', { client_cert_expired: 0.93 }, 'toolchain §3 (node-pg 8.23)'),
  // In a Go server's "http: TLS handshake error from …" line the alert came from the client: the SERVER's certificate expired.
  signal('go.alert-expired', 'tls: expired certificate', { client_cert_expired: 0.9 }, 'ref §6.1, §3.1 (Go crypto/tls alert names)', {
    refine: (line) => (line.includes('tls handshake error from') ? { server_cert_expired: 0.9 } : undefined),
  }),
];
