import * as z from 'zod';
import { defineTool } from '../../src/core/tool.js';

/**
 * A high-severity test tool that only counts how often it really ran: "nothing changed" is
 * `runs()` staying where it was. Each call of countedAction() gets its own counter.
 */
export function countedAction(stateFingerprint = 'unchanged') {
  let runs = 0;
  const tool = defineTool({
    name: 'counted_action',
    title: 'Counted action',
    description: 'Test tool: counts its runs.',
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    effects: 'writes-files',
    input: z.object({ target: z.string() }),
    output: z.object({ run_number: z.number() }),
    assess: async ({ target }) => ({ severity: 'high', impact: `overwrite ${target}`, changes: [`replace ${target}`], rollback: 'restore it', state_fingerprint: stateFingerprint }),
    run: async () => ({ run_number: ++runs }),
    summary: ({ run_number }) => `run ${run_number}`,
  });
  return { tool, runs: () => runs };
}
