import { signal, type Signal } from './types.js';

/** TLS on one side only, connections cut mid-handshake, the wrong service, no common protocol. */
export const TRANSPORT_SIGNALS: Signal[] = [
  // server_tls_disabled: the server answered the SSLRequest with 'N' (insecure node).
  signal('libpq.server-no-ssl', 'server does not support ssl, but ssl was required', { server_tls_disabled: 0.95 }, 'toolchain §3 (psql 15)'),
  signal('node.server-no-ssl', 'the server does not support ssl connections', { server_tls_disabled: 0.95 }, 'ref §6.3 (pg/lib/connection.js); toolchain §3'),
  signal('jdbc.server-no-ssl', 'the server does not support ssl', { server_tls_disabled: 0.9 }, 'pgJDBC ConnectionFactoryImpl message'),
  // pgx and asyncpg print these for ANY answer but 'S' to the SSLRequest: 'N' (no TLS) or another service (test/corpus/clients http_port).
  signal('pgx.refused-tls', 'server refused tls connection', { server_tls_disabled: 0.93, not_tls_endpoint: 0.22 }, 'ref §6.1 (gobuffalo/pop#513); pgconn ErrTLSRefused'),
  signal('libpq-go.ssl-not-enabled', 'ssl is not enabled on the server', { server_tls_disabled: 0.93, not_tls_endpoint: 0.22 }, 'ref §6.1 (lib/pq: any SSLRequest answer but S, test/corpus/clients go-libpq http_port)'),
  signal('asyncpg.rejected-upgrade', 'rejected ssl upgrade', { server_tls_disabled: 0.9, not_tls_endpoint: 0.22 }, 'MagicStack/asyncpg connect_utils.py'),
  signal('cockroach.tls-over-local', 'cannot use ssl/tls over local connections', { server_tls_disabled: 0.65 }, 'ref §3.3'),

  // server_requires_tls: the client did not start TLS.
  signal('cockroach.secure-mode', 'node is running secure mode, ssl connection required', { server_requires_tls: 0.96 }, 'ref §3.3, §6.1, §7.8 (SQLSTATE 08P01)'),
  signal('cockroach.proxy-requires-encryption', 'server requires encryption', { server_requires_tls: 0.93 }, 'ref §3.3, §6.3 (CockroachDB Cloud proxy, SQLSTATE 08004)'),
  signal('pg.hba-no-encryption', 'no pg_hba.conf entry', { server_requires_tls: 0.3 }, 'toolchain §3 (PostgreSQL 15 hostssl-only)', {
    refine: (line) => (line.includes('no encryption') || line.includes('ssl off') ? { server_requires_tls: 0.88 } : {}),
  }),
  signal('cockroach.not-using-tls', 'request is not using tls', { server_requires_tls: 0.7 }, 'ref §3.3 (pkg/security/auth.go)'),
  signal('generic.ssl-required', 'ssl connection is required', { server_requires_tls: 0.75 }, 'common server wording'),

  // connection_dropped
  signal('libpq.syscall-eof', 'ssl syscall error: eof detected', { connection_dropped: 0.88 }, 'diagnosis-codes.md (libpq)'),
  signal('openssl.eof-detected', 'eof detected', { connection_dropped: 0.75 }, 'toolchain §3 (PostgreSQL server log)', {
    // In a server log: the client hung up during the handshake — typically because it rejected the server certificate (toolchain §3).
    refine: (line) => (line.includes('could not accept ssl connection') ? { connection_dropped: 0.5, untrusted_server_ca: 0.45 } : undefined),
  }),
  signal('pgx.tls-eof', 'tls error (eof)', { connection_dropped: 0.85 }, 'ref §6.1'),
  // The peer closed before the server was ready. Besides a server or proxy that went away, the
  // port may not be PostgreSQL at all: an HTTP server answers a plaintext startup message with 400
  // and closes (test/corpus/clients http_port_no_tls), so that is named as the weak alternative.
  signal('node.terminated', 'connection terminated unexpectedly', { connection_dropped: 0.8, not_tls_endpoint: 0.25 }, 'brianc/node-postgres packages/pg/lib/client.js', {
    sameText: {
      codes: ['connection_dropped', 'not_tls_endpoint'],
      tellApart: 'node-postgres says this whenever the server closes the socket before the session is ready: a node or proxy that went away, or, with TLS off, a port that is not PostgreSQL (an HTTP server answers the startup message with 400 and closes); probing the host and port shows what answers there',
    },
  }),
  signal('libpq.server-closed', 'server closed the connection unexpectedly', { connection_dropped: 0.8 }, 'libpq'),
  // postgres.js 3.4 (porsager/postgres src/connection.js secure()): unless ssl is 'prefer', an answer
  // other than S to its SSLRequest does not stop it — it starts TLS on the same socket anyway. A
  // PostgreSQL server without TLS reads the ClientHello as a startup packet ("invalid length of
  // startup packet" in its log) and closes; an HTTP server answers 400 and closes. Either way Node
  // reports this text, so under postgres.js's stack it means "the server did not answer S".
  signal('node.socket-disconnected', 'client network socket disconnected before secure tls connection was established', { connection_dropped: 0.88 }, 'Node tls', {
    together: {
      with: 'postgresjs.stack',
      weights: { server_tls_disabled: 0.75, not_tls_endpoint: 0.6, connection_dropped: 0.45 },
      sameText: {
        codes: ['server_tls_disabled', 'not_tls_endpoint'],
        source: 'porsager/postgres src/connection.js (secure); nodejs/node lib/_tls_wrap.js (onConnectEnd)',
        tellApart: 'postgres.js starts TLS after any answer but S to its SSLRequest, so a server without TLS and a port that is not PostgreSQL print the same: probing the host and port shows which (a PostgreSQL server answering N, or an HTTP or other service); the PostgreSQL server logs "invalid length of startup packet" for the first',
      },
    },
  }),
  signal('postgresjs.stack', 'node_modules/postgres/', {}, 'porsager/postgres: the package path in its stack traces (cjs/src/query.js, src/connection.js)'),
  signal('pg.invalid-startup-length', 'invalid length of startup packet', { server_tls_disabled: 0.6, not_tls_endpoint: 0.45 }, 'postgres/postgres src/backend/tcop/backend_startup.c (ProcessStartupPacket): the server read a TLS ClientHello or other non-protocol bytes as a startup packet, i.e. it had answered N to SSLRequest (or the client skipped SSLRequest)'),
  signal('java.remote-terminated', 'remote host terminated the handshake', { connection_dropped: 0.8 }, 'Java SSLHandshakeException'),
  // Node gives "Client network socket disconnected before secure TLS connection was established"
  // the code ECONNRESET (nodejs/node lib/_tls_wrap.js onConnectEnd, connResetException): next to
  // that message the code is the same error again, not a second piece of evidence.
  signal('net.econnreset', 'econnreset', { connection_dropped: 0.75 }, 'diagnosis-codes.md', { boundary: true, together: { with: 'node.socket-disconnected', weights: {} } }),
  // In a PostgreSQL server log ("could not receive data from client: …", be-secure.c / pqcomm.c)
  // the reset is the CLIENT giving up, for whatever reason its own error states: weak evidence.
  signal('net.reset-by-peer', 'connection reset by peer', { connection_dropped: 0.75 }, 'OS error text', {
    refine: (line) => (line.includes('could not receive data from client') ? { connection_dropped: 0.15 } : undefined),
  }),
  signal('net.connection-reset', 'connection reset', { connection_dropped: 0.6 }, 'Java SocketException', {
    refine: (line) => (line.includes('could not receive data from client') ? { connection_dropped: 0.15 } : undefined),
  }),
  signal('node.socket-hang-up', 'socket hang up', { connection_dropped: 0.7 }, 'Node http/tls'),
  signal('net.broken-pipe', 'broken pipe', { connection_dropped: 0.5 }, 'OS error text'),
  // pgJDBC over TLS 1.3: the server rejected the client certificate (or its signature) after the
  // client's last flight and closed; the client's next write fails and the alert is lost (test/corpus/clients pgjdbc).
  signal('jdbc.ssl-broken-pipe', 'ssl error: broken pipe', { connection_dropped: 0.6, client_cert_untrusted: 0.35, client_cert_expired: 0.25, client_key_mismatch: 0.25 }, 'pgjdbc/pgjdbc ssl/MakeSSL.java "SSL error: {0}" (test/corpus/clients client_cert_other_ca, client_cert_expired, key_mismatch)'),
  signal('asyncpg.closed-mid-operation', 'connection was closed in the middle of operation', { connection_dropped: 0.75, not_tls_endpoint: 0.25 }, 'MagicStack/asyncpg asyncpg/protocol/protocol.pyx ConnectionDoesNotExistError'),
  signal('java.eof-exception', 'java.io.eofexception', { connection_dropped: 0.75 }, 'pgJDBC "The connection attempt failed." caused by java.io.EOFException (test/corpus/clients port_closes)'),
  signal('asyncpg.connection-lost', 'unexpected connection_lost() call', { connection_dropped: 0.8 }, 'asyncpg connect_utils.py TLSUpgradeProto (test/corpus/clients port_closes)'),
  signal('net.unexpected-eof', 'unexpected eof', { connection_dropped: 0.6, not_tls_endpoint: 0.25 }, 'Go io.ErrUnexpectedEOF / OpenSSL 3'),
  signal('net.eof', 'eof', { connection_dropped: 0.35 }, 'diagnosis-codes.md ("EOF")', { boundary: true }),
  signal('net.refused', 'connection refused', { connection_dropped: 0.45 }, 'OS error text (nothing listens there)', { boundary: true }),
  signal('jdbc.refused', 'check that the hostname and port are correct', { connection_dropped: 0.55 }, 'pgJDBC "Connection to H:P refused. Check that the hostname and port are correct..."'),
  signal('node.econnrefused', 'econnrefused', { connection_dropped: 0.45 }, 'Node net', { boundary: true }),
  signal('net.io-timeout', 'i/o timeout', { connection_dropped: 0.45 }, 'Go net'),
  signal('node.etimedout', 'etimedout', { connection_dropped: 0.45 }, 'Node net', { boundary: true }),
  signal('net.timed-out', 'connection timed out', { connection_dropped: 0.45 }, 'OS error text'),
  signal('libpq.timeout', 'timeout expired', { connection_dropped: 0.4 }, 'libpq connect_timeout'),

  // not_tls_endpoint
  signal('go.not-tls-record', 'first record does not look like a tls handshake', { not_tls_endpoint: 0.93 }, 'diagnosis-codes.md (Go crypto/tls)'),
  signal('openssl.wrong-version-number', 'wrong version number', { not_tls_endpoint: 0.85 }, 'diagnosis-codes.md (OpenSSL)'),
  signal('node.wrong-version-number', 'wrong_version_number', { not_tls_endpoint: 0.85 }, 'Node ERR_SSL_WRONG_VERSION_NUMBER'),
  signal('openssl.packet-length', 'packet length too long', { not_tls_endpoint: 0.85 }, 'diagnosis-codes.md (OpenSSL)'),
  signal('libpq.invalid-ssl-response', 'received invalid response to ssl negotiation', { not_tls_endpoint: 0.9 }, 'libpq fe-connect.c'),
  signal('node.ssl-establish-error', 'there was an error establishing an ssl connection', { not_tls_endpoint: 0.8 }, 'ref §6.3 (pg/lib/connection.js: any answer but S or N)'),
  signal('go.http-response', 'server gave http response to https client', { not_tls_endpoint: 0.9 }, 'Go net/http'),
  signal('java.plaintext', 'unrecognized ssl message, plaintext connection', { not_tls_endpoint: 0.88 }, 'Java SSLException'),
  // pgJDBC ConnectionFactoryImpl.enableSSL: the SSLRequest answer was neither 'S' nor 'N'.
  signal('jdbc.ssl-setup-error', 'an error occurred while setting up the ssl connection', { not_tls_endpoint: 0.8 }, 'pgJDBC ConnectionFactoryImpl (test/corpus/clients http_port)'),

  // tls_version_mismatch
  signal('alert.protocol-version', 'alert protocol version', { tls_version_mismatch: 0.92 }, 'OpenSSL alert 70'),
  signal('java.alert-protocol-version', 'received fatal alert: protocol_version', { tls_version_mismatch: 0.92 }, 'Java SSLHandshakeException alert 70 (test/corpus/clients tls_version)'),
  signal('openssl.unsupported-protocol', 'unsupported protocol', { tls_version_mismatch: 0.85 }, 'diagnosis-codes.md (OpenSSL)'),
  signal('node.unsupported-protocol', 'unsupported_protocol', { tls_version_mismatch: 0.85 }, 'Node ERR_SSL_UNSUPPORTED_PROTOCOL'),
  signal('openssl.no-shared-cipher', 'no shared cipher', { tls_version_mismatch: 0.9 }, 'diagnosis-codes.md'),
  signal('openssl.no-protocols', 'no protocols available', { tls_version_mismatch: 0.85 }, 'OpenSSL'),
  signal('java.no-appropriate-protocol', 'no appropriate protocol', { tls_version_mismatch: 0.9 }, 'Java SSLHandshakeException'),
  signal('alpn.no-application-protocol', 'no application protocol', { tls_version_mismatch: 0.9 }, 'diagnosis-codes.md (ALPN alert 120)'),
  signal('go.min-max-version', 'no supported versions satisfy minversion and maxversion', { tls_version_mismatch: 0.9 }, 'Go crypto/tls'),
  signal('go.protocol-not-supported', 'protocol version not supported', { tls_version_mismatch: 0.88 }, 'Go crypto/tls alert'),
  signal('generic.protocol-version', 'protocol version', { tls_version_mismatch: 0.45 }, 'diagnosis-codes.md', { generic: true }),
  signal('alert.handshake-failure', 'handshake failure', { tls_version_mismatch: 0.4, client_cert_untrusted: 0.15 }, 'diagnosis-codes.md ("handshake failure with version alert")', { generic: true }),
];
