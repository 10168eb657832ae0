/**
 * The few pieces of the PostgreSQL wire protocol (v3) a TLS probe needs: the SSLRequest, the
 * StartupMessage, Terminate, and reading the server's first answer (Authentication* or
 * ErrorResponse). PostgreSQL docs "Message Formats" / "Message Flow"; CockroachDB speaks the same.
 */

/** Int32 length 8, then the SSLRequest code 80877103 (0x04d2162f). */
export const SSL_REQUEST = Buffer.from([0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f]);

/** Terminate: 'X', Int32 length 4. */
export const TERMINATE = Buffer.from([0x58, 0x00, 0x00, 0x00, 0x04]);

const PROTOCOL_3_0 = 196_608;

/** The server's one-byte answer to an SSLRequest. */
export type SslAnswer = 'S' | 'N' | 'E' | 'other';

export function classifySslAnswer(byte: number): SslAnswer {
  if (byte === 0x53) return 'S';
  if (byte === 0x4e) return 'N';
  if (byte === 0x45) return 'E';
  return 'other';
}

/** StartupMessage for protocol 3.0 with the given parameters (user is required by servers). */
export function startupMessage(params: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (name.includes('\0') || value.includes('\0')) throw new Error('startup parameters cannot contain NUL');
    parts.push(Buffer.from(`${name}\0${value}\0`, 'utf8'));
  }
  parts.push(Buffer.from([0]));
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(8);
  header.writeInt32BE(8 + body.length, 0);
  header.writeInt32BE(PROTOCOL_3_0, 4);
  return Buffer.concat([header, body]);
}

export interface BackendMessage {
  /** The type byte as a character ('R', 'E', 'S', ...). */
  type: string;
  body: Buffer;
  /** Bytes the message took in the buffer (type byte + length). */
  size: number;
}

/** Largest first message we accept; a real ErrorResponse or auth request is far smaller. */
const MAX_BACKEND_MESSAGE = 65_536;

/**
 * Reads one complete backend message from the start of `buffer`. Returns null while more bytes are
 * needed; throws on a length no PostgreSQL server sends (the peer does not speak pgwire).
 */
export function readBackendMessage(buffer: Buffer): BackendMessage | null {
  if (buffer.length < 5) return null;
  const length = buffer.readInt32BE(1);
  if (length < 4 || length > MAX_BACKEND_MESSAGE) throw new Error(`not a PostgreSQL message: type ${JSON.stringify(String.fromCharCode(buffer[0]!))}, length ${length}`);
  if (buffer.length < 1 + length) return null;
  return { type: String.fromCharCode(buffer[0]!), body: buffer.subarray(5, 1 + length), size: 1 + length };
}

/** The fields of an ErrorResponse / NoticeResponse: S(everity), C(ode, SQLSTATE), M(essage), D(etail), H(int). */
export interface PgError {
  severity: string;
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

export function parseErrorFields(body: Buffer): PgError {
  const fields: Record<string, string> = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const type = String.fromCharCode(body[i]!);
    const end = body.indexOf(0, i + 1);
    if (end < 0) break;
    fields[type] = body.subarray(i + 1, end).toString('utf8');
    i = end + 1;
  }
  const error: PgError = { severity: fields.V ?? fields.S ?? 'ERROR', code: fields.C ?? '', message: fields.M ?? '' };
  if (fields.D) error.detail = fields.D;
  if (fields.H) error.hint = fields.H;
  return error;
}

/** The error as psql prints it (`FATAL:  message`, then DETAIL/HINT lines), plus the SQLSTATE. */
export function formatPgError(error: PgError): string {
  const lines = [`${error.severity}:  ${error.message}${error.code ? ` (SQLSTATE ${error.code})` : ''}`];
  if (error.detail) lines.push(`DETAIL:  ${error.detail}`);
  if (error.hint) lines.push(`HINT:  ${error.hint}`);
  return lines.join('\n');
}

/** What an Authentication ('R') message asks for. */
export type AuthRequest = 'ok' | 'cleartext_password' | 'md5_password' | 'sasl' | 'gss' | 'sspi' | 'other';

export function parseAuthRequest(body: Buffer): AuthRequest {
  if (body.length < 4) return 'other';
  switch (body.readInt32BE(0)) {
    case 0: return 'ok';
    case 3: return 'cleartext_password';
    case 5: return 'md5_password';
    case 10: return 'sasl';
    case 7: return 'gss';
    case 9: return 'sspi';
    default: return 'other';
  }
}
