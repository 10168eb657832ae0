import type { ServerContext } from '@modelcontextprotocol/server';

/** When a tool knows how far along it is, progress is a percentage of this total. */
const PROGRESS_TOTAL = 100;

export interface ProgressReporter {
  report(message: string, fraction?: number): void;
  /** Resolves once every notification is out: the result must come after them (a client drops later ones). */
  flushed(): Promise<void>;
}

/**
 * notifications/progress for a call whose client asked for them (a progressToken). `progress`
 * must grow with each one (MCP, basic/utilities/progress); where the tool knows the share of the
 * work done (hosts probed, files read, polls made) the notification carries `total` so a client
 * can show a percentage, otherwise it counts steps.
 */
export function progressReporter(ctx: ServerContext): ProgressReporter | undefined {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  if (progressToken === undefined) return undefined;
  let last = 0;
  let sent: Promise<unknown> = Promise.resolve();
  return {
    report(message, fraction) {
      const known = fraction !== undefined && Number.isFinite(fraction);
      // A share that did not grow still moves the count on a little, so the sequence stays increasing.
      const next = known ? Math.max(Math.min(1, Math.max(0, fraction)) * PROGRESS_TOTAL, last + 0.01) : last + 1;
      last = Math.round(next * 100) / 100;
      const params = { progressToken, progress: last, message, ...(known ? { total: Math.max(PROGRESS_TOTAL, last) } : {}) };
      sent = sent.then(() => ctx.mcpReq.notify({ method: 'notifications/progress', params })).catch(() => undefined);
    },
    flushed: () => sent.then(() => undefined),
  };
}
