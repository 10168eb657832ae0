import { AsyncLocalStorage } from 'node:async_hooks';
import type { McpServer } from '@modelcontextprotocol/server';

type Key = string;
const asRecord = (value: unknown): Record<string, unknown> | undefined => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);
const keyOf = (holder: string, id: unknown): Key | undefined => (typeof id === 'string' || typeof id === 'number' ? `${holder}\0${typeof id}:${id}` : undefined);

/**
 * Cancellation for 2025 clients on stateless HTTP. Such a client cancels with a separate POST of
 * notifications/cancelled, which a stateless server answers with a fresh instance that knows
 * nothing of the call. This replica remembers, only while a call runs, which instance serves the
 * token holder's request id, and closes that instance when the same holder cancels it (closing
 * aborts the call's signal). A cancel that reaches another replica cannot stop the call there;
 * 2026-07-28 clients cancel by closing the call's own response stream instead.
 */
export class InFlightLegacyCalls {
  private readonly running = new Map<Key, McpServer>();
  private readonly current = new AsyncLocalStorage<Key | undefined>();

  /** The factory's hook: the instance built for the request being served belongs to its key. */
  track(server: McpServer): McpServer {
    const key = this.current.getStore();
    if (key !== undefined) this.running.set(key, server);
    return server;
  }

  /** Runs `serve` for a request; a tools/call is cancellable by its holder while it runs. */
  async serving<T>(body: unknown, holder: string, serve: () => Promise<T>): Promise<T> {
    const message = asRecord(body);
    const key = message?.method === 'tools/call' ? keyOf(holder, message.id) : undefined;
    if (key === undefined || this.running.has(key)) return this.current.run(undefined, serve);
    try {
      return await this.current.run(key, serve);
    } finally {
      this.running.delete(key);
    }
  }

  /** A notifications/cancelled for a call of the same holder that runs here: it is stopped, and true. */
  cancels(body: unknown, holder: string): boolean {
    const message = asRecord(body);
    if (message?.method !== 'notifications/cancelled') return false;
    const key = keyOf(holder, asRecord(message.params)?.requestId);
    const server = key === undefined ? undefined : this.running.get(key);
    if (!server) return false;
    this.running.delete(key!);
    void server.close().catch(() => undefined);
    return true;
  }
}
