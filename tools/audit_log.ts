import * as z from 'zod';
import { defineTool } from '../src/core/tool.js';
import { oneLine } from '../src/core/unicode.js';
import { AuditEvent } from '../src/store/types.js';

const Output = z.object({ store: z.enum(['embedded', 'postgres']), events: z.array(AuditEvent).describe('Newest first') });

export default defineTool({
  name: 'audit_log',
  title: 'Recent gated actions',
  description:
    'Shows the audit trail of actions that change things: who asked, who confirmed, what was to change, and how it ended ' +
    '(requested, confirmation_required, confirmed, declined, refused, done, failed, dry_run). Newest first. Example: { "limit": 20 }',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  effects: 'none',
  input: z.object({
    limit: z.number().int().min(1).max(1000).default(20).describe('How many events'),
    tool: z.string().optional().describe('Only events of this tool'),
  }),
  output: Output,
  run: async ({ limit, tool }, ctx) => ({ store: ctx.store.kind, events: await ctx.store.recentAudit(limit, tool) }),
  summary: ({ events }) =>
    events.length === 0
      ? 'No audited actions yet.'
      : events
          // Requester and confirmer come from outside (an MCP client names itself): one line each, no escapes.
          .map((e) => `${e.at}  ${e.event.padEnd(21)} ${oneLine(e.tool)}  by ${oneLine(e.requester)}${e.confirmer ? `, confirmed by ${oneLine(e.confirmer)}` : ''}${e.severity ? ` (${e.severity})` : ''}`)
          .join('\n'),
});
