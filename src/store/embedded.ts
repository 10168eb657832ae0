import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolError, fileSystemError } from '../core/errors.js';
import { ConfirmationFiles } from './confirmation-files.js';
import { safeJson, stateFileError, withLock, writeJsonAtomically } from './files.js';
import { AuditEvent, PENDING_CALL_GRACE_MS, SavedPlan, type ConfirmationApproval, type ConsumeOutcome, type NewAuditEvent, type PendingCall, type PendingConfirmation, type StepProgress, type StepUpdate, type Store } from './types.js';

const AUDIT_FILE = 'audit.jsonl';
/** Rotation plans live as one JSON file each under this directory of the state dir (DESIGN.md §4). */
const PLANS_DIR = 'plans';
/** Plan ids are made by crdb-tls; anything else is refused before it can name a path. */
const PLAN_ID = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * The default store: confirmations as files in the state directory (so that `crdb-tls confirm` in
 * a person's terminal reaches them), Slack's pending calls in this process, the audit trail
 * appended to a JSON-lines file fsynced before the caller goes on (DESIGN.md §4).
 */
export class EmbeddedStore implements Store {
  readonly kind = 'embedded' as const;
  private readonly confirmations: ConfirmationFiles;
  private readonly pendingCalls = new Map<string, PendingCall>();
  /** Claimed keys and when each claim ends: a single process is the only replica the embedded store has. */
  private readonly claims = new Map<string, number>();
  private readonly auditPath: string;
  private readonly plansDir: string;
  /** Appends are chained so that lines from one process never interleave. */
  private appendQueue: Promise<unknown> = Promise.resolve();

  constructor(stateDir: string) {
    this.auditPath = path.join(stateDir, AUDIT_FILE);
    this.plansDir = path.join(stateDir, PLANS_DIR);
    this.confirmations = new ConfirmationFiles(stateDir);
  }

  saveConfirmation(confirmation: PendingConfirmation): Promise<void> {
    return this.confirmations.save(confirmation);
  }

  getConfirmation(id: string): Promise<PendingConfirmation | undefined> {
    return this.confirmations.get(id);
  }

  openConfirmations(now: Date): Promise<PendingConfirmation[]> {
    return this.confirmations.open(now);
  }

  consumeConfirmation(args: { id: string; tool: string; inputHash: string; consumer: string; now: Date; from?: Array<'pending' | 'approved'> }): Promise<ConsumeOutcome> {
    return this.confirmations.consume(args);
  }

  approveConfirmation(id: string, approval: ConfirmationApproval, now: Date): Promise<boolean> {
    return this.confirmations.approve(id, approval, now);
  }

  declineConfirmation(id: string, by: string): Promise<boolean> {
    return this.confirmations.decline(id, by);
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

  async claimOnce(key: string, ttlMs: number, now: Date = new Date()): Promise<boolean> {
    const at = now.getTime();
    // Called before every Slack ack: the sweep stops at the first live claim instead of visiting them all. Claims are
    // kept in the order they were made, which is the order they end for one TTL; one outlived by a longer claim before it
    // stays until that one ends, and counts as ended all the same.
    for (const [kept, until] of this.claims) {
      if (until > at) break;
      this.claims.delete(kept);
    }
    const until = this.claims.get(key);
    if (until !== undefined && until > at) return false;
    this.claims.delete(key);
    this.claims.set(key, at + ttlMs);
    return true;
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
      throw stateFileError(error, this.planPath(plan.id), 'save the rotation plan');
    }
  }

  async loadPlan(id: string): Promise<SavedPlan | undefined> {
    if (!PLAN_ID.test(id)) return undefined;
    let text: string;
    try {
      text = await fs.readFile(this.planPath(id), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw stateFileError(error, this.planPath(id), 'read the rotation plan');
    }
    const parsed = SavedPlan.safeParse(safeJson(text));
    if (!parsed.success) throw new ToolError('internal', `the rotation plan file ${this.planPath(id)} is not a plan crdb-tls can read`, 'It was changed by hand or by another version; make a new plan.');
    return parsed.data;
  }

  async updateStep(update: StepUpdate): Promise<StepProgress | undefined> {
    if (!PLAN_ID.test(update.planId)) return undefined;
    // Other CLI processes share the file: a lock directory makes read-check-write one step across them.
    return withLock(path.join(this.plansDir, `${update.planId}.lock`), `the rotation plan ${update.planId}`, async () => {
      const plan = await this.loadPlan(update.planId);
      const step = plan?.steps.find((s) => s.number === update.number);
      if (!plan || !step || !update.from.includes(step.status)) return undefined;
      step.status = update.status;
      step.updated_at = update.now.toISOString();
      step.record = { ...step.record, ...update.record };
      try {
        await writeJsonAtomically(this.planPath(plan.id), plan, { replace: true });
      } catch (error) {
        throw stateFileError(error, this.planPath(plan.id), 'update the rotation plan');
      }
      return structuredClone(step);
    });
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

