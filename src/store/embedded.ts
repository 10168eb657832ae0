import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolError, fileSystemError } from '../core/errors.js';
import { AuditEvent, type ConsumeOutcome, type NewAuditEvent, type PendingConfirmation, type Store } from './types.js';

export const AUDIT_FILE = 'audit.jsonl';

/**
 * The default store: confirmations in this process, the audit trail appended to a JSON-lines file
 * in the state directory and fsynced before the caller goes on (DESIGN.md §4).
 */
export class EmbeddedStore implements Store {
  readonly kind = 'embedded' as const;
  private readonly confirmations = new Map<string, PendingConfirmation>();
  private readonly auditPath: string;
  /** Appends are chained so that lines from one process never interleave. */
  private appendQueue: Promise<unknown> = Promise.resolve();

  constructor(stateDir: string) {
    this.auditPath = path.join(stateDir, AUDIT_FILE);
  }

  async saveConfirmation(confirmation: PendingConfirmation): Promise<void> {
    this.confirmations.set(confirmation.id, { ...confirmation });
  }

  async consumeConfirmation({ id, tool, inputHash, consumer, now }: { id: string; tool: string; inputHash: string; consumer: string; now: Date }): Promise<ConsumeOutcome> {
    // Synchronous from the lookup to the state change: nothing else in this process runs in between.
    const found = this.confirmations.get(id);
    if (!found) return { ok: false, reason: 'not_found' };
    if (found.state === 'consumed') return { ok: false, reason: 'already_used' };
    if (found.state === 'declined') return { ok: false, reason: 'declined' };
    if (new Date(found.expires_at) <= now) return { ok: false, reason: 'expired' };
    if (found.tool !== tool || found.input_hash !== inputHash) return { ok: false, reason: 'other_input' };
    found.state = 'consumed';
    found.consumed_by = consumer;
    return { ok: true, confirmation: { ...found } };
  }

  async declineConfirmation(id: string, by: string): Promise<void> {
    const found = this.confirmations.get(id);
    if (found?.state === 'pending') {
      found.state = 'declined';
      found.consumed_by = by;
    }
  }

  appendAudit(event: NewAuditEvent): Promise<AuditEvent> {
    const full: AuditEvent = { ...event, id: crypto.randomUUID(), at: event.at ?? new Date().toISOString() };
    const write = this.appendQueue.then(() => this.appendLine(JSON.stringify(full) + '\n'));
    this.appendQueue = write.catch(() => undefined);
    return write.then(() => full);
  }

  /** Without a trace there is no action: a failed append fails the call, before anything changes. */
  private async appendLine(line: string): Promise<void> {
    let handle: fs.FileHandle | undefined;
    try {
      await fs.mkdir(path.dirname(this.auditPath), { recursive: true, mode: 0o700 });
      handle = await fs.open(this.auditPath, 'a', 0o600);
      await handle.write(line);
      await handle.datasync();
    } catch (error) {
      const failure = fileSystemError(error, this.auditPath, 'append to the audit log');
      throw new ToolError(failure.code, failure.message, 'Set CRDB_TLS_STATE_DIR to a directory you may write.');
    } finally {
      await handle?.close();
    }
  }

  async recentAudit(limit: number, tool?: string): Promise<AuditEvent[]> {
    let text: string;
    try {
      text = await fs.readFile(this.auditPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const events: AuditEvent[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      // A line torn by a crash mid-write is skipped, not fatal.
      const parsed = AuditEvent.safeParse(safeJson(line));
      if (parsed.success && (!tool || parsed.data.tool === tool)) events.push(parsed.data);
    }
    return events.slice(-limit).reverse();
  }

  async close(): Promise<void> {
    await this.appendQueue;
  }
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
