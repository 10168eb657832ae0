import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { ToolError, fileSystemError } from '../core/errors.js';
import type { Impact } from '../pki/impact.js';
import type { Store } from '../store/types.js';
import { loadPlan } from './saved.js';

/**
 * Backups of replaced files (backup.ts) hold old node and client KEYS; kept forever under the
 * state dir, they outlive the certificates they belonged to. `rotate prune` removes those older
 * than an age. A backup is the only way back for a step still in effect (rollback restores from
 * it), so removing one of those is high severity and names the steps that can no longer be rolled
 * back; the others are low. Files are unlinked, not overwritten.
 */

export const DEFAULT_PRUNE_AGE_DAYS = 30;

const PrunedBackup = z.object({
  dir: z.string(),
  plan_id: z.string(),
  step: z.number().int().nullable(),
  taken: z.string().nullable(),
  files: z.number().int().describe('Backed-up files in it (keys among them)'),
  still_in_effect: z.boolean().describe('Its step is still in effect: after pruning, that step cannot be rolled back'),
});
type PrunedBackup = z.infer<typeof PrunedBackup>;

export const PruneResult = z.object({
  backup_root: z.string(),
  older_than_days: z.number(),
  removed: z.array(PrunedBackup),
  kept: z.number().int().describe('Backups younger than the age, left in place'),
});
export type PruneResult = z.infer<typeof PruneResult>;

export interface PruneRequest {
  /** <state dir>/backups */
  root: string;
  olderThanDays: number;
  planId?: string | undefined;
  now: Date;
  store: Store;
}

interface Candidate extends PrunedBackup {
  takenMs: number;
}

const IN_EFFECT = new Set(['done', 'applying', 'rolling_back', 'failed']);

function readManifest(dir: string): { step: number | null; taken: string | null } {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { step?: unknown; taken?: unknown };
    return { step: typeof manifest.step === 'number' ? manifest.step : null, taken: typeof manifest.taken === 'string' ? manifest.taken : null };
  } catch {
    return { step: null, taken: null };
  }
}

/** Every backup dir under the root (<root>/<plan id>/step-N-...), oldest first. */
function listBackups(root: string, planId?: string): Array<Omit<Candidate, 'still_in_effect'>> {
  let plans: string[];
  try {
    plans = fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fileSystemError(error, root, 'list');
  }
  const found: Array<Omit<Candidate, 'still_in_effect'>> = [];
  for (const plan of plans.filter((p) => planId === undefined || p === planId)) {
    const planDir = path.join(root, plan);
    for (const entry of fs.readdirSync(planDir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
      const dir = path.join(planDir, entry.name);
      const { step, taken } = readManifest(dir);
      const takenMs = taken ? Date.parse(taken) : fs.statSync(dir).mtimeMs;
      const files = fs.readdirSync(dir).filter((n) => n !== 'manifest.json').length;
      found.push({ dir, plan_id: plan, step, taken: taken ?? new Date(takenMs).toISOString(), files, takenMs });
    }
  }
  return found.sort((a, b) => a.takenMs - b.takenMs);
}

/** Backup dirs a step still in effect would restore from (its recorded backups live there). */
async function dirsStillNeeded(store: Store, planIds: string[]): Promise<Map<string, string>> {
  const needed = new Map<string, string>();
  for (const id of planIds) {
    const view = await loadPlan(store, id).then((p) => p.view, () => undefined);
    if (!view) continue;
    for (const step of view.steps.filter((s) => IN_EFFECT.has(s.state.status))) {
      for (const record of step.state.backups) if (record.backup) needed.set(path.dirname(record.backup), `step ${step.number} of plan ${id} (${step.title})`);
    }
  }
  return needed;
}

async function candidates(req: PruneRequest): Promise<{ remove: Candidate[]; kept: number; needed: Map<string, string> }> {
  if (req.planId !== undefined && !/^[A-Za-z0-9_-]+$/.test(req.planId)) throw new ToolError('invalid_input', `${JSON.stringify(req.planId)} is not a plan id`, 'A plan id is letters, digits, _ and - (rp_...).');
  const all = listBackups(req.root, req.planId);
  const needed = await dirsStillNeeded(req.store, [...new Set(all.map((b) => b.plan_id))]);
  const cutoff = req.now.getTime() - req.olderThanDays * 86_400_000;
  const remove = all.filter((b) => b.takenMs <= cutoff).map((b) => ({ ...b, still_in_effect: needed.has(b.dir) }));
  return { remove, kept: all.length - remove.length, needed };
}

export async function assessPrune(req: PruneRequest): Promise<Impact> {
  const { remove, kept, needed } = await candidates(req);
  const inEffect = remove.filter((b) => b.still_in_effect);
  const files = remove.reduce((n, b) => n + b.files, 0);
  const age = `older than ${req.olderThanDays} days`;
  return {
    severity: inEffect.length > 0 ? 'high' : 'low',
    impact: remove.length === 0
      ? `No backup under ${req.root}${req.planId ? ` for plan ${req.planId}` : ''} is ${age}; nothing to remove (${kept} kept).`
      : `Removes ${remove.length} backup dir(s) ${age} under ${req.root} (${files} file(s): copies of replaced certificates and private keys); ${kept} younger backup(s) stay.${inEffect.length ? ` ${inEffect.map((b) => needed.get(b.dir)).join('; ')} can then no longer be rolled back: its backups are among them.` : ' No step still in effect needs them.'}`,
    changes: remove.map((b) => `remove ${b.dir} (plan ${b.plan_id}${b.step !== null ? `, step ${b.step}` : ''}, taken ${b.taken?.slice(0, 10)}, ${b.files} file(s))`),
    rollback: 'None: removed backups are gone. Keep a copy of the state dir first if you may need them.',
    state_fingerprint: crypto.createHash('sha256').update(JSON.stringify({ remove: remove.map((b) => [b.dir, b.files, b.still_in_effect]), kept })).digest('hex'),
  };
}

export async function pruneBackups(req: PruneRequest): Promise<PruneResult> {
  const { remove, kept } = await candidates(req);
  for (const backup of remove) {
    await fsp.rm(backup.dir, { recursive: true, force: true }).catch((error: unknown) => { throw fileSystemError(error, backup.dir, 'remove'); });
    // A plan dir left empty goes too.
    await fsp.rmdir(path.dirname(backup.dir)).catch(() => undefined);
  }
  return { backup_root: req.root, older_than_days: req.olderThanDays, removed: remove.map(({ takenMs: _, ...b }) => b), kept };
}

/** For `config check`: how many backups there are and how old the oldest is. */
export function backupSummary(root: string, now = new Date()): { count: number; oldestDays: number | null } {
  try {
    const all = listBackups(root);
    return { count: all.length, oldestDays: all[0] ? Math.floor((now.getTime() - all[0].takenMs) / 86_400_000) : null };
  } catch {
    return { count: 0, oldestDays: null };
  }
}

export function renderPrune(result: PruneResult): string {
  if (result.removed.length === 0) return `No backup under ${result.backup_root} is older than ${result.older_than_days} days; ${result.kept} kept.`;
  return [
    `Removed ${result.removed.length} backup dir(s) older than ${result.older_than_days} days from ${result.backup_root}; ${result.kept} kept.`,
    ...result.removed.map((b) => `  - ${b.dir}${b.still_in_effect ? ' (its step can no longer be rolled back)' : ''}`),
  ].join('\n');
}
