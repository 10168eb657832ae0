import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { HttpSettings } from '../core/http-settings.js';
import { Runner, type RunResult } from '../core/runner.js';
import type { Runtime } from '../core/runtime.js';
import type { ToolContext, ToolDefinition } from '../core/tool.js';
import { createMcpServer, type McpFaceOptions } from './server.js';

/** The MCP endpoint's path: the one URL this server answers. */
export const MCP_PATH = '/mcp';
/**
 * Request bodies up to this size are read; a larger one is answered 413 with a JSON-RPC error.
 * 4 MiB leaves room for a pasted bundle or a long stack trace (the issue asks for at least 2 MB).
 */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** A client that keeps sending past the limit is cut off here instead of being drained forever. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_SESSIONS = 64;
/** A session no request has touched for this long is closed when room is needed for a new one. */
const IDLE_SESSION_MS = 30 * 60_000;

export interface HttpServeOptions extends McpFaceOptions, HttpSettings {
  maxBodyBytes?: number;
  maxSessions?: number;
}

export interface HttpServerHandle {
  /** The endpoint, e.g. http://127.0.0.1:8080/mcp (the real port when 0 was asked for). */
  url: string;
  port: number;
  /** Open MCP sessions. */
  sessionCount(): number;
  close(): Promise<void>;
}

/** The runner every HTTP session calls through: "who asked" is the token's label (DESIGN.md §3). */
class TokenHolderRunner extends Runner {
  constructor(
    base: Runner,
    private readonly label: string,
  ) {
    super(base.policy, base.store);
  }

  override run(tool: ToolDefinition, rawInput: unknown, ctx: ToolContext): Promise<RunResult> {
    return super.run(tool, rawInput, { ...ctx, requester: this.label });
  }
}

const sha256 = (value: string) => crypto.createHash('sha256').update(value, 'utf8').digest();

/** Compares digests of equal length, so neither the token's length nor its prefix leaks by timing. */
function tokenMatches(header: string | undefined, expectedDigest: Buffer): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  const given = sha256(match?.[1] ?? '');
  return crypto.timingSafeEqual(given, expectedDigest) && match !== null;
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

interface Session {
  transport: StreamableHTTPServerTransport;
  lastSeen: number;
  close(): Promise<void>;
}

/**
 * Serves the catalog over MCP Streamable HTTP at /mcp: stateful sessions (one McpServer each, so
 * elicitation and progress reach the right client), bearer-token authentication, Origin and Host
 * checks against DNS rebinding, and a body limit answered with a JSON-RPC error.
 *
 * Order of checks: path → Host/Origin (403) → token (401) → method → body size (413) → JSON → session.
 * A request without Origin is let through: browsers always send Origin on the cross-origin and
 * POST requests a rebinding page would make, and the MCP spec (2025-11-25, transports, security
 * warning) asks for 403 when an Origin is present and invalid; non-browser clients send none. The
 * token and, on loopback, the Host check still apply to them.
 */
export async function startHttpServer(options: HttpServeOptions): Promise<HttpServerHandle> {
  const { catalog, runtime, version } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const expectedDigest = sha256(options.token);
  const sessionRuntime: Runtime = { ...runtime, runner: new TokenHolderRunner(runtime.runner, options.tokenLabel) };
  const sessions = new Map<string, Session>();
  let allowedOrigins = new Set<string>();
  let allowedHosts: Set<string> | undefined;
  const log = runtime.log;

  async function openSession(req: http.IncomingMessage, res: http.ServerResponse, body: unknown): Promise<void> {
    if (sessions.size >= maxSessions) {
      // Clients that vanished without DELETE leave sessions behind: the idle ones make room.
      const now = Date.now();
      await Promise.all([...sessions.values()].filter((s) => now - s.lastSeen > IDLE_SESSION_MS).map((s) => s.close()));
    }
    if (sessions.size >= maxSessions) {
      sendJsonRpcError(res, 503, -32000, `too many open MCP sessions (${maxSessions}); close one (HTTP DELETE) and try again`);
      return;
    }
    const server = createMcpServer({ catalog, runtime: sessionRuntime, version });
    let session: Session | undefined;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, session!);
      },
    });
    let closing = false;
    session = {
      transport,
      lastSeen: Date.now(),
      close: async () => {
        if (closing) return;
        closing = true;
        if (transport.sessionId) sessions.delete(transport.sessionId);
        await server.close().catch(() => undefined);
      },
    };
    transport.onclose = () => void session!.close();
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    // An initialize that the transport refused leaves no session behind.
    if (!transport.sessionId || !sessions.has(transport.sessionId)) await session.close();
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
    if (!tokenMatches(req.headers.authorization, expectedDigest)) {
      sendJsonRpcError(res, 401, -32001, 'unauthorized: send Authorization: Bearer <CRDB_TLS_HTTP_TOKEN>', { 'www-authenticate': 'Bearer realm="crdb-tls"' });
      req.resume();
      return;
    }
    const method = req.method ?? 'GET';
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
      sendJsonRpcError(res, 405, -32000, 'method not allowed: use POST, GET or DELETE', { allow: 'GET, POST, DELETE' });
      req.resume();
      return;
    }
    const sessionHeader = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(sessionHeader) ? sessionHeader[0] : sessionHeader;
    if (method !== 'POST') {
      const session = sessionId ? sessions.get(sessionId) : undefined;
      if (!session) {
        sendJsonRpcError(res, sessionId ? 404 : 400, sessionId ? -32001 : -32000, sessionId ? 'session not found' : 'bad request: Mcp-Session-Id header is required');
        req.resume();
        return;
      }
      session.lastSeen = Date.now();
      await session.transport.handleRequest(req, res);
      return;
    }

    const read = await readBody(req, maxBodyBytes);
    if (read.kind === 'aborted') {
      if (!res.headersSent && !res.destroyed) sendJsonRpcError(res, 400, -32600, 'request body ended early');
      return;
    }
    if (read.kind === 'too_large') {
      sendJsonRpcError(res, 413, -32600, `request body over ${maxBodyBytes} bytes; nothing was processed`, { connection: 'close' });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(read.text);
    } catch {
      sendJsonRpcError(res, 400, -32700, 'parse error: the body is not JSON');
      return;
    }
    if (sessionId) {
      const session = sessions.get(sessionId);
      if (!session) {
        sendJsonRpcError(res, 404, -32001, 'session not found');
        return;
      }
      session.lastSeen = Date.now();
      await session.transport.handleRequest(req, res, body);
      return;
    }
    if (!isInitializeRequest(body)) {
      sendJsonRpcError(res, 400, -32000, 'bad request: no Mcp-Session-Id; start a session with initialize');
      return;
    }
    await openSession(req, res, body);
  }

  const httpServer = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: error }, 'MCP over HTTP: request failed');
      sendJsonRpcError(res, 500, -32603, 'internal error');
    });
  });
  httpServer.requestTimeout = 120_000;
  httpServer.headersTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
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
    sessionCount: () => sessions.size,
    close: async () => {
      await Promise.all([...sessions.values()].map((s) => s.close()));
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    },
  };
}
