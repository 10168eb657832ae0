import { signal, type Signal } from './types.js';

/** The server certificate does not name the host that was dialled; or names it only in the CN. */
export const HOSTNAME_SIGNALS: Signal[] = [
  signal('go.valid-for', 'x509: certificate is valid for', { hostname_mismatch: 0.93 }, 'ref §6.1 (cockroachdb/cockroach#95659)'),
  signal('go.no-ip-sans', "doesn't contain any ip sans", { hostname_mismatch: 0.93 }, 'ref §6.1'),
  signal('go.not-valid-for-any-names', 'x509: certificate is not valid for any names', { hostname_mismatch: 0.88, legacy_common_name: 0.35 }, 'ref §6.1'),
  signal('node.altname-code', 'err_tls_cert_altname_invalid', { hostname_mismatch: 0.93 }, 'ref §6.3; toolchain §3'),
  signal('node.altnames', "does not match certificate's altnames", { hostname_mismatch: 0.93 }, 'ref §6.3 (brianc/node-postgres#2558)'),
  signal('node.not-in-altnames', "is not in the cert's altnames", { hostname_mismatch: 0.93 }, 'ref §6.3'),
  signal('node.not-in-list', "is not in the cert's list", { hostname_mismatch: 0.9 }, 'ref §6.3 (IP form)'),
  signal('libpq.host-name', 'does not match host name', { hostname_mismatch: 0.93 }, 'ref §6.2; toolchain §3 (psql 15)'),
  // libpq names only the first name and counts the rest: a reissue must read them from the certificate.
  signal('libpq.other-names', 'other names) does not match host name', { hostname_mismatch: 0.93 }, 'postgres/postgres src/interfaces/libpq/fe-secure-common.c'),
  signal('python.hostname-mismatch', 'hostname mismatch, certificate is not valid for', { hostname_mismatch: 0.93 }, 'CPython Modules/_ssl.c verify message'),
  signal('python.ip-mismatch', 'ip address mismatch, certificate is not valid for', { hostname_mismatch: 0.93 }, 'CPython Modules/_ssl.c verify message'),
  signal('java.no-sans', 'no subject alternative names present', { hostname_mismatch: 0.8, legacy_common_name: 0.45 }, 'diagnosis-codes.md; Java HostnameChecker'),
  signal('java.no-dns-san', 'no subject alternative dns name matching', { hostname_mismatch: 0.92 }, 'Java HostnameChecker'),
  signal('java.no-ip-san', 'no subject alternative names matching ip address', { hostname_mismatch: 0.92 }, 'Java HostnameChecker'),
  signal('jdbc.hostname-verifier', 'could not be verified by hostnameverifier', { hostname_mismatch: 0.88 }, 'pgJDBC MakeSSL message'),
  signal('go.legacy-cn', 'certificate relies on legacy common name field', { legacy_common_name: 0.95 }, 'ref §6.1 (Go 1.15+)'),
];
