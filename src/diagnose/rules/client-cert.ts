import { signal, type SameText, type Signal } from './types.js';

/** The server refuses, does not get, or cannot map the client certificate; or a usage is wrong. */
const serverLog = (line: string) => line.includes('could not accept ssl connection');
/**
 * A Go server's log line about a failed handshake — net/http's "http: TLS handshake error from
 * ADDR: …" (golang/go src/net/http/server.go), which is what a CockroachDB node logs for its DB
 * Console / HTTP port: a "remote error" there is the alert the CLIENT sent about the SERVER's certificate.
 */
const goServerLog = (line: string) => line.includes('tls handshake error from');

/** A libpq or lib/pq line: "connection to server at … failed:", "connection failed:", "pq: …". */
const libpqLike = (line: string) => ['connection to server at', 'connection failed: ', 'pq: '].some((m) => line.includes(m));

const NO_CERT_SENT: SameText = {
  codes: ['client_cert_required', 'client_cert_file_missing'],
  source: 'postgres/postgres src/backend/libpq/auth.c (the server); libpq src/interfaces/libpq/fe-secure-openssl.c initialize_SSL and lib/pq ssl.go sslClientCertificates (no file, no certificate)',
  tellApart: 'libpq and lib/pq send no certificate when the file named by sslcert does not exist, so the server answers as if none was configured: check that the sslcert file of the connection settings exists (ls -l on that path); with no sslcert set, the client was given no certificate at all',
};

/** TLS 1.3: the client is done before the server has checked its certificate (RFC 8446 §4.4). */
const CLIENT_CERT_REFUSED_LATE: SameText = {
  codes: ['client_cert_untrusted', 'client_cert_expired', 'client_key_mismatch'],
  source: 'openjdk/jdk src/java.base/share/classes/sun/security/ssl/Finished.java (T13FinishedProducer); RFC 8446 section 4.4',
  tellApart: 'the server refused the client certificate flight and its alert was lost: its log line for the attempt names the reason (PostgreSQL: "could not accept SSL connection: certificate verify failed" for the issuer or the dates), or check the certificate: openssl verify -CAfile ca.crt client.crt says "certificate has expired" or "unable to get local issuer certificate", and openssl x509 -noout -pubkey -in client.crt must print the same key as openssl pkey -pubout -in client.key',
};

export const CLIENT_CERT_SIGNALS: Signal[] = [
  // client_cert_untrusted: the server's alert. In a PostgreSQL server log the same alert text came
  // FROM the client, which did not trust the server (toolchain §3: unknown CA → server log "tlsv1 alert unknown ca").
  signal('alert.unknown-ca', 'tlsv1 alert unknown ca', { client_cert_untrusted: 0.9 }, 'ref §6.2, §3.1; toolchain §3', {
    refine: (line) => (serverLog(line) ? { untrusted_server_ca: 0.85 } : undefined),
  }),
  signal('node.alert-unknown-ca-code', 'err_ssl_tlsv1_alert_unknown_ca', { client_cert_untrusted: 0.93 }, 'toolchain §3 (node-pg 8.23)'),
  signal('go.alert-unknown-ca', 'tls: unknown certificate authority', { client_cert_untrusted: 0.9 }, 'ref §3.1, §6.1', {
    refine: (line) => (goServerLog(line) ? { untrusted_server_ca: 0.88 } : undefined),
  }),
  signal('alert.unknown-ca-any', 'alert unknown ca', { client_cert_untrusted: 0.85 }, 'diagnosis-codes.md', {
    refine: (line) => (serverLog(line) ? { untrusted_server_ca: 0.85 } : undefined),
  }),
  signal('go.alert-bad-certificate', 'tls: bad certificate', { client_cert_untrusted: 0.7, cert_wrong_usage: 0.3, client_cert_expired: 0.15 }, 'ref §6.1, §3.1', {
    refine: (line) => (goServerLog(line) ? { untrusted_server_ca: 0.6, hostname_mismatch: 0.45, server_cert_expired: 0.4, cert_not_yet_valid: 0.35 } : undefined),
  }),
  // In a PostgreSQL server log ("could not accept SSL connection: …", be-secure-openssl.c) the alert
  // came FROM the client, which refused the SERVER's certificate: OpenSSL clients send
  // bad_certificate for a certificate not yet valid (ssl_x509err2alert in openssl/openssl
  // ssl/statem/statem_lib.c), Go's crypto/tls sends bad_certificate for every verification
  // failure (handshake_client.go), JSSE sends certificate_unknown (test/corpus/clients server_log).
  // Next to an OpenSSL client's "certificate verify failed" (libpq and its wrappers) the alert it
  // sent tells the cause: unknown_ca for an unknown issuer, certificate_expired for an expired
  // certificate, bad_certificate for one not yet valid (ssl_x509err2alert, statem_lib.c).
  signal('alert.bad-certificate', 'alert bad certificate', { client_cert_untrusted: 0.7, cert_wrong_usage: 0.3 }, 'diagnosis-codes.md ("sslv3 alert bad certificate"); openssl/openssl ssl/statem/statem_lib.c', {
    together: { with: 'verify.failed', weights: { cert_not_yet_valid: 0.85, untrusted_server_ca: 0.3 } },
    refine: (line) => (serverLog(line) ? { untrusted_server_ca: 0.6, cert_not_yet_valid: 0.5, server_cert_expired: 0.45, hostname_mismatch: 0.4 } : undefined),
  }),
  signal('alert.certificate-unknown', 'certificate unknown', { client_cert_untrusted: 0.55 }, 'diagnosis-codes.md', {
    boundary: true,
    refine: (line) => (serverLog(line) ? { untrusted_server_ca: 0.6, server_cert_expired: 0.45, cert_not_yet_valid: 0.4, hostname_mismatch: 0.4 } : undefined),
  }),
  // A TLS 1.3 client sends Certificate, CertificateVerify and Finished in ONE flight after the
  // server's Finished (RFC 8446 §4.4); JSSE flushes it in Finished$T13FinishedProducer
  // (openjdk/jdk src/java.base/share/classes/sun/security/ssl/Finished.java). A broken pipe in
  // that frame means the server closed the connection on reading the client's certificate
  // flight: it refused the certificate (issuer, dates) or its signature; its alert was lost.
  signal('jdbc.t13-finished-broken', 'finished$t13finishedproducer', { client_cert_untrusted: 0.8, client_cert_expired: 0.6, client_key_mismatch: 0.45 }, 'openjdk/jdk sun/security/ssl/Finished.java; RFC 8446 §4.4 (test/corpus/clients pgjdbc client_cert_other_ca)', {
    sameText: CLIENT_CERT_REFUSED_LATE,
  }),
  // postgres.js writes its startup message as soon as Node reports the TLS connection up
  // (porsager/postgres src/connection.js secure(), nextWrite); under TLS 1.3 a server that then
  // refuses the client certificate closes, and the write fails with a reset: the same "write
  // ECONNRESET" for an untrusted and an expired certificate (test/corpus/clients postgres-js).
  signal('postgresjs.write-reset', 'write econnreset', {}, 'porsager/postgres src/connection.js; nodejs/node lib/internal/errors.js (syscall + code); RFC 8446 §4.4', {
    together: { with: 'postgresjs.stack', weights: { client_cert_untrusted: 0.4, client_cert_expired: 0.35 }, sameText: { ...CLIENT_CERT_REFUSED_LATE, codes: ['connection_dropped', 'client_cert_untrusted', 'client_cert_expired'], source: 'porsager/postgres src/connection.js (nextWrite); nodejs/node lib/internal/errors.js ("write ECONNRESET"); RFC 8446 section 4.4', tellApart: `a reset on postgres.js's first write is how a dropped connection looks, and also how a TLS 1.3 server's refusal of the client certificate looks once its alert is lost: ${CLIENT_CERT_REFUSED_LATE.tellApart}` } },
  }),
  signal('pg.client-verify-failed', 'client certificate verification failed', { client_cert_untrusted: 0.85 }, 'toolchain §3 (PostgreSQL 18 server DETAIL)'),

  // client_cert_required
  // libpq and lib/pq send no certificate when the sslcert file is missing: the server's text is the same (test/corpus/clients missing_client_cert).
  // libpq's initialize_SSL (postgres/postgres src/interfaces/libpq/fe-secure-openssl.c) treats a
  // sslcert that stat() cannot find (ENOENT/ENOTDIR) as "no certificate" and goes on without one.
  // So when the pasted line itself shows sslcert=… (Perl DBI and PHP print the conninfo they were
  // given), a certificate WAS configured and did not reach the server: the file is missing.
  // lib/pq does the same: sslClientCertificates (lib/pq ssl.go) returns no certificate when
  // os.Stat says the sslcert file does not exist. Without sslcert=… in the line the text is the
  // same for both causes (test/corpus/clients psql, psycopg2/3, PHP, Ruby, lib/pq missing_client_cert).
  signal('pg.requires-client-cert', 'connection requires a valid client certificate', { client_cert_required: 0.93 }, 'postgres/postgres src/backend/libpq/auth.c; libpq src/interfaces/libpq/fe-secure-openssl.c initialize_SSL; lib/pq ssl.go sslClientCertificates', {
    refine: (line) => {
      if (libpqLike(line) && line.includes('sslcert=')) return { client_cert_file_missing: 0.9, client_cert_required: 0.6 };
      return libpqLike(line) ? { client_cert_required: 0.93, client_cert_file_missing: 0.25 } : undefined;
    },
    sameText: (line) => (libpqLike(line) && !line.includes('sslcert=') ? NO_CERT_SENT : undefined),
  }),
  signal('cockroach.no-peer-certs', 'no tls peer certificates, but required for auth', { client_cert_required: 0.95 }, 'ref §3.3 (pkg/sql/pgwire auth_methods.go)'),
  signal('cockroach.no-client-certs', 'no client certificates in request', { client_cert_required: 0.85 }, 'ref §3.3 (pkg/security/auth.go)'),
  signal('go.client-no-cert', "client didn't provide a certificate", { client_cert_required: 0.9 }, 'diagnosis-codes.md (Go crypto/tls server)'),
  signal('alert.cert-required-13', 'tlsv13 alert certificate required', { client_cert_required: 0.92 }, 'diagnosis-codes.md (TLS 1.3 certificate_required alert)'),
  signal('alert.cert-required', 'certificate required', { client_cert_required: 0.75 }, 'diagnosis-codes.md', { boundary: true }),
  // With CockroachDB's default cert-password rule a missing client certificate falls back to a
  // password the client does not have (ref §3.2).
  signal('libpq.no-password', 'fe_sendauth: no password supplied', { client_cert_required: 0.55, password_auth_failed: 0.35 }, 'ref §3.2 (cert-password fallback)'),

  // client_cert_user_mismatch
  signal('cockroach.cert-auth-failed', 'certificate authentication failed for user', { client_cert_user_mismatch: 0.93 }, 'ref §3.3 (pkg/security/auth.go); toolchain §3'),
  signal('cockroach.cert-is-for', 'but certificate is for', { client_cert_user_mismatch: 0.9 }, 'ref §3.3 (older versions)'),
  signal('cockroach.principals', 'client certificate has principals', { client_cert_user_mismatch: 0.85 }, 'ref §1.5 (older loader)'),
  signal('cockroach.tenant-cert-as-user', 'using tenant client certificate as user certificate is not allowed', { client_cert_user_mismatch: 0.85 }, 'ref §3.3'),
  signal('cockroach.subject-required', 'subject_required cluster setting mandates', { client_cert_user_mismatch: 0.85 }, 'ref §3.3'),
  signal('cockroach.subject-dn', 'could not parse certificate subject dn', { client_cert_user_mismatch: 0.6 }, 'ref §3.3'),
  signal('pg.authenticated-user-name', 'and authenticated user name (', { client_cert_user_mismatch: 0.88 }, 'toolchain §3 (PostgreSQL server log)'),

  // cert_wrong_usage
  signal('go.incompatible-usage', 'certificate specifies an incompatible key usage', { cert_wrong_usage: 0.93 }, 'ref §3.1, §6.1'),
  signal('openssl.unsupported-purpose', 'unsupported certificate purpose', { cert_wrong_usage: 0.93 }, 'diagnosis-codes.md (OpenSSL X509_V_ERR_INVALID_PURPOSE)'),
  signal('java.eku', 'extended key usage does not permit use for tls', { cert_wrong_usage: 0.9 }, 'Java EndEntityChecker'),
  signal('go.not-authorized-to-sign', 'not authorized to sign other certificates', { cert_wrong_usage: 0.8 }, 'Go crypto/x509 (CA without the CA flag / keyCertSign)'),
  signal('openssl.invalid-ca', 'invalid ca certificate', { cert_wrong_usage: 0.6 }, 'OpenSSL X509_V_ERR_INVALID_CA'),

  // client_cert_file_missing
  signal('libpq.open-cert', 'could not open certificate file', { client_cert_file_missing: 0.9 }, 'diagnosis-codes.md (libpq fe-secure-openssl.c)'),
  signal('libpq.no-key-file', 'certificate present, but not private key file', { client_cert_file_missing: 0.95 }, 'diagnosis-codes.md (libpq fe-secure-openssl.c)'),
  signal('libpq.read-cert', 'could not read certificate file', { client_cert_file_missing: 0.8 }, 'libpq fe-secure-openssl.c'),
  signal('cockroach.stat-key', 'could not stat key file', { client_cert_file_missing: 0.75 }, 'ref §1.5'),
  signal('cockroach.not-regular', 'is not a regular file', { client_cert_file_missing: 0.45 }, 'ref §1.5'),
  signal('pgx.read-sslkey', 'unable to read sslkey', { client_cert_file_missing: 0.88 }, 'jackc/pgx pgconn/config.go'),
  signal('pgx.read-cert', 'unable to read cert:', { client_cert_file_missing: 0.85 }, 'jackc/pgx pgconn/config.go'),
  signal('pgx.both-required', 'both "sslcert" and "sslkey" are required', { client_cert_file_missing: 0.88 }, 'jackc/pgx pgconn/config.go'),
  signal('jdbc.open-cert', 'could not open ssl certificate file', { client_cert_file_missing: 0.88 }, 'pgJDBC LazyKeyManager message'),
  signal('cockroach.empty-cert', 'empty certificate file', { client_cert_file_missing: 0.6 }, 'ref §1.5'),
  signal('cockroach.no-certs-in', 'no certificates found in ', { client_cert_file_missing: 0.5, ca_file_missing: 0.3 }, 'ref §1.5'),
];
