import net from 'node:net';
import { SSL_REQUEST, classifySslAnswer, formatPgError, parseErrorFields, printableBytes, readBackendMessage } from '../pgwire.js';
import { elapsed, errorText, phase, type ProbeRun } from './run.js';

// A non-pgwire answer is read only to describe it: this much, or what came until a short quiet.
const OTHER_BYTES_MAX = 512;
const OTHER_BYTES_QUIET_MS = 150;

/** The TCP connection; null (with a finding) when there is none. */
export async function connect(run: ProbeRun): Promise<net.Socket | null> {
  const { host, port, signal, timeoutMs, report, sockets, remaining, progress, add } = run;
  progress(`connecting to ${host}:${port}`, 0.05);
  const t0 = performance.now();
  const connected = await phase<{ socket?: net.Socket; error?: string; code?: string }>(remaining(), signal, () => ({ error: `no TCP connection within ${timeoutMs} ms`, code: 'timeout' }), (settle) => {
    const socket = net.connect({ host, port });
    sockets.push(socket);
    socket.setNoDelay(true);
    const onError = (error: NodeJS.ErrnoException) => settle({ error: errorText(error), ...(error.code ? { code: error.code } : {}) });
    socket.once('connect', () => settle({ socket }));
    socket.once('error', onError);
    return () => socket.removeListener('error', onError);
  });
  report.timings_ms.connect = elapsed(t0);
  if (!connected.socket) {
    report.pgwire = { answer: 'unreachable', speaks_pgwire: null, tls_offered: null, detail: connected.error ?? null };
    const unresolved = connected.code === 'ENOTFOUND' || connected.code === 'EAI_AGAIN';
    const refused = connected.code === 'ECONNREFUSED';
    add(unresolved ? 'unknown' : 'connection_dropped', 'error', 'connect', unresolved ? `cannot resolve ${host}: ${connected.error}` : refused ? `nothing is listening on ${host}:${port} (${connected.error}): wrong port, the node is down, or it listens on another address` : `cannot connect to ${host}:${port}: ${connected.error}`, refused ? ['net.refused'] : undefined);
    return null;
  }
  const socket = connected.socket;
  socket.on('error', () => {}); // errors are read per phase; never an unhandled 'error'
  report.target.address = socket.remoteAddress ?? null;
  return socket;
}

/**
 * The pgwire SSLRequest: exactly one byte is read back, so that the TLS handshake starts on the
 * next one. True when the server answered "S" and nothing else; otherwise a finding says what it is.
 */
export async function sslRequest(run: ProbeRun, socket: net.Socket): Promise<boolean> {
  const { host, port, signal, timeoutMs, report, remaining, progress, add } = run;
  progress('sending the pgwire SSLRequest', 0.15);
  const t0 = performance.now();
  type SslOutcome = { answer: 'S' | 'N' | 'E' | 'other' | 'closed' | 'no_answer'; bytes: Buffer; detail?: string };
  const ssl = await phase<SslOutcome>(remaining(), signal, () => ({ answer: 'no_answer', bytes: Buffer.alloc(0) }), (settle) => {
    let bytes: Buffer = Buffer.alloc(0);
    let quiet: NodeJS.Timeout | undefined;
    const onData = (chunk: Buffer) => {
      bytes = bytes.length ? Buffer.concat([bytes, chunk]) : chunk;
      const answer = classifySslAnswer(bytes[0]!);
      if (answer === 'S' || answer === 'N') {
        socket.pause();
        return settle({ answer, bytes });
      }
      if (answer === 'E') {
        try {
          if (readBackendMessage(bytes) || bytes.length > OTHER_BYTES_MAX * 8) settle({ answer, bytes });
        } catch {
          settle({ answer: 'other', bytes });
        }
        return;
      }
      if (bytes.length >= OTHER_BYTES_MAX) return settle({ answer: 'other', bytes });
      clearTimeout(quiet);
      quiet = setTimeout(() => settle({ answer: 'other', bytes }), OTHER_BYTES_QUIET_MS);
    };
    const onEnd = () => settle(bytes.length ? { answer: bytes[0] === 0x45 ? 'E' : 'other', bytes } : { answer: 'closed', bytes, detail: 'the server closed the connection without answering the SSLRequest' });
    const onError = (error: Error) => settle(bytes.length ? { answer: 'other', bytes } : { answer: 'closed', bytes, detail: errorText(error) });
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    socket.write(SSL_REQUEST);
    return () => {
      clearTimeout(quiet);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onEnd);
      socket.removeListener('error', onError);
    };
  });
  report.timings_ms.ssl_request = elapsed(t0);
  switch (ssl.answer) {
    case 'no_answer':
      report.pgwire = { answer: 'no_answer', speaks_pgwire: null, tls_offered: null, detail: `the port accepted the connection but sent nothing within ${timeoutMs} ms` };
      add('connection_dropped', 'error', 'ssl_request', `${host}:${port} accepted the TCP connection but never answered the SSLRequest (${timeoutMs} ms): a stalled server, a proxy holding the connection, or a service that waits for the client`);
      return false;
    case 'closed':
      report.pgwire = { answer: 'closed', speaks_pgwire: null, tls_offered: null, detail: ssl.detail ?? null };
      add('connection_dropped', 'error', 'ssl_request', `${host}:${port} closed the connection without answering the SSLRequest (${ssl.detail ?? 'EOF'})`);
      return false;
    case 'N':
      report.pgwire = { answer: 'N', speaks_pgwire: true, tls_offered: false, detail: 'the server answered "N": it does not do TLS' };
      add('server_tls_disabled', 'error', 'ssl_request', `${host}:${port} speaks pgwire but answered the SSLRequest with "N": the server does not support SSL (an insecure node, or PostgreSQL with ssl=off)`);
      return false;
    case 'E': {
      let detail = printableBytes(ssl.bytes);
      try {
        const message = readBackendMessage(ssl.bytes);
        if (message) detail = formatPgError(parseErrorFields(message.body));
      } catch {
        // keep the printable bytes
      }
      report.pgwire = { answer: 'E', speaks_pgwire: true, tls_offered: false, detail };
      add('server_tls_disabled', 'error', 'ssl_request', `${host}:${port} answered the SSLRequest with an error (a server without SSL support): ${detail}`);
      return false;
    }
    case 'other': {
      const first = ssl.bytes[0]!;
      const text = printableBytes(ssl.bytes);
      const kind = ssl.bytes.subarray(0, 5).toString('latin1') === 'HTTP/' ? 'an HTTP server' : first === 0x15 || first === 0x16 ? 'a TLS server that expects TLS from the first byte (no pgwire SSLRequest)' : 'something that is not a PostgreSQL server';
      report.pgwire = { answer: 'other', speaks_pgwire: false, tls_offered: null, detail: text };
      add('not_tls_endpoint', 'error', 'ssl_request', `${host}:${port} is ${kind}: it answered the SSLRequest with ${JSON.stringify(text.slice(0, 80))}`);
      return false;
    }
    case 'S':
      break;
  }
  if (ssl.bytes.length > 1) {
    report.pgwire = { answer: 'S', speaks_pgwire: true, tls_offered: true, detail: `the server sent ${ssl.bytes.length - 1} unencrypted byte(s) after "S"` };
    add('not_tls_endpoint', 'error', 'ssl_request', `${host}:${port} answered "S" and then sent unencrypted data before the TLS handshake (libpq refuses this: "received unencrypted data after SSL response")`);
    return false;
  }
  report.pgwire = { answer: 'S', speaks_pgwire: true, tls_offered: true, detail: null };
  return true;
}
