import * as z from 'zod';
import { defineTool } from '../src/core/tool.js';
import { oneLine } from '../src/core/unicode.js';
import { confirmationRef } from '../src/gate/gate.js';
import { AuditEvent } from '../src/store/types.js';

/**
 * An audit event as this tool shows it: the confirmation it belongs to is named by a reference
 * (`ref_…`, a hash of the id) that ties the events of one confirmation together but cannot
 * redeem it. A pending confirmation id reaches nobody but the requester (issue 13).
 */
const AuditEntry = AuditEvent.omit({ confirmation_id: true }).extend({
  confirmation_ref: z.string().nullable().describe('The confirmation these events belong to (not its id: it cannot be used to confirm)'),
});

/** Any confirmation id inside an event's texts (a refusal's reason quoting it) becomes its reference too. */
const ANY_ID = /cf_[A-Za-z0-9_-]{16,64}/g;
function scrub(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(ANY_ID, (id) => confirmationRef(id));
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
  return value;
}

const Output = z.object({ store: z.enum(['embedded', 'postgres']), events: z.array(AuditEntry).describe('Newest first') });

export default defineTool({
  name: 'audit_log',
  title: 'Recent gated actions',
  description:
    'Shows the audit trail: actions that change things (who asked, who confirmed and through which channel, what was to change, ' +
    'how it ended: requested, confirmation_required, approved, confirmed, declined, refused, done, failed, dry_run), and every ' +
    'network call and reveal (network_call, revealed: tool, who, target, outcome). Newest first. Example: { "limit": 20 }',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  effects: 'none',
  input: z.object({
    limit: z.number().int().min(1).max(1000).default(20).describe('How many events'),
    tool: z.string().optional().describe('Only events of this tool'),
  }),
  output: Output,
  run: async ({ limit, tool }, ctx) => ({
    store: ctx.store.kind,
    events: (await ctx.store.recentAudit(limit, tool)).map(({ confirmation_id: id, ...event }) => ({ ...(scrub(event) as typeof event), confirmation_ref: id === null ? null : confirmationRef(id) })),
  }),
  summary: ({ events }) =>
    events.length === 0
      ? 'No audited actions yet.'
      : events
          // Requester, confirmer and target come from outside (an MCP client names itself): one line each, no escapes.
          .map((e) => {
            const channel = typeof e.detail.channel === 'string' ? ` via ${oneLine(e.detail.channel)}${e.detail.self_confirmed === true ? ' (by the requester itself)' : ''}` : '';
            const target = typeof e.detail.target === 'string' ? ` → ${oneLine(e.detail.target)} (${oneLine(String(e.detail.outcome))})` : '';
            return `${e.at}  ${e.event.padEnd(21)} ${oneLine(e.tool)}  by ${oneLine(e.requester)}${e.confirmer ? `, confirmed by ${oneLine(e.confirmer)}${channel}` : ''}${e.severity ? ` (${e.severity})` : ''}${target}`;
          })
          .join('\n'),
});
