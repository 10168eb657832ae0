// The audit trail as the face tests read it: the stored event of src/store/types.ts, not a copy.
import type { AuditEvent } from '../../src/store/types.js';

/** A stored audit event, with the `detail` keys the runner writes that the tests look at: the call's input and a refusal's reason. */
export type AuditRecord = AuditEvent & { detail: { input?: Record<string, unknown>; reason?: string } };

/** An audit event as the audit_log tool shows it: a confirmation is named by a reference, never by its id. */
export type AuditEntry = Omit<AuditRecord, 'confirmation_id'> & { confirmation_ref: string | null };
