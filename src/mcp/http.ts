import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { createMcpHandler, isInitializeRequest, isLegacyRequest, type AuthInfo } from '@modelcontextprotocol/server';
import type { HttpSettings } from '../core/http-settings.js';
import { DEFAULT_IDLE_SESSION_MS, DEFAULT_MAX_SESSIONS, DEFAULT_MAX_SESSIONS_PER_TOKEN, LegacySessions, type SessionLimits } from './legacy-sessions.js';
import { InFlightLegacyCalls } from './in-flight.js';
import { sendWebResponse, toWebRequest } from './node-web.js';
import { createMcpServer, type Era, type McpFaceOptions } from './server.js';

/** The MCP endpoint's path: the one URL this server answers. */
const MCP_PATH = '/mcp';
/**
 * Request bodies up to this size are read; a larger one is answered 413 with a JSON-RPC error.
 * 4 MiB leaves room for a pasted bundle or a long stack trace (the issue asks for at least 2 MB).
 */
const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** A client that keeps sending past the limit is cut off here instead of being drained forever. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

export interface HttpServeOptions extends McpFaceOptions, HttpSettings {
  maxBodyBytes?: number;
  /**
   * Stateless: every request is served by a fresh server instance and nothing is held between
   * requests, so replicas behind a load balancer can share one store (2025 clients are served
   * the stateless way, without sessions). Stateful (the default): 2025 clients get sessions.
   */
  stateless?: boolean;
  sessionLimits?: Partial<SessionLimits>;
}

export interface HttpServerHandle {
  /** The endpoint, e.g. http://127.0.0.1:8080/mcp (the real port when 0 was asked for). */
  url: string;
  port: number;
  /** Open 2025-era MCP sessions (always 0 when stateless). */
  sessionCount(): number;
  close(): Promise<void>;
}

const sha256 = (value: string) => crypto.createHash('sha256').update(value, 'utf8').digest();

/**
 * The label of the token the request carries, or undefined. Every token's digest is compared
 * (equal lengths, no early exit), so neither a token's length nor its prefix leaks by timing.
 */
function tokenHolder(header: string | undefined, tokens: Array<{ label: string; digest: Buffer }>): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  const given = sha256(match?.[1] ?? '');
  let holder: string | undefined;
  for (const token of tokens) if (crypto.timingSafeEqual(given, token.digest) && match !== null) holder ??= token.label;
  return holder;
}

function sendJsonRpcError(res: http.ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

type BodyOutcome = { kind: 'ok'; text: string } | { kind: 'too_large' } | { kind: 'aborted' };

/**
 * Reads the body up to `limit` bytes. Past the limit it stops keeping bytes but goes on reading
 * (up to MAX_DRAIN_BYTES), so the client finishes its upload and reads the 413 instead of seeing
 * a reset connection.
 */
function readBody(req: http.IncomingMessage, limit: number): Promise<BodyOutcome> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_DRAIN_BYTES) {
      // Not worth reading: answer now and close once the answer is out.
      resolve({ kind: 'too_large' });
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let tooLarge = Number.isFinite(declared) && declared > limit;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_DRAIN_BYTES) {
        req.destroy();
        resolve({ kind: 'aborted' });
        return;
      }
      if (received > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? { kind: 'too_large' } : { kind: 'ok', text: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', () => resolve({ kind: 'aborted' }));
    req.on('close', () => resolve({ kind: 'aborted' }));
  });
}

/**
 * Serves the catalog over MCP Streamable HTTP at /mcp, both protocol eras on one endpoint:
 * 2026-07-28 requests through the SDK's per-request entry (createMcpHandler: a fresh server per
 * request, confirmation state sealed in the request), 2025 requests through sessions (stateful,
 * so elicitation/create and progress reach the right client) or per request (--stateless).
 * Bearer-token authentication, Origin and Host checks against DNS rebinding, and a body limit
 * answered with a JSON-RPC error come first, for both eras.
 *
 * Order of checks: path → Host/Origin (403) → token (401) → method → body size (413) → JSON → era.
 * A request without Origin is let through: browsers always send Origin on the cross-origin and
 * POST requests a rebinding page would make, and the MCP spec (2025-11-25, transports, security
 * warning) asks for 403 when an Origin is present and invalid; non-browser clients send none. The
 * token and, on loopback, the Host check still apply to them.
 */
export async function startHttpServer(options: HttpServeOptions): Promise<HttpServerHandle> {
  const { runtime } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const tokens = [{ label: options.tokenLabel, token: options.token }, ...(options.extraTokens ?? [])].map((t) => ({ label: t.label, digest: sha256(t.token) }));
  const log = runtime.log;
  let allowedOrigins = new Set<string>();
  let allowedHosts: Set<string> | undefined = undefined;

  const serverFor = (era: Era, principal: string | undefined) => createMcpServer(options, { era, ...(principal !== undefined ? { principal } : {}) });
  const onerror = (error: Error) => log.debug({ err: error }, 'MCP over HTTP: request refused by the SDK');
  const cancellable = new InFlightLegacyCalls();
  const perRequest = createMcpHandler(({ era, authInfo }) => cancellable.track(serverFor(era, authInfo?.clientId)), {
    legacy: options.stateless ? 'stateless' : 'reject',
    onerror,
    maxRequestBodySize: maxBodyBytes,
  });
  const sessions = options.stateless
    ? undefined
    : new LegacySessions(
        { maxSessions: DEFAULT_MAX_SESSIONS, maxSessionsPerToken: DEFAULT_MAX_SESSIONS_PER_TOKEN, idleMs: DEFAULT_IDLE_SESSION_MS, ...options.sessionLimits },
        (principal) => serverFor('legacy', principal),
      );

  async function serveLegacySession(request: Request, res: http.ServerResponse, body: unknown, authInfo: AuthInfo): Promise<void> {
    const sessionHeader = request.headers.get('mcp-session-id');
    if (sessionHeader) {
      const found = sessions!.find(sessionHeader, authInfo.clientId);
      if (found.kind !== 'ok') {
        sendJsonRpcError(res, 404, -32001, 'session not found (it was closed, expired after being idle, or belongs to another token); start a new one with initialize');
        return;
      }
      await sendWebResponse(await found.transport.handleRequest(request, { parsedBody: body, authInfo }), res);
      return;
    }
    if (request.method !== 'POST') {
      sendJsonRpcError(res, 400, -32000, 'bad request: Mcp-Session-Id header is required');
      return;
    }
    if (!isInitializeRequest(body)) {
      sendJsonRpcError(res, 400, -32000, 'bad request: no Mcp-Session-Id; start a session with initialize (or send 2026-07-28 requests, which need none)');
      return;
    }
    const opened = await sessions!.open(request, body, authInfo);
    if (opened.kind === 'full') {
      sendJsonRpcError(res, 503, -32000, `too many open MCP sessions: ${opened.message}`, { 'retry-after': '60' });
      return;
    }
    await sendWebResponse(opened.response, res);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname !== MCP_PATH) {
      sendJsonRpcError(res, 404, -32000, `not found: the MCP endpoint is ${MCP_PATH}`);
      req.resume();
      return;
    }
    const hostHeader = req.headers.host?.toLowerCase();
    if (allowedHosts && (!hostHeader || !allowedHosts.has(hostHeader))) {
      sendJsonRpcError(res, 403, -32000, `forbidden: Host ${hostHeader ?? '(none)'} is not this server's loopback address`);
      req.resume();
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let normalised: string | undefined;
      try {
        normalised = new URL(origin).origin;
      } catch {
        normalised = undefined;
      }
      if (!normalised || normalised === 'null' || !allowedOrigins.has(normalised)) {
        sendJsonRpcError(res, 403, -32000, `forbidden: Origin ${origin} is not allowed (CRDB_TLS_HTTP_ALLOWED_ORIGINS)`);
        req.resume();
        return;
      }
    }
    const holder = tokenHolder(req.headers.authorization, tokens);
    if (holder === undefined) {
      sendJsonRpcError(res, 401, -32001, 'unauthorized: send Authorization: Bearer <CRDB_TLS_HTTP_TOKEN>', { 'www-authenticate': 'Bearer realm="crdb-tls"' });
      req.resume();
      return;
    }
    // "Who asked" is the token's label (DESIGN.md §3); the token itself goes no further.
    const authInfo: AuthInfo = { token: 'redacted', clientId: holder, scopes: [] };
    const method = req.method ?? 'GET';
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
      sendJsonRpcError(res, 405, -32000, 'method not allowed: use POST, GET or DELETE', { allow: 'GET, POST, DELETE' });
      req.resume();
      return;
    }
    let text: string | undefined;
    let body: unknown;
    if (method === 'POST') {
      const read = await readBody(req, maxBodyBytes);
      if (read.kind === 'aborted') {
        if (!res.headersSent && !res.destroyed) sendJsonRpcError(res, 400, -32600, 'request body ended early');
        return;
      }
      if (read.kind === 'too_large') {
        sendJsonRpcError(res, 413, -32600, `request body over ${maxBodyBytes} bytes; nothing was processed`, { connection: 'close' });
        return;
      }
      try {
        body = JSON.parse(read.text);
      } catch {
        sendJsonRpcError(res, 400, -32700, 'parse error: the body is not JSON');
        return;
      }
      text = read.text;
    } else {
      req.resume();
    }
    const request = toWebRequest(req, res, `http://${hostHeader ?? 'localhost'}${req.url ?? MCP_PATH}`, text);
    if (sessions && (await isLegacyRequest(request, body, { maxRequestBodySize: maxBodyBytes }))) {
      await serveLegacySession(request, res, body, authInfo);
      return;
    }
    if (cancellable.cancels(body, holder)) {
      res.writeHead(202).end();
      return;
    }
    await cancellable.serving(body, holder, async () => sendWebResponse(await perRequest.fetch(request, { parsedBody: body, authInfo }), res));
  }

  const httpServer = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: error }, 'MCP over HTTP: request failed');
      sendJsonRpcError(res, 500, -32603, 'internal error');
    });
  });
  httpServer.requestTimeout = 120_000;
  httpServer.headersTimeout = 30_000;
  // Idle keep-alive longer than clients' and proxies' own (undici 4 s, load balancers 60 s): the client
  // closes an idle connection first, so it never sends a request on a socket the server is closing.
  httpServer.keepAliveTimeout = 65_000;

  await listen(httpServer, options.port, options.host);
  const address = httpServer.address() as net.AddressInfo;
  const port = address.port;
  const hostForUrl = net.isIPv6(options.host) ? `[${options.host}]` : options.host;
  const loopbackNames = ['127.0.0.1', 'localhost', '[::1]'];
  allowedOrigins = new Set(options.allowedOrigins ?? loopbackNames.slice(0, 2).map((h) => `http://${h}:${port}`));
  // On loopback only this machine's names are valid Host values: a rebinding page's Host is its own domain.
  allowedHosts = options.loopback ? new Set([...loopbackNames, hostForUrl.toLowerCase()].map((h) => `${h}:${port}`)) : undefined;

  return {
    url: `http://${hostForUrl}:${port}${MCP_PATH}`,
    port,
    sessionCount: () => sessions?.size ?? 0,
    close: async () => {
      await sessions?.closeAll();
      await perRequest.close();
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    },
  };
}

/** Listens, or fails with the OS error: the CLI turns a port in use into one line naming it (listenFailure). */
function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
