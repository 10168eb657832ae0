import net from 'node:net';
import { ToolError } from './errors.js';

/** A bearer token shorter than this is refused at start (DESIGN.md §6). */
export const MIN_TOKEN_LENGTH = 32;
/** "Who asked" for calls made with the token when CRDB_TLS_HTTP_TOKEN_LABEL is unset (DESIGN.md §3). */
export const DEFAULT_TOKEN_LABEL = 'http-token';

/** Where and how `crdb-tls mcp --http` serves, validated before anything listens. */
export interface HttpSettings {
  host: string;
  port: number;
  token: string;
  /** "Who asked" for calls made with the token (DESIGN.md §3). */
  tokenLabel: string;
  /** More token holders (CRDB_TLS_HTTP_TOKENS), each audited under its own label. */
  extraTokens: Array<{ label: string; token: string }>;
  /** Origins a browser-borne request may come from; undefined: http://localhost:PORT and http://127.0.0.1:PORT. */
  allowedOrigins: string[] | undefined;
  loopback: boolean;
}

const usage = (message: string, hint: string) => new ToolError('invalid_input', message, hint);

/** `HOST:PORT`, `[v6]:PORT` or `:PORT` (loopback). */
function parseBindAddress(bind: string): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(bind.trim());
  if (!match) throw usage(`--http ${bind} is not HOST:PORT`, 'Example: crdb-tls mcp --http 127.0.0.1:8080');
  const port = Number(match[3]);
  if (port > 65535) throw usage(`--http ${bind}: port ${port} is over 65535`, 'Choose a port between 1 and 65535 (0 picks a free one).');
  const host = match[1] ?? (match[2] || '127.0.0.1');
  return { host, port };
}

/** 127.0.0.0/8, ::1 (also written out, or as ::ffff:127.x) or the name localhost. */
function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (net.isIPv4(bare)) return bare.startsWith('127.');
  if (net.isIPv6(bare)) return bare === '::1' || /^::ffff:127\./.test(bare) || /^(0{1,4}:){7}0{0,3}1$/.test(bare);
  return false;
}

/** scheme://host[:port] as a browser sends it in Origin, or an error naming where it came from. */
function normaliseOrigin(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usage(`${source}: ${value} is not an origin`, 'Give origins as scheme://host[:port], comma-separated, e.g. http://localhost:6274.');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin === 'null') {
    throw usage(`${source}: ${value} is not an http(s) origin`, 'Give origins as scheme://host[:port], comma-separated.');
  }
  return url.origin;
}

/** CRDB_TLS_HTTP_TOKEN: present and long enough, or a one-line reason. */
export function checkHttpToken(token: string | undefined): string {
  if (token === undefined || token === '') {
    throw usage('CRDB_TLS_HTTP_TOKEN is not set; MCP over HTTP needs a bearer token', `Set it to a random secret of at least ${MIN_TOKEN_LENGTH} characters, e.g. CRDB_TLS_HTTP_TOKEN=$(openssl rand -hex 32).`);
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw usage(`CRDB_TLS_HTTP_TOKEN is ${token.length} characters long; it must be at least ${MIN_TOKEN_LENGTH}`, 'Generate one with: openssl rand -hex 32');
  }
  return token;
}

/** CRDB_TLS_HTTP_TOKEN_LABEL: the name calls made with the token are audited under. */
export function httpTokenLabel(value: string | undefined): string {
  const label = value?.trim() || DEFAULT_TOKEN_LABEL;
  if (label.length > 128 || /[\u0000-\u001f\u007f]/.test(label)) {
    throw usage('CRDB_TLS_HTTP_TOKEN_LABEL must be at most 128 printable characters', 'It names the token holder in the audit trail, e.g. ci-bot.');
  }
  return label;
}

/**
 * CRDB_TLS_HTTP_TOKENS: further token holders as `label=token` pairs, comma-separated, each token
 * at least 32 characters and each label distinct (it names the holder in the audit trail and
 * owns its MCP sessions).
 */
function httpExtraTokens(value: string | undefined, firstLabel: string): Array<{ label: string; token: string }> {
  const trimmed = value?.trim();
  if (!trimmed) return [];
  const seen = new Set([firstLabel]);
  return trimmed.split(',').map((entry, i) => {
    const at = entry.indexOf('=');
    if (at <= 0) throw usage(`CRDB_TLS_HTTP_TOKENS entry ${i + 1} is not label=token`, 'Example: CRDB_TLS_HTTP_TOKENS=ci-bot=$(openssl rand -hex 32),ide=$(openssl rand -hex 32)');
    const label = httpTokenLabel(entry.slice(0, at));
    const token = entry.slice(at + 1).trim();
    if (token.length < MIN_TOKEN_LENGTH) throw usage(`CRDB_TLS_HTTP_TOKENS: the token of ${label} is ${token.length} characters long; it must be at least ${MIN_TOKEN_LENGTH}`, 'Generate one with: openssl rand -hex 32');
    if (seen.has(label)) throw usage(`CRDB_TLS_HTTP_TOKENS: the label ${label} is used twice`, 'Give every token holder its own label.');
    seen.add(label);
    return { label, token };
  });
}

/** CRDB_TLS_HTTP_ALLOWED_ORIGINS: comma-separated origins, or undefined for the loopback defaults. */
export function httpAllowedOrigins(value: string | undefined): string[] | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  return trimmed.split(',').map((o) => o.trim()).filter(Boolean).map((o) => normaliseOrigin(o, 'CRDB_TLS_HTTP_ALLOWED_ORIGINS'));
}

/**
 * The HTTP face's settings from the environment and `--http`: the token (CRDB_TLS_HTTP_TOKEN, at
 * least 32 characters), its label, the Origin allow-list, and a bind address that must be loopback
 * unless `allowRemote`. Throws a ToolError (one line on the CLI) on anything wrong.
 */
export function httpSettingsFromEnv(env: NodeJS.ProcessEnv, bind: string, allowRemote: boolean): HttpSettings {
  const { host, port } = parseBindAddress(bind);
  const loopback = isLoopbackHost(host);
  if (!loopback && !allowRemote) {
    throw usage(`--http ${bind} is not a loopback address; refusing to serve MCP beyond this machine`, 'Bind 127.0.0.1, or add --allow-remote (and put TLS in front of it).');
  }
  const token = checkHttpToken(env.CRDB_TLS_HTTP_TOKEN);
  const tokenLabel = httpTokenLabel(env.CRDB_TLS_HTTP_TOKEN_LABEL);
  return { host, port, token, tokenLabel, extraTokens: httpExtraTokens(env.CRDB_TLS_HTTP_TOKENS, tokenLabel), allowedOrigins: httpAllowedOrigins(env.CRDB_TLS_HTTP_ALLOWED_ORIGINS), loopback };
}
