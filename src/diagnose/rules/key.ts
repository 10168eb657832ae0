import { signal, type Signal } from './types.js';

/** The private key: its file mode, whether it matches the certificate, and its format. */
export const KEY_SIGNALS: Signal[] = [
  signal('libpq.key-group-world', 'has group or world access', { client_key_permissions: 0.95 }, 'ref §6.2 (libpq), §1.5 (lib/pq); toolchain §3'),
  signal('libpq.key-mode', 'file must have permissions u=rw (0600) or less', { client_key_permissions: 0.95 }, 'ref §6.2'),
  signal('libpq-go.key-mode', 'permissions should be u=rw (0600) or less', { client_key_permissions: 0.93 }, 'ref §1.5 (lib/pq)'),
  // cockroach's loader: "key file %s has permissions %s, exceeds %s" (ref §1.5).
  signal('cockroach.key-exceeds', 'has permissions', { client_key_permissions: 0.3 }, 'ref §1.5 (pkg/security/permission_check.go)', {
    boundary: true,
    refine: (line) => (line.includes('exceeds') && line.includes('key file') ? { client_key_permissions: 0.93 } : {}),
  }),

  signal('openssl.key-values-mismatch', 'key values mismatch', { client_key_mismatch: 0.93 }, 'diagnosis-codes.md (OpenSSL X509_check_private_key)'),
  signal('go.key-does-not-match', 'private key does not match public key', { client_key_mismatch: 0.93 }, 'ref §5.2 (Go tls.X509KeyPair)'),
  signal('openssl.check-private-key', 'x509_check_private_key', { client_key_mismatch: 0.8 }, 'OpenSSL function name in error stacks'),

  signal('jdbc.read-key', 'could not read ssl key file', { client_key_format: 0.93 }, 'ref §6.4 (cockroachdb/cockroach#29463)'),
  signal('jdbc.decrypt-key', 'could not decrypt ssl key file', { client_key_format: 0.93 }, 'diagnosis-codes.md (pgJDBC)'),
  signal('java.der-extra-data', 'extra data given to dervalue constructor', { client_key_format: 0.9 }, 'ref §6.4 (dbeaver/cloudbeaver#726)'),
  signal('java.pbes2-provider', 'cannot find any provider supporting', { client_key_format: 0.85 }, 'ref §6.4 (pgjdbc/pgjdbc#1585)'),
  signal('java.invalid-key-spec', 'invalidkeyspecexception', { client_key_format: 0.8 }, 'Java PKCS8EncodedKeySpec on a non-PKCS#8 key'),
  signal('dbeaver.load-key', 'could not load the private key', { client_key_format: 0.85 }, 'ref §6.4 (dbeaver/dbeaver#41201)'),
  signal('dbeaver.base64-2d', 'illegal base64 character 2d', { client_key_format: 0.85 }, 'ref §6.4 (dbeaver/dbeaver#41201: "-" of a PEM header)'),
  // pgJDBC could not use the key, sent no certificate, and the server fell back to password (ref §6.4).
  signal('jdbc.password-fallback', 'the server requested password-based authentication, but no password was provided', { client_key_format: 0.7, client_cert_required: 0.45, password_auth_failed: 0.25 }, 'ref §6.4 (dbeaver/dbeaver#4067, cockroachdb/cockroach#24487)'),
  signal('openssl.no-start-line', 'no start line', { client_key_format: 0.8 }, 'diagnosis-codes.md (OpenSSL PEM_read)'),
  signal('openssl.bad-decrypt', 'bad decrypt', { client_key_format: 0.8 }, 'diagnosis-codes.md (OpenSSL, encrypted key)'),
  signal('libpq.load-key', 'could not load private key file', { client_key_format: 0.85 }, 'ref §6.2 (libpq)'),
  // OpenSSL 3 cannot decode the key (e.g. a DER .pk8 given where PEM is read): Node's setKey.
  signal('openssl3.decoder-unsupported', 'decoder routines::unsupported', { client_key_format: 0.75 }, 'Node tls createSecureContext (test/corpus/clients key_wrong_format)'),
  // Python ssl.load_cert_chain: the certificate or key file is not readable PEM, or the key is encrypted.
  signal('python.pem-lib', '[ssl] pem lib', { client_key_format: 0.75, client_cert_file_missing: 0.2 }, 'CPython _ssl.c load_cert_chain (test/corpus/clients key_wrong_format, key_encrypted)'),
  // Python's ssl raises FileNotFoundError WITHOUT the file name; the traceback's source line says
  // which call failed: load_cert_chain (client certificate / key) or load_verify_locations (CA).
  signal('python.load-cert-chain', 'load_cert_chain(', { client_cert_file_missing: 0.3 }, 'MagicStack/asyncpg asyncpg/connect_utils.py (ssl.load_cert_chain of sslcert/sslkey)'),
  signal('python.load-verify-locations', 'load_verify_locations(', { ca_file_missing: 0.35 }, 'MagicStack/asyncpg asyncpg/connect_utils.py (ssl.load_verify_locations of sslrootcert)'),
  signal('go.no-pem-key', 'tls: failed to find any pem data in key input', { client_key_format: 0.92 }, 'ref §5.2 (Go tls.X509KeyPair)'),
  signal('go.no-pem-cert', 'tls: failed to find any pem data in certificate input', { client_key_format: 0.75 }, 'ref §5.2'),
  signal('go.pem-switched', 'pem inputs may have been switched', { client_key_format: 0.92 }, 'ref §5.2'),
  signal('go.cert-instead-of-key', 'tls: found a certificate rather than a key', { client_key_format: 0.92 }, 'ref §5.2'),
  signal('go.parse-key', 'tls: failed to parse private key', { client_key_format: 0.9 }, 'ref §5.2 (encrypted PKCS#8 / Proc-Type keys land here)'),
  signal('pgx.decrypt-key', 'unable to decrypt key', { client_key_format: 0.85 }, 'jackc/pgx pgconn/config.go'),
  signal('pgx.sslpassword', 'unable to find sslpassword', { client_key_format: 0.85 }, 'jackc/pgx pgconn/config.go'),
  signal('pgx.load-cert', 'unable to load cert:', { client_key_format: 0.5, client_key_mismatch: 0.3 }, 'jackc/pgx pgconn/config.go (wraps tls.X509KeyPair)', { generic: true }),
  // A server log line: the server could not verify the client's CertificateVerify signature with
  // the public key of the certificate it was sent (RSA-PSS decoding fails at its final 0xbc octet:
  // RSA_R_LAST_OCTET_INVALID, openssl/openssl crypto/rsa/rsa_pss.c) — the key that signed is not
  // the certificate's (test/corpus/clients pgjdbc key_mismatch server_log).
  signal('openssl.last-octet-invalid', 'last octet invalid', { client_key_mismatch: 0.8 }, 'openssl/openssl crypto/rsa/rsa_pss.c RSA_R_LAST_OCTET_INVALID'),
];
