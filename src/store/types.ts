import * as z from 'zod';
import { Assessment } from '../core/assessment.js';

const ConfirmationState = z.enum(['pending', 'approved', 'consumed', 'declined']);

/** Where a confirmation was asked for: the face whose runner answered confirmation_required. */
export const ConfirmationFace = z.enum(['mcp', 'slack', 'cli']);
export type ConfirmationFace = z.infer<typeof ConfirmationFace>;

/** How a person said yes (or how the gate was told to do without one); recorded in every audit event of a confirmation. */
export const ConfirmationChannel = z.enum(['elicitation', 'terminal', 'slack', 'assistant', 'cli_prompt', 'cli_yes']);
export type ConfirmationChannel = z.infer<typeof ConfirmationChannel>;

/**
 * The rule a confirmation was issued under (DESIGN.md §3), fixed when it is made:
 * - `slack_click`: only a Confirm click in Slack by someone the Slack policy allows (four-eyes for high);
 * - `person`: a person approves out of band first (`approve_via`), then the requester's next call with the id runs;
 * - `assistant`: the requester passing the id back is enough (CRDB_TLS_MCP_CONFIRM=assistant, advisory).
 */
export const ConfirmationBinding = z.object({
  face: ConfirmationFace,
  redeem: z.enum(['slack_click', 'person', 'assistant']),
  approve_via: z.array(z.enum(['terminal', 'slack'])),
  four_eyes: z.boolean(),
  /** Where the asking server ran: a terminal approval must come from the same OS user on the same host. */
  origin: z.object({ os_user: z.string(), host: z.string(), pid: z.number().int(), ppid: z.number().int() }),
});
export type ConfirmationBinding = z.infer<typeof ConfirmationBinding>;

/** A person's out-of-band yes to a `person` confirmation, before the requester redeems it. */
export const ConfirmationApproval = z.object({ channel: z.enum(['terminal', 'slack']), by: z.string(), at: z.string() });
export type ConfirmationApproval = z.infer<typeof ConfirmationApproval>;

/** A request for a person's agreement to one exact call (DESIGN.md §3). */
export const PendingConfirmation = z.object({
  id: z.string(),
  tool: z.string(),
  input_hash: z.string(),
  assessment: Assessment,
  requester: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
  state: ConfirmationState,
  consumed_by: z.string().nullable(),
  binding: ConfirmationBinding,
  approval: ConfirmationApproval.nullable(),
});
export type PendingConfirmation = z.infer<typeof PendingConfirmation>;

/** Confirmation ids are made by the gate; anything else is unknown before it can name a file or a row. */
export const CONFIRMATION_ID = /^cf_[A-Za-z0-9_-]{16,64}$/;
/** An expired confirmation is kept this long (a late call still hears "expired", not "unknown"), then purged. */
export const CONFIRMATION_GRACE_MS = 3_600_000;

/**
 * What a face keeps beside a pending confirmation so that whoever redeems it, on any replica, can
 * replay the exact call: the confirmation itself holds only the input's hash. Slack keeps the input
 * and where its buttons are; it expires with the confirmation.
 */
export const PendingCall = z.object({
  confirmation_id: z.string(),
  face: z.string(),
  payload: z.record(z.string(), z.unknown()),
  expires_at: z.string(),
});
export type PendingCall = z.infer<typeof PendingCall>;
/** A pending call outlives its confirmation by an hour, so that a late click still gets a precise answer ("expired"). */
export const PENDING_CALL_GRACE_MS = 3_600_000;

/**
 * One step's progress in a saved rotation plan (DESIGN.md §4). The store keeps it opaque beyond
 * number and status: src/rotation owns what `record` holds (backups, who applied it, errors).
 */
export const StepProgress = z.object({
  number: z.number().int(),
  status: z.string(),
  updated_at: z.string().nullable(),
  record: z.record(z.string(), z.unknown()),
});
export type StepProgress = z.infer<typeof StepProgress>;

/** A rotation plan as saved: the plan itself never changes after saving; its steps' progress does. */
export const SavedPlan = z.object({
  id: z.string(),
  created_at: z.string(),
  created_by: z.string(),
  plan: z.record(z.string(), z.unknown()),
  steps: z.array(StepProgress),
});
export type SavedPlan = z.infer<typeof SavedPlan>;

/** A compare-and-set on one step: applied only while the step's status is one of `from`. */
export interface StepUpdate {
  planId: string;
  number: number;
  from: string[];
  status: string;
  /** Merged into the step's record (shallow: a key given here replaces the key kept). */
  record: Record<string, unknown>;
  now: Date;
}

export const AuditEventKind = z.enum(['requested', 'dry_run', 'confirmation_required', 'approved', 'confirmed', 'declined', 'refused', 'done', 'failed', 'network_call', 'revealed']);

/** One line of the audit trail: who asked, who agreed, what was done, how it ended. */
export const AuditEvent = z.object({
  id: z.string(),
  at: z.string(),
  event: AuditEventKind,
  tool: z.string(),
  requester: z.string(),
  confirmer: z.string().nullable(),
  severity: z.string().nullable(),
  confirmation_id: z.string().nullable(),
  input_hash: z.string(),
  detail: z.record(z.string(), z.unknown()),
});
export type AuditEvent = z.infer<typeof AuditEvent>;
export type NewAuditEvent = Omit<AuditEvent, 'id' | 'at'> & { at?: string };

export type ConsumeOutcome =
  | { ok: true; confirmation: PendingConfirmation }
  | { ok: false; reason: 'not_found' | 'already_used' | 'declined' | 'expired' | 'other_input' | 'not_approved' };

/**
 * Where confirmations and the audit trail live: in the process and a JSON-lines file by default,
 * or in PostgreSQL / CockroachDB so that several replicas share them (DESIGN.md §4).
 */
export interface Store {
  readonly kind: 'embedded' | 'postgres';
  saveConfirmation(confirmation: PendingConfirmation): Promise<void>;
  /** The confirmation as kept now, or undefined (unknown, malformed id, or purged). */
  getConfirmation(id: string): Promise<PendingConfirmation | undefined>;
  /** Confirmations still waiting (pending or approved, unexpired), oldest first. */
  openConfirmations(now: Date): Promise<PendingConfirmation[]>;
  /**
   * Atomically marks the confirmation consumed, only if its state is one of `from` (default
   * pending), unexpired and for this exact call: of concurrent callers one wins.
   */
  consumeConfirmation(args: { id: string; tool: string; inputHash: string; consumer: string; now: Date; from?: Array<'pending' | 'approved'> }): Promise<ConsumeOutcome>;
  /** Records a person's approval of a pending confirmation; true when this call approved it (false: not pending, or expired). */
  approveConfirmation(id: string, approval: ConfirmationApproval, now: Date): Promise<boolean>;
  /** Declines a pending confirmation; true when this call declined it (false: unknown, used or declined before). */
  declineConfirmation(id: string, by: string): Promise<boolean>;
  /** Keeps a face's note about a pending confirmation (see PendingCall); a second save of the same id keeps the first. */
  savePendingCall(call: PendingCall): Promise<void>;
  /** The note saved for this confirmation id, or undefined (unknown, or expired more than an hour ago). */
  pendingCall(confirmationId: string): Promise<PendingCall | undefined>;
  /**
   * Claims `key` for `ttlMs`: true for the first caller, false while an earlier claim lives (on
   * every replica sharing the store). Slack requests are claimed by their signature, so that a
   * signed request replayed inside Slack's 5-minute window runs once.
   */
  claimOnce(key: string, ttlMs: number, now?: Date): Promise<boolean>;
  /** Saves a new rotation plan with every step's progress; saving the same id twice keeps the first. */
  savePlan(plan: SavedPlan): Promise<void>;
  /** The plan with its steps' progress now, or undefined. */
  loadPlan(id: string): Promise<SavedPlan | undefined>;
  /**
   * Moves one step to a new status only if its status is one of `update.from`, atomically (of two
   * concurrent callers one wins): the step as updated, or undefined when the plan or step is unknown
   * or its status was not in `from`.
   */
  updateStep(update: StepUpdate): Promise<StepProgress | undefined>;
  /** Durable before it returns: an action is never reported done before its event is on disk. */
  appendAudit(event: NewAuditEvent): Promise<AuditEvent>;
  recentAudit(limit: number, tool?: string): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

/** Why a consume failed, in words for the person. */
export function explainConsumeFailure(reason: Exclude<ConsumeOutcome, { ok: true }>['reason']): string {
  switch (reason) {
    case 'not_found':
      return 'no such confirmation (ids are valid only where they were issued — the same state directory or shared database — and only until they expire)';
    case 'already_used':
      return 'this confirmation was already used; each one runs its action once';
    case 'declined':
      return 'this confirmation was declined';
    case 'expired':
      return 'this confirmation expired (they last 10 minutes unless CRDB_TLS_CONFIRMATION_TTL_SECONDS says otherwise)';
    case 'other_input':
      return 'this confirmation was given for a different call (tool or input differ)';
    case 'not_approved':
      return 'no person has approved this confirmation yet';
  }
}
