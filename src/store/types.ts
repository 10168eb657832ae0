import * as z from 'zod';
import { Assessment } from '../core/tool.js';

export const ConfirmationState = z.enum(['pending', 'consumed', 'declined']);

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
});
export type PendingConfirmation = z.infer<typeof PendingConfirmation>;

export const AuditEventKind = z.enum(['requested', 'dry_run', 'confirmation_required', 'confirmed', 'declined', 'refused', 'done', 'failed']);

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
  | { ok: false; reason: 'not_found' | 'already_used' | 'declined' | 'expired' | 'other_input' };

/**
 * Where confirmations and the audit trail live: in the process and a JSON-lines file by default,
 * or in PostgreSQL / CockroachDB so that several replicas share them (DESIGN.md §4).
 */
export interface Store {
  readonly kind: 'embedded' | 'postgres';
  saveConfirmation(confirmation: PendingConfirmation): Promise<void>;
  /** Atomically marks the confirmation consumed, only if pending, unexpired and for this exact call. */
  consumeConfirmation(args: { id: string; tool: string; inputHash: string; consumer: string; now: Date }): Promise<ConsumeOutcome>;
  declineConfirmation(id: string, by: string): Promise<void>;
  /** Durable before it returns: an action is never reported done before its event is on disk. */
  appendAudit(event: NewAuditEvent): Promise<AuditEvent>;
  recentAudit(limit: number, tool?: string): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

/** Why a consume failed, in words for the person. */
export function explainConsumeFailure(reason: Exclude<ConsumeOutcome, { ok: true }>['reason']): string {
  switch (reason) {
    case 'not_found':
      return 'no such confirmation (ids are valid only on the server that issued them, and only for 10 minutes)';
    case 'already_used':
      return 'this confirmation was already used; each one runs its action once';
    case 'declined':
      return 'this confirmation was declined';
    case 'expired':
      return 'this confirmation expired (they last 10 minutes unless CRDB_TLS_CONFIRMATION_TTL_SECONDS says otherwise)';
    case 'other_input':
      return 'this confirmation was given for a different call (tool or input differ)';
  }
}
