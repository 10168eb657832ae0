import { Duplex } from 'node:stream';
import type net from 'node:net';
import { children, fromDer, oidOf, textOf } from '../pki/asn1.js';

/**
 * A small reader of the server's side of a TLS handshake, fed the raw bytes seen on the socket
 * before the TLS layer decrypts anything. Up to TLS 1.2 the ServerHello, Certificate and
 * CertificateRequest travel in plaintext, so the client-CA names the server lists in its
 * CertificateRequest (RFC 5246 §7.4.4 `certificate_authorities`) — which Node's tls does not
 * expose — can be read here. Under TLS 1.3 everything after the ServerHello is encrypted; the
 * reader notes that and stops. It keeps at most `maxBytes` of input and never throws.
 */

interface CertificateRequestInfo {
  /** ClientCertificateType values (1 = rsa_sign, 64 = ecdsa_sign, ...). */
  certificate_types: number[];
  /** The CA names, formatted like certificate subjects (`O=Cockroach, CN=Cockroach CA`). */
  authorities: string[];
}

export interface HandshakeObservation {
  /** Version the ServerHello selected (`TLSv1.2`), from supported_versions when present. */
  version: string | null;
  tls13: boolean;
  /** Plaintext Certificate message (TLS ≤ 1.2): the DER certificates, leaf first. */
  server_certificates: Buffer[];
  certificate_request: CertificateRequestInfo | null;
  server_hello_done: boolean;
  /** A plaintext alert the server sent (before encryption started). */
  alert: { level: number; description: number; name: string } | null;
  /** Why reading stopped early, if it did: encrypted data, size bound, not TLS. */
  stopped: string | null;
}

const VERSION_NAMES: Record<number, string> = { 0x0300: 'SSLv3', 0x0301: 'TLSv1', 0x0302: 'TLSv1.1', 0x0303: 'TLSv1.2', 0x0304: 'TLSv1.3' };
const ALERT_NAMES: Record<number, string> = {
  0: 'close_notify', 10: 'unexpected_message', 20: 'bad_record_mac', 40: 'handshake_failure', 42: 'bad_certificate', 43: 'unsupported_certificate',
  44: 'certificate_revoked', 45: 'certificate_expired', 46: 'certificate_unknown', 47: 'illegal_parameter', 48: 'unknown_ca', 49: 'access_denied',
  50: 'decode_error', 51: 'decrypt_error', 70: 'protocol_version', 71: 'insufficient_security', 80: 'internal_error', 86: 'inappropriate_fallback',
  90: 'user_canceled', 109: 'missing_extension', 110: 'unsupported_extension', 112: 'unrecognized_name', 116: 'certificate_required', 120: 'no_application_protocol',
};

const NAME_ATTRIBUTES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST',
  '0.9.2342.19200300.100.1.25': 'DC', '1.2.840.113549.1.9.1': 'emailAddress',
};

/** A DER DistinguishedName as `O=Cockroach, CN=Cockroach CA` (the order it is encoded in). */
export function formatDistinguishedName(der: Buffer): string {
  try {
    return children(fromDer(der))
      .flatMap((rdn) => children(rdn))
      .map((attribute) => {
        const [type, value] = children(attribute);
        const oid = oidOf(type);
        return `${NAME_ATTRIBUTES[oid] ?? oid}=${textOf(value)}`;
      })
      .join(', ');
  } catch {
    return `(unparsable name, ${der.length} bytes: ${der.subarray(0, 32).toString('hex')})`;
  }
}

const HANDSHAKE = 22;
const ALERT = 21;
const CHANGE_CIPHER_SPEC = 20;
const MAX_RECORD = 16_384 + 2_048;

export class TlsRecordReader {
  private pending: Buffer = Buffer.alloc(0);
  private handshake: Buffer = Buffer.alloc(0);
  private seen = 0;
  private finished = false;
  readonly observation: HandshakeObservation = { version: null, tls13: false, server_certificates: [], certificate_request: null, server_hello_done: false, alert: null, stopped: null };

  constructor(private readonly maxBytes = 262_144) {}

  /** True once nothing more can be learnt from plaintext (ServerHelloDone, encryption, an error). */
  get done(): boolean {
    return this.finished;
  }

  push(chunk: Buffer): void {
    if (this.finished) return;
    this.seen += chunk.length;
    if (this.seen > this.maxBytes) return this.stop(`more than ${this.maxBytes} bytes before the handshake finished`);
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (!this.finished && this.pending.length >= 5) {
      const type = this.pending[0]!;
      const length = this.pending.readUInt16BE(3);
      if (type < 20 || type > 24 || this.pending[1] !== 0x03 || length > MAX_RECORD) return this.stop('the bytes are not TLS records');
      if (this.pending.length < 5 + length) return;
      const fragment = this.pending.subarray(5, 5 + length);
      this.pending = this.pending.subarray(5 + length);
      this.record(type, fragment);
    }
  }

  private stop(reason: string | null): void {
    this.finished = true;
    if (reason && !this.observation.stopped) this.observation.stopped = reason;
    this.pending = Buffer.alloc(0);
    this.handshake = Buffer.alloc(0);
  }

  private record(type: number, fragment: Buffer): void {
    if (type === ALERT && fragment.length >= 2) {
      const description = fragment[1]!;
      this.observation.alert = { level: fragment[0]!, description, name: ALERT_NAMES[description] ?? `alert_${description}` };
      return this.stop(null);
    }
    if (type === CHANGE_CIPHER_SPEC) return this.stop(this.observation.tls13 ? 'TLS 1.3: the rest of the handshake is encrypted' : 'the server finished its handshake');
    if (type !== HANDSHAKE) return this.stop('encrypted data');
    this.handshake = this.handshake.length ? Buffer.concat([this.handshake, fragment]) : fragment;
    while (!this.finished && this.handshake.length >= 4) {
      const msgType = this.handshake[0]!;
      const length = this.handshake.readUIntBE(1, 3);
      if (this.handshake.length < 4 + length) return;
      const body = this.handshake.subarray(4, 4 + length);
      this.handshake = this.handshake.subarray(4 + length);
      this.message(msgType, body);
    }
  }

  private message(type: number, body: Buffer): void {
    try {
      if (type === 2) this.serverHello(body);
      else if (type === 11 && !this.observation.tls13) this.certificate(body);
      else if (type === 13 && !this.observation.tls13) this.certificateRequest(body);
      else if (type === 14) {
        this.observation.server_hello_done = true;
        this.stop(null);
      }
    } catch (error) {
      this.stop(`malformed handshake message ${type}: ${(error as Error).message}`);
    }
  }

  private serverHello(body: Buffer): void {
    let version = body.readUInt16BE(0);
    let offset = 2 + 32;
    offset += 1 + body[offset]!; // session id
    offset += 2 + 1; // cipher suite, compression method
    if (offset + 2 <= body.length) {
      const end = Math.min(body.length, offset + 2 + body.readUInt16BE(offset));
      offset += 2;
      while (offset + 4 <= end) {
        const extType = body.readUInt16BE(offset);
        const extLength = body.readUInt16BE(offset + 2);
        if (extType === 43 && extLength === 2) version = body.readUInt16BE(offset + 4); // supported_versions
        offset += 4 + extLength;
      }
    }
    this.observation.version = VERSION_NAMES[version] ?? `0x${version.toString(16)}`;
    if (version >= 0x0304) {
      this.observation.tls13 = true;
      this.stop('TLS 1.3: the rest of the handshake is encrypted');
    }
  }

  private certificate(body: Buffer): void {
    const end = Math.min(body.length, 3 + body.readUIntBE(0, 3));
    let offset = 3;
    while (offset + 3 <= end) {
      const length = body.readUIntBE(offset, 3);
      this.observation.server_certificates.push(Buffer.from(body.subarray(offset + 3, offset + 3 + length)));
      offset += 3 + length;
    }
  }

  private certificateRequest(body: Buffer): void {
    let offset = 0;
    const typesLength = body[offset]!;
    const certificateTypes = [...body.subarray(offset + 1, offset + 1 + typesLength)];
    offset += 1 + typesLength;
    // TLS 1.2 added supported_signature_algorithms between the types and the CA names.
    if (this.observation.version === 'TLSv1.2') offset += 2 + body.readUInt16BE(offset);
    const end = Math.min(body.length, offset + 2 + body.readUInt16BE(offset));
    offset += 2;
    const authorities: string[] = [];
    while (offset + 2 <= end) {
      const length = body.readUInt16BE(offset);
      authorities.push(formatDistinguishedName(body.subarray(offset + 2, offset + 2 + length)));
      offset += 2 + length;
    }
    this.observation.certificate_request = { certificate_types: certificateTypes, authorities };
  }
}

/**
 * Wraps a connected socket in a Duplex that hands every incoming chunk to `onIncoming` before the
 * TLS layer reads it (tls.connect({ socket }) accepts any Duplex). Writes pass straight through.
 */
export class TeeSocket extends Duplex {
  constructor(
    private readonly socket: net.Socket,
    onIncoming: (chunk: Buffer) => void,
  ) {
    super();
    socket.on('data', (chunk: Buffer) => {
      onIncoming(chunk);
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => {
      if (!this.destroyed) this.push(null);
    });
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.socket.destroyed) return callback(new Error('socket closed'));
    this.socket.write(chunk, callback);
  }

  /**
   * One write for everything the TLS layer queued at once: a client's whole handshake flight goes
   * out in one segment, so a server that rejects its first record and resets the connection cannot
   * fail a later write of ours (ECONNRESET) before its alert has been read.
   */
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    if (this.socket.destroyed) return callback(new Error('socket closed'));
    this.socket.write(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}
