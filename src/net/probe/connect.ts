import net from 'node:net';
import { ToolError } from '../../core/errors.js';
import { SSL_REQUEST, classifySslAnswer, parseErrorFields, readBackendMessage } from '../pgwire.js';
import { elapsed, errorText, phase, type ProbeRun } from './run.js';

// A non-pgwire answer is read only to describe it: this much, or what came until a short quiet.
const OTHER_BYTES_MAX = 512;
const OTHER_BYTES_QUIET_MS = 150;

/**
 * What answered instead of pgwire, told without its bytes (DESIGN.md §5): whatever a port sends is
 * the service's to say, and an internal HTTP server's or a cache's banner must not travel on into a
 * tool result, a Slack message or a log. Only the kind of service and the number of bytes are shown.
 */
function classifyOtherAnswer(bytes: Buffer): { kind: string; detail: string } {
  const first = bytes[0]!;
  const count = `${bytes.length}${bytes.length >= OTHER_BYTES_MAX ? '+' : ''} byte(s), not shown`;
  if (/^HTTP\/\d/.test(bytes.subarray(0, 6).toString('latin1'))) return { kind: 'an HTTP server', detail: `it answered the SSLRequest with an HTTP response (${count})` };
  if (first === 0x15 || first === 0x16) return { kind: 'a TLS server that expects TLS from the first byte (no pgwire SSLRequest)', detail: `it answered the SSLRequest with a TLS record (${count})` };
  return { kind: 'something that is not a PostgreSQL server', detail: `it answered the SSLRequest with data that is neither pgwire nor TLS (${count})` };
}

/** An ErrorResponse to the SSLRequest: its SQLSTATE, never its text (a fake server writes what it likes there). */
function describeErrorAnswer(bytes: Buffer): string {
  try {
    const message = readBackendMessage(bytes);
    const code = message ? parseErrorFields(message.body).code : '';
    if (/^[0-9A-Z]{5}$/.test(code)) return `a pgwire ErrorResponse (SQLSTATE ${code}; its text is not shown)`;
  } catch {
    // not a complete ErrorResponse
  }
  return 'a pgwire ErrorResponse (its text is not shown)';
}

/** The TCP connection; null (with a finding) when there is none. */
export async function connect(run: ProbeRun): Promise<net.Socket | null> {
  const { host, port, signal, timeoutMs, report, sockets, remaining, progress, add } = run;
  progress(`connecting to ${host}:${port}`, 0.05);
  const t0 = performance.now();
  // The policy check comes before the TCP connect: a refused target (a ToolError) is never contacted.
  let admitted;
  try {
    admitted = await run.options.network.admit(host, port);
  } catch (error) {
    if (error instanceof ToolError) throw error;
    report.timings_ms.connect = elapsed(t0);
    const e = error as NodeJS.ErrnoException;
    report.pgwire = { answer: 'unreachable', speaks_pgwire: null, tls_offered: null, detail: errorText(e) };
    add('unknown', 'error', 'connect', `cannot resolve ${host}: ${errorText(e)}`);
    return null;
  }
  if (admitted) run.dialHost = admitted.address;
  const connected = await phase<{ socket?: net.Socket; error?: string; code?: string }>(remaining(), signal, () => ({ error: `no TCP connection within ${timeoutMs} ms`, code: 'timeout' }), (settle) => {
    const socket = net.connect({ host: run.dialHost, port });
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
      const detail = describeErrorAnswer(ssl.bytes);
      report.pgwire = { answer: 'E', speaks_pgwire: true, tls_offered: false, detail };
      add('server_tls_disabled', 'error', 'ssl_request', `${host}:${port} answered the SSLRequest with ${detail}: a server without SSL support`);
      return false;
    }
    case 'other': {
      const { kind, detail } = classifyOtherAnswer(ssl.bytes);
      report.pgwire = { answer: 'other', speaks_pgwire: false, tls_offered: null, detail };
      add('not_tls_endpoint', 'error', 'ssl_request', `${host}:${port} is ${kind}: ${detail}`);
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
