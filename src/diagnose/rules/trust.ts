import { refineMissingFile } from './paths.js';
import { signal, type Signal, type Weights } from './types.js';

/** The client does not trust the server's CA, or cannot read the CA it was told to use. */

/** A PostgreSQL/CockroachDB SERVER log line: the alert or error is about the other side (toolchain §3). */
const serverLog = (line: string) => line.includes('could not accept ssl connection') || line.includes('client certificate verification failed');

/** "certificate verify failed" only says that verification failed; psql prints it for an unknown CA AND for an expired server certificate (toolchain §3). */
const VERIFY_FAILED: Weights = { untrusted_server_ca: 0.62, server_cert_expired: 0.35, cert_not_yet_valid: 0.22 };
const refineVerifyFailed = (line: string): Weights | undefined => (serverLog(line) ? { client_cert_untrusted: 0.6, client_cert_expired: 0.3 } : undefined);

export const TRUST_SIGNALS: Signal[] = [
  signal('go.unknown-authority', 'x509: certificate signed by unknown authority', { untrusted_server_ca: 0.92 }, 'ref §6.1 (Go crypto/x509 verify.go)'),
  signal('go.unknown-authority-bare', 'certificate signed by unknown authority', { untrusted_server_ca: 0.85 }, 'ref §6.1'),
  // The "possibly because of crypto/rsa: verification error ... candidate authority" hint: a CA with the right name but another key (CA re-created).
  signal('go.candidate-authority', 'while trying to verify candidate authority certificate', { untrusted_server_ca: 0.9 }, 'ref §6.1'),
  // Same name, other key: the client holds a CA named like the issuer (every cockroach cert CA is
  // O=Cockroach, CN=Cockroach CA) whose key did not sign it — OpenSSL X509_V_ERR_CERT_SIGNATURE_FAILURE, Java's signature check.
  signal('openssl.signature-failure', 'certificate signature failure', { untrusted_server_ca: 0.92 }, 'openssl/openssl crypto/x509/x509_txt.c X509_V_ERR_CERT_SIGNATURE_FAILURE'),
  signal('node.signature-failure-code', 'cert_signature_failure', { untrusted_server_ca: 0.92 }, 'Node err.code CERT_SIGNATURE_FAILURE'),
  signal('java.signature-check', 'signature check failed', { untrusted_server_ca: 0.9 }, 'openjdk sun/security/provider/certpath/BasicChecker.java'),
  signal('node.self-signed-in-chain-code', 'self_signed_cert_in_chain', { untrusted_server_ca: 0.93 }, 'ref §6.3; toolchain §3 (node-pg 8.23)'),
  signal('node.self-signed-in-chain', 'self-signed certificate in certificate chain', { untrusted_server_ca: 0.92 }, 'ref §6.3 (OpenSSL 3 spelling); §6.2 Python'),
  signal('node.self-signed-in-chain-old', 'self signed certificate in certificate chain', { untrusted_server_ca: 0.92 }, 'ref §6.3 (OpenSSL 1.1 spelling); §6.3 Prisma'),
  signal('node.depth-zero-code', 'depth_zero_self_signed_cert', { untrusted_server_ca: 0.9 }, 'ref §6.3'),
  signal('openssl.self-signed', 'self-signed certificate', { untrusted_server_ca: 0.8 }, 'ref §6.3 (DEPTH_ZERO_SELF_SIGNED_CERT message)'),
  signal('openssl.self-signed-old', 'self signed certificate', { untrusted_server_ca: 0.8 }, 'ref §6.3'),
  signal('node.leaf-signature-code', 'unable_to_verify_leaf_signature', { untrusted_server_ca: 0.9 }, 'ref §6.3'),
  signal('openssl.first-certificate', 'unable to verify the first certificate', { untrusted_server_ca: 0.9 }, 'diagnosis-codes.md; Node UNABLE_TO_VERIFY_LEAF_SIGNATURE message'),
  signal('node.issuer-locally-code', 'unable_to_get_issuer_cert_locally', { untrusted_server_ca: 0.9 }, 'ref §6.3'),
  signal('openssl.local-issuer', 'unable to get local issuer certificate', { untrusted_server_ca: 0.9 }, 'diagnosis-codes.md; toolchain §3 (PG 18 server DETAIL)', {
    refine: (line) => (serverLog(line) ? { client_cert_untrusted: 0.9 } : undefined),
  }),
  signal('openssl.issuer', 'unable to get issuer certificate', { untrusted_server_ca: 0.85 }, 'OpenSSL verify error 2'),
  signal('java.pkix', 'pkix path building failed', { untrusted_server_ca: 0.93 }, 'ref §6.4 (JetBrains/Exposed#1032)'),
  signal('java.certification-path', 'unable to find valid certification path to requested target', { untrusted_server_ca: 0.93 }, 'ref §6.4'),
  signal('java.cert-path-builder', 'suncertpathbuilderexception', { untrusted_server_ca: 0.9 }, 'ref §6.4'),
  signal('java.validator', 'sun.security.validator.validatorexception', { untrusted_server_ca: 0.55, server_cert_expired: 0.2 }, 'ref §6.4', { generic: true }),
  signal('verify.failed', 'certificate verify failed', VERIFY_FAILED, 'ref §6.2, §6.3 (Prisma); toolchain §3', { generic: true, refine: refineVerifyFailed }),
  signal('python.verify-failed', 'certificate_verify_failed', VERIFY_FAILED, 'ref §6.2 (Python ssl)', { generic: true }),
  // Prisma P1011 without its OpenSSL detail: some TLS failure, most often verification (ref §6.3).
  signal('prisma.tls-settings', "the tls settings didn't allow the connection to be established", { untrusted_server_ca: 0.4, hostname_mismatch: 0.15, tls_version_mismatch: 0.15 }, 'ref §6.3 (Prisma P1011)', { generic: true }),
  signal('go.failed-to-verify', 'tls: failed to verify certificate', { untrusted_server_ca: 0.5, server_cert_expired: 0.2, hostname_mismatch: 0.2 }, 'ref §3.1 (Go ≥ 1.20 wording)', { generic: true }),

  // ca_file_missing
  signal('libpq.root-cert-missing', 'root certificate file "', { ca_file_missing: 0.85 }, 'ref §6.2; toolchain §3 (psql 15)', {
    refine: (line) => (line.includes('does not exist') ? { ca_file_missing: 0.95 } : undefined),
  }),
  signal('libpq.root-cert-unreadable', 'could not read root certificate file', { ca_file_missing: 0.85 }, 'ref §6.2 (project-koku/koku#921)'),
  signal('libpq.provide-the-file', 'either provide the file', { ca_file_missing: 0.6 }, 'ref §6.2'),
  signal('pgx.read-ca', 'unable to read ca file', { ca_file_missing: 0.9 }, 'jackc/pgx pgconn/config.go configTLS'),
  signal('pgx.ca-pool', 'unable to add ca to cert pool', { ca_file_missing: 0.75 }, 'jackc/pgx pgconn/config.go configTLS (the file is not PEM)'),
  signal('libpq-go.parse-rootcert', "couldn't parse pem from sslrootcert", { ca_file_missing: 0.75 }, 'lib/pq ssl.go'),
  signal('jdbc.root-cert-open', 'could not open ssl root certificate file', { ca_file_missing: 0.9 }, 'pgJDBC LibPQFactory message'),
  signal('cockroach.no-certs-dir', 'no certificates found; does certs dir exist', { ca_file_missing: 0.85 }, 'ref §6.1'),
  signal('cockroach.cannot-load', 'cannot load certificates', { ca_file_missing: 0.6 }, 'ref §6.1'),
  signal('file.not-found', 'no such file or directory', { ca_file_missing: 0.45, client_cert_file_missing: 0.4 }, 'ref §6.1 ("Error: open test-cluster-ca.crt: no such file or directory")', {
    generic: true,
    refine: refineMissingFile,
  }),
  signal('node.enoent', 'enoent', { ca_file_missing: 0.4, client_cert_file_missing: 0.4 }, 'Node fs errors', { generic: true, boundary: true, refine: refineMissingFile }),
  signal('java.file-not-found', 'filenotfoundexception', { ca_file_missing: 0.4, client_cert_file_missing: 0.4 }, 'Java FileInputStream', { generic: true, refine: refineMissingFile }),
];
