import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolError, fileSystemError } from '../core/errors.js';
import { AuditEvent, PENDING_CALL_GRACE_MS, SavedPlan, type ConsumeOutcome, type NewAuditEvent, type PendingCall, type PendingConfirmation, type StepProgress, type StepUpdate, type Store } from './types.js';

export const AUDIT_FILE = 'audit.jsonl';
/** Rotation plans live as one JSON file each under this directory of the state dir (DESIGN.md §4). */
export const PLANS_DIR = 'plans';
/** Plan ids are made by crdb-tls; anything else is refused before it can name a path. */
const PLAN_ID = /^[A-Za-z0-9_-]{1,100}$/;
/** A lock older than this was left by a process that died mid-update: it is taken over. */
const STALE_LOCK_MS = 30_000;

/**
 * The default store: confirmations in this process, the audit trail appended to a JSON-lines file
 * in the state directory and fsynced before the caller goes on (DESIGN.md §4).
 */
export class EmbeddedStore implements Store {
  readonly kind = 'embedded' as const;
  private readonly confirmations = new Map<string, PendingConfirmation>();
  private readonly pendingCalls = new Map<string, PendingCall>();
  private readonly auditPath: string;
  private readonly plansDir: string;
  /** Appends are chained so that lines from one process never interleave. */
  private appendQueue: Promise<unknown> = Promise.resolve();

  constructor(stateDir: string) {
    this.auditPath = path.join(stateDir, AUDIT_FILE);
    this.plansDir = path.join(stateDir, PLANS_DIR);
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

  async declineConfirmation(id: string, by: string): Promise<boolean> {
    const found = this.confirmations.get(id);
    if (found?.state !== 'pending') return false;
    found.state = 'declined';
    found.consumed_by = by;
    return true;
  }

  async savePendingCall(call: PendingCall): Promise<void> {
    const staleBefore = Date.now() - PENDING_CALL_GRACE_MS;
    for (const [id, kept] of this.pendingCalls) if (Date.parse(kept.expires_at) < staleBefore) this.pendingCalls.delete(id);
    if (!this.pendingCalls.has(call.confirmation_id)) this.pendingCalls.set(call.confirmation_id, structuredClone(call));
  }

  async pendingCall(confirmationId: string): Promise<PendingCall | undefined> {
    const kept = this.pendingCalls.get(confirmationId);
    return kept && Date.parse(kept.expires_at) >= Date.now() - PENDING_CALL_GRACE_MS ? structuredClone(kept) : undefined;
  }

  private planPath(id: string): string {
    return path.join(this.plansDir, `${id}.json`);
  }

  async savePlan(plan: SavedPlan): Promise<void> {
    if (!PLAN_ID.test(plan.id)) throw new ToolError('invalid_input', `plan id ${JSON.stringify(plan.id)} is not a valid id`);
    try {
      await fs.mkdir(this.plansDir, { recursive: true, mode: 0o700 });
      // Linked into place: a second save of the same id fails on the link and keeps the first.
      await writeJsonAtomically(this.planPath(plan.id), plan, { replace: false });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
      throw planStoreError(error, this.planPath(plan.id), 'save the rotation plan');
    }
  }

  async loadPlan(id: string): Promise<SavedPlan | undefined> {
    if (!PLAN_ID.test(id)) return undefined;
    let text: string;
    try {
      text = await fs.readFile(this.planPath(id), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw planStoreError(error, this.planPath(id), 'read the rotation plan');
    }
    const parsed = SavedPlan.safeParse(safeJson(text));
    if (!parsed.success) throw new ToolError('internal', `the rotation plan file ${this.planPath(id)} is not a plan crdb-tls can read`, 'It was changed by hand or by another version; make a new plan.');
    return parsed.data;
  }

  async updateStep(update: StepUpdate): Promise<StepProgress | undefined> {
    if (!PLAN_ID.test(update.planId)) return undefined;
    // Other CLI processes share the file: a lock directory makes read-check-write one step across them.
    return this.withPlanLock(update.planId, async () => {
      const plan = await this.loadPlan(update.planId);
      const step = plan?.steps.find((s) => s.number === update.number);
      if (!plan || !step || !update.from.includes(step.status)) return undefined;
      step.status = update.status;
      step.updated_at = update.now.toISOString();
      step.record = { ...step.record, ...update.record };
      try {
        await writeJsonAtomically(this.planPath(plan.id), plan, { replace: true });
      } catch (error) {
        throw planStoreError(error, this.planPath(plan.id), 'update the rotation plan');
      }
      return structuredClone(step);
    });
  }

  private async withPlanLock<T>(id: string, action: () => Promise<T>): Promise<T> {
    const lock = path.join(this.plansDir, `${id}.lock`);
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await fs.mkdir(lock);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw planStoreError(error, lock, 'lock the rotation plan');
        const age = await fs.stat(lock).then((stat) => Date.now() - stat.mtimeMs, () => 0);
        if (age > STALE_LOCK_MS) await fs.rmdir(lock).catch(() => undefined);
        else if (Date.now() > deadline) throw new ToolError('refused', `the rotation plan ${id} is being updated by another process`, `Try again; if no crdb-tls process is running, remove ${lock}.`);
        else await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    try {
      return await action();
    } finally {
      await fs.rmdir(lock).catch(() => undefined);
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

/** Temp file in the same directory, fsynced, then renamed (replace) or linked (create only) into place. */
async function writeJsonAtomically(file: string, value: unknown, { replace }: { replace: boolean }): Promise<void> {
  const temp = `${file}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  const handle = await fs.open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(value, null, 2) + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (replace) await fs.rename(temp, file);
    else await fs.link(temp, file);
  } finally {
    await fs.rm(temp, { force: true });
  }
  const dir = await fs.open(path.dirname(file), 'r').catch(() => undefined);
  await dir?.sync().catch(() => undefined);
  await dir?.close();
}

function planStoreError(error: unknown, file: string, action: string): ToolError {
  if (error instanceof ToolError) return error;
  const failure = fileSystemError(error, file, action);
  return new ToolError(failure.code, failure.message, 'Set CRDB_TLS_STATE_DIR to a directory you may write.');
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
