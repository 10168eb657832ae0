// The Socket Mode side of the Slack stand-in: a minimal WebSocket server (RFC 6455: handshake,
// text/ping/pong/close frames) on 127.0.0.1 that speaks Slack's Socket Mode protocol as documented
// (docs.slack.dev, "Using Socket Mode"): it greets with {"type":"hello"}, sends envelopes
// ({ envelope_id, type, payload, accepts_response_payload }) and reads the app's acknowledgements
// ({ envelope_id, payload? }). Written here because no WebSocket server is among the project's
// dependencies; it implements only what the Socket Mode client uses.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface Ack {
  envelope_id: string;
  payload?: Record<string, unknown>;
  /** Milliseconds from sending the envelope to the ack. */
  ms: number;
}

function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const head = length < 126 ? Buffer.from([0x80 | opcode, length]) : length < 65536 ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff]) : Buffer.concat([Buffer.from([0x80 | opcode, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(length)); return b; })()]);
  return Buffer.concat([head, payload]);
}

export class SocketModeStandin {
  private readonly server: http.Server;
  private socket: Duplex | undefined;
  private buffer = Buffer.alloc(0);
  private readonly pending = new Map<string, { resolve: (ack: Ack) => void; sent: number }>();
  private connectedResolve: (() => void) | undefined;
  readonly connected: Promise<void>;
  url = '';

  private constructor() {
    this.connected = new Promise((resolve) => (this.connectedResolve = resolve));
    this.server = http.createServer((_req, res) => res.writeHead(426).end());
    this.server.on('upgrade', (req, socket: Duplex) => this.accept(req, socket));
  }

  static async start(): Promise<SocketModeStandin> {
    const standin = new SocketModeStandin();
    await new Promise<void>((resolve) => standin.server.listen(0, '127.0.0.1', resolve));
    standin.url = `ws://127.0.0.1:${(standin.server.address() as AddressInfo).port}/link/?ticket=test`;
    return standin;
  }

  private accept(req: http.IncomingMessage, socket: Duplex): void {
    const key = String(req.headers['sec-websocket-key'] ?? '');
    const accept = crypto.createHash('sha1').update(key + GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', () => undefined);
    this.sendText(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'standin', build_number: 1, approximate_connection_time: 3600 }, connection_info: { app_id: 'A0TEST' } }));
    this.connectedResolve?.();
  }

  private read(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) return;
      const opcode = this.buffer[0]! & 0x0f;
      const masked = (this.buffer[1]! & 0x80) !== 0;
      let length = this.buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      const maskLength = masked ? 4 : 0;
      if (this.buffer.length < offset + maskLength + length) return;
      const mask = masked ? this.buffer.subarray(offset, offset + 4) : undefined;
      const payload = Buffer.from(this.buffer.subarray(offset + maskLength, offset + maskLength + length));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
      this.buffer = this.buffer.subarray(offset + maskLength + length);
      if (opcode === 0x9) this.socket?.write(frame(0xa, payload));
      else if (opcode === 0x8) this.socket?.end(frame(0x8, payload.subarray(0, 2)));
      else if (opcode === 0x1) this.message(payload.toString('utf8'));
    }
  }

  private message(text: string): void {
    const parsed = JSON.parse(text) as { envelope_id?: string; payload?: Record<string, unknown> };
    const waiting = parsed.envelope_id ? this.pending.get(parsed.envelope_id) : undefined;
    if (!waiting) return;
    this.pending.delete(parsed.envelope_id!);
    waiting.resolve({ envelope_id: parsed.envelope_id!, ...(parsed.payload ? { payload: parsed.payload } : {}), ms: performance.now() - waiting.sent });
  }

  private sendText(text: string): void {
    this.socket?.write(frame(0x1, Buffer.from(text, 'utf8')));
  }

  /** Sends one envelope and resolves with the app's acknowledgement of it. */
  send(type: 'slash_commands' | 'interactive' | 'events_api', payload: Record<string, unknown>): Promise<Ack> {
    const id = crypto.randomUUID();
    const ack = new Promise<Ack>((resolve) => this.pending.set(id, { resolve, sent: performance.now() }));
    this.sendText(JSON.stringify({ envelope_id: id, type, payload, accepts_response_payload: type !== 'events_api' }));
    return ack;
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
