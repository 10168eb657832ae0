import crypto from 'node:crypto';
import { WebStandardStreamableHTTPServerTransport, type AuthInfo, type McpServer } from '@modelcontextprotocol/server';
import { ToolError } from '../core/errors.js';

/** Sessions open at once on one server, whoever holds them. */
export const DEFAULT_MAX_SESSIONS = 64;
/** Sessions one token may hold open: one token's leftovers never fill the whole server. */
export const DEFAULT_MAX_SESSIONS_PER_TOKEN = 16;
/** A session no request has touched for this long is closed. */
export const DEFAULT_IDLE_SESSION_MS = 5 * 60_000;
/** At its own limit, a token's least recently used session is given up for a new one once it has been idle this long. */
const RECLAIM_AFTER_MS = 60_000;

export interface SessionLimits {
  maxSessions: number;
  maxSessionsPerToken: number;
  idleMs: number;
}

interface Session {
  id: string;
  owner: string;
  transport: WebStandardStreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
}

export type SessionLookup = { kind: 'ok'; transport: WebStandardStreamableHTTPServerTransport } | { kind: 'missing' } | { kind: 'not_yours' };
export type SessionOpening = { kind: 'ok'; response: Response } | { kind: 'full'; message: string };

/**
 * The 2025-era sessions of stateful MCP over HTTP (one McpServer each, so elicitation/create and
 * progress reach the client that opened it): a session belongs to the token that opened it, idle
 * ones are closed after minutes, and the caps apply per token and in all; at the cap in all, the
 * biggest holder makes room for a smaller one.
 */
export class LegacySessions {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly limits: SessionLimits,
    private readonly createServer: (principal: string) => McpServer,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => void this.closeIdle(), Math.max(1_000, Math.min(limits.idleMs / 4, 30_000)));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  countOf(owner: string): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.owner === owner) n++;
    return n;
  }

  find(id: string, owner: string): SessionLookup {
    const session = this.sessions.get(id);
    if (!session) return { kind: 'missing' };
    // Another token's session id is as good as unknown: no use of it, no hint that it exists.
    if (session.owner !== owner) return { kind: 'not_yours' };
    session.lastSeen = this.now();
    return { kind: 'ok', transport: session.transport };
  }

  private async closeIdle(): Promise<void> {
    const cutoff = this.now() - this.limits.idleMs;
    await Promise.all([...this.sessions.values()].filter((s) => s.lastSeen < cutoff).map((s) => this.close(s)));
  }

  private async close(session: Session): Promise<void> {
    if (!this.sessions.delete(session.id)) return;
    await session.server.close().catch(() => undefined);
  }

  /** Room for one more session of `owner`, or why there is none (naming the limit). */
  private async makeRoom(owner: string): Promise<string | undefined> {
    await this.closeIdle();
    const own = [...this.sessions.values()].filter((s) => s.owner === owner).sort((a, b) => a.lastSeen - b.lastSeen);
    if (own.length >= this.limits.maxSessionsPerToken) {
      const oldest = own[0]!;
      if (this.now() - oldest.lastSeen < RECLAIM_AFTER_MS) {
        return `this token already holds ${own.length} open MCP sessions, the limit per token (CRDB_TLS_MCP_MAX_SESSIONS_PER_TOKEN=${this.limits.maxSessionsPerToken}); close one with HTTP DELETE, or wait: an unused session is closed after ${Math.round(this.limits.idleMs / 60_000)} minutes`;
      }
      await this.close(oldest);
    }
    if (this.sessions.size >= this.limits.maxSessions && !(await this.takeFromBiggestHolder(owner))) {
      return `the server holds ${this.sessions.size} open MCP sessions, its limit (CRDB_TLS_MCP_MAX_SESSIONS=${this.limits.maxSessions}); try again once one closes (unused ones close after ${Math.round(this.limits.idleMs / 60_000)} minutes)`;
    }
    return undefined;
  }

  /**
   * The server is full: whoever holds the most sessions gives up its least recently used one, if
   * it still holds more than `owner` will after (so shares only even out and a token with one
   * session is never pushed out by another's first). Sessions opened and abandoned in bulk, from
   * one token or spread over several, so never lock out a token that holds few (issue 14).
   */
  private async takeFromBiggestHolder(owner: string): Promise<boolean> {
    const byOwner = new Map<string, Session[]>();
    for (const s of this.sessions.values()) byOwner.set(s.owner, [...(byOwner.get(s.owner) ?? []), s]);
    const mine = byOwner.get(owner)?.length ?? 0;
    let biggest: Session[] | undefined;
    for (const held of byOwner.values()) if (!biggest || held.length > biggest.length) biggest = held;
    if (!biggest || biggest.length <= mine + 1) return false;
    await this.close(biggest.reduce((lru, s) => (s.lastSeen < lru.lastSeen ? s : lru)));
    return true;
  }

  /** Handles an initialize request: a new session for `owner`, or a refusal that names the limit. */
  async open(request: Request, body: unknown, authInfo: AuthInfo): Promise<SessionOpening> {
    const owner = authInfo.clientId;
    const full = await this.makeRoom(owner);
    if (full) return { kind: 'full', message: full };
    const server = this.createServer(owner);
    let session: Session | undefined;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id) => {
        session = { id, owner, transport, server, lastSeen: this.now() };
        this.sessions.set(id, session);
      },
      onsessionclosed: (id) => {
        const closing = this.sessions.get(id);
        if (closing) void this.close(closing);
      },
    });
    transport.onclose = () => {
      if (session) void this.close(session);
    };
    await server.connect(transport);
    const response = await transport.handleRequest(request, { parsedBody: body, authInfo });
    // An initialize the transport refused leaves no session behind.
    if (!session) await server.close().catch(() => undefined);
    return { kind: 'ok', response };
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.values()].map((s) => this.close(s)));
  }
}

/** CRDB_TLS_MCP_MAX_SESSIONS, CRDB_TLS_MCP_MAX_SESSIONS_PER_TOKEN, CRDB_TLS_MCP_SESSION_IDLE_MINUTES: whole numbers ≥ 1, or the defaults. */
export function sessionLimitsFromEnv(env: NodeJS.ProcessEnv): SessionLimits {
  const whole = (name: string, fallback: number): number => {
    const value = env[name]?.trim();
    if (!value) return fallback;
    if (!/^\d{1,6}$/.test(value) || Number(value) < 1) throw new ToolError('invalid_input', `${name}=${value} is not a whole number of at least 1`, `Unset it for the default (${fallback}), or give a number such as ${fallback}.`);
    return Number(value);
  };
  return {
    maxSessions: whole('CRDB_TLS_MCP_MAX_SESSIONS', DEFAULT_MAX_SESSIONS),
    maxSessionsPerToken: whole('CRDB_TLS_MCP_MAX_SESSIONS_PER_TOKEN', DEFAULT_MAX_SESSIONS_PER_TOKEN),
    idleMs: whole('CRDB_TLS_MCP_SESSION_IDLE_MINUTES', DEFAULT_IDLE_SESSION_MS / 60_000) * 60_000,
  };
}
