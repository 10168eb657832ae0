// Loopback servers that record what reaches them: every TCP connection and every byte, so a test
// can prove that a refused target was never contacted, that a banner stayed where it was, and that
// a fake PostgreSQL server that asks for a clear-text password never received one. They listen on
// 127.0.0.1 only.
import http from 'node:http';
import net from 'node:net';

export interface RecordingServer {
  port: number;
  /** TCP connections accepted so far. */
  connections(): number;
  /** Everything the clients sent, in order. */
  received(): Buffer;
  close(): Promise<void>;
}

function track(server: net.Server, sockets: Set<net.Socket>, chunks: Buffer[], counter: { n: number }): void {
  server.on('connection', (socket) => {
    counter.n++;
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
}

async function listen(server: net.Server, sockets: Set<net.Socket>, chunks: Buffer[], counter: { n: number }): Promise<RecordingServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    connections: () => counter.n,
    received: () => Buffer.concat(chunks),
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Accepts connections and says nothing: the witness that a refused target was not contacted. */
export function startRecordingListener(): Promise<RecordingServer> {
  const sockets = new Set<net.Socket>();
  const chunks: Buffer[] = [];
  const counter = { n: 0 };
  const server = net.createServer();
  track(server, sockets, chunks, counter);
  return listen(server, sockets, chunks, counter);
}

/** A real Node HTTP server: the SSLRequest is not HTTP, so it answers `400 Bad Request` itself; any request gets `marker`. */
export function startHttpBannerServer(marker: string): Promise<RecordingServer> {
  const sockets = new Set<net.Socket>();
  const chunks: Buffer[] = [];
  const counter = { n: 0 };
  const server = http.createServer((_req, res) => res.writeHead(200, { 'x-internal': marker }).end(marker));
  server.on('clientError', (_error, socket) => socket.end(`HTTP/1.1 400 Bad Request\r\nX-Internal: ${marker}\r\nConnection: close\r\n\r\n${marker}`));
  track(server, sockets, chunks, counter);
  return listen(server, sockets, chunks, counter);
}

/** What Redis answers to bytes that are not RESP: an error line, here carrying `marker`. */
export function startRedisBannerServer(marker: string): Promise<RecordingServer> {
  const sockets = new Set<net.Socket>();
  const chunks: Buffer[] = [];
  const counter = { n: 0 };
  const server = net.createServer((socket) => socket.once('data', () => socket.write(`-ERR unknown command '${marker}', with args beginning with: \r\n+PONG ${marker}\r\n`)));
  track(server, sockets, chunks, counter);
  return listen(server, sockets, chunks, counter);
}

export interface FakePgwire extends RecordingServer {
  /** The PasswordMessage ('p') bodies received: there must be none where no password may go. */
  passwordMessages(): Buffer[];
}

/**
 * A pgwire server without TLS that asks every login for a clear-text password
 * (AuthenticationCleartextPassword, 'R' with code 3, src/net/pgwire.ts) and records the answer.
 * An SSLRequest is answered "N"; a PasswordMessage is answered with an ErrorResponse.
 */
export async function startFakePgwire(): Promise<FakePgwire> {
  const sockets = new Set<net.Socket>();
  const chunks: Buffer[] = [];
  const counter = { n: 0 };
  const passwords: Buffer[] = [];
  const server = net.createServer((socket) => {
    let buffer = Buffer.alloc(0);
    let started = false;
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) return;
          const code = buffer.readInt32BE(4);
          buffer = buffer.subarray(length);
          if (code === 80877103) {
            socket.write('N');
            continue;
          }
          started = true;
          socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
          continue;
        }
        if (buffer.length < 5) return;
        const length = buffer.readInt32BE(1);
        if (buffer.length < 1 + length) return;
        const type = String.fromCharCode(buffer[0]!);
        const body = buffer.subarray(5, 1 + length);
        buffer = buffer.subarray(1 + length);
        if (type === 'p') {
          passwords.push(Buffer.from(body));
          const fields = Buffer.from('SFATAL\0C28P01\0Mpassword authentication failed\0\0');
          const header = Buffer.alloc(5);
          header.write('E', 0);
          header.writeInt32BE(4 + fields.length, 1);
          socket.end(Buffer.concat([header, fields]));
          return;
        }
        if (type === 'X') socket.end();
      }
    });
  });
  track(server, sockets, chunks, counter);
  const base = await listen(server, sockets, chunks, counter);
  return { ...base, passwordMessages: () => passwords };
}
