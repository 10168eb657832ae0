import * as z from 'zod';
import { ToolError } from '../core/errors.js';
import type { Impact } from '../pki/impact.js';
import { backupFiles, fileSha256, restoreFiles } from './backup.js';
import { loadPlan, viewOf } from './saved.js';
import { StepStatus, type BackupRecord, type PlanView } from './steps.js';

import { ACTIVE, checkPaths, findStep, hash, stepRef, StepRef, type StepDeps } from './step-deps.js';

/**
 * Undoing one step of a saved plan: the files it replaced come back from their backups, the files
 * it created are removed (a CA key is set aside, never deleted), and only when no later step is
 * still in effect.
 */

export const RollbackResult = z.object({
  plan_id: z.string(),
  step: StepRef,
  status: StepStatus,
  restored: z.array(z.string()),
  removed: z.array(z.string()),
  set_aside: z.array(z.string()).describe('Files the step created that were moved aside, not deleted (a CA key)'),
  note: z.string().nullable(),
  progress: z.object({ done: z.number().int(), total: z.number().int() }),
});
export type RollbackResult = z.infer<typeof RollbackResult>;

export interface RollbackRequest {
  planId: string;
  /** Default: the latest step still in effect. */
  step?: number;
}

function rollbackTarget(view: PlanView, requested: number | undefined) {
  const inEffect = view.steps.filter((s) => ACTIVE.has(s.state.status) || (s.state.status === 'failed' && s.state.backups.length > 0));
  if (requested === undefined) {
    const latest = inEffect.at(-1);
    if (!latest) throw new ToolError('refused', `no step of plan ${view.id} is in effect; nothing to roll back`, `See the plan: crdb-tls rotate show ${view.id}`);
    return latest;
  }
  const step = findStep(view, requested);
  if (!inEffect.includes(step)) throw new ToolError('refused', `step ${step.number} of plan ${view.id} is ${step.state.status}; there is nothing to roll back`, `See the plan: crdb-tls rotate show ${view.id}`);
  const later = view.steps.find((s) => s.number > step.number && ACTIVE.has(s.state.status));
  if (later) throw new ToolError('refused', `step ${later.number} (${later.title}) is still in effect; roll steps back latest first, nothing was changed`, `crdb-tls rotate rollback ${view.id} --step ${later.number}`);
  return step;
}

async function currentHashes(records: BackupRecord[]) {
  return Promise.all(records.map(async (r) => ({ path: r.path, sha256: await fileSha256(r.path) })));
}

export async function assessRollback(deps: StepDeps, request: RollbackRequest): Promise<Impact> {
  const { view } = await loadPlan(deps.store, request.planId);
  const step = rollbackTarget(view, request.step);
  const records = step.state.backups;
  checkPaths(deps, records.map((r) => r.path));
  const current = await currentHashes(records);
  const restoring = records.filter((r) => r.backup !== null);
  const removing = records.filter((r) => r.backup === null);
  const changedSince = records.filter((r, i) => r.sha256_after !== null && current[i]!.sha256 !== r.sha256_after).map((r) => r.path);
  const severity: Impact['severity'] = restoring.length > 0 ? 'high' : removing.length > 0 ? 'medium' : 'low';
  const manual = step.mode !== 'local' ? ` This was a ${step.mode} step: crdb-tls only marks it pending again; undo it yourself: ${step.rollback.join(' ')}` : '';
  return {
    severity,
    impact: `Rolls back step ${step.number} of plan ${view.id} (${step.title}).${restoring.length ? ` Puts back ${restoring.map((r) => r.path).join(', ')} as they were before the step (the files now there are backed up first); whatever uses them switches back after a reload or reconnect.` : ''}${removing.length ? ` Removes what the step created: ${removing.map((r) => r.path).join(', ')} (a new CA key is moved aside, not deleted).` : ''}${changedSince.length ? ` Warning: ${changedSince.join(', ')} changed after the step was applied; those changes are replaced too.` : ''}${manual}`,
    changes: [...restoring.map((r) => `restore ${r.path} from ${r.backup}`), ...removing.map((r) => `remove ${r.path}`), `mark step ${step.number} rolled back`],
    rollback: step.mode === 'local' ? `Apply the step again: crdb-tls rotate apply ${view.id} --step ${step.number} (a new key and certificate are made)` : `Mark it done again: crdb-tls rotate apply ${view.id} --step ${step.number} --mark-done`,
    state_fingerprint: hash({ plan: view.id, step: step.number, status: step.state.status, current }),
  };
}

export async function rollbackStep(deps: StepDeps, request: RollbackRequest): Promise<RollbackResult> {
  const { plan, view } = await loadPlan(deps.store, request.planId);
  const step = rollbackTarget(view, request.step);
  checkPaths(deps, step.state.backups.map((r) => r.path));
  const claimed = await deps.store.updateStep({ planId: view.id, number: step.number, from: [step.state.status], status: 'rolling_back', record: { by: deps.requester }, now: deps.now() });
  if (!claimed) throw new ToolError('refused', `step ${step.number} of plan ${view.id} changed under this call; nothing was changed`, `See where it is: crdb-tls rotate show ${view.id}`);
  const records = step.state.backups;
  const keep = new Set(Array.isArray(claimed.record.keep_on_rollback) ? (claimed.record.keep_on_rollback as string[]) : []);
  let outcome = { restored: [] as string[], removed: [] as string[], set_aside: [] as string[] };
  try {
    if (records.length > 0) {
      // The files as they are now are kept too, so that a rollback can itself be undone by hand.
      await backupFiles({ root: deps.backupRoot, planId: view.id, step: step.number, label: 'rollback', now: deps.now() }, records.map((r) => r.path));
      outcome = await restoreFiles(records, keep, deps.now(), { insideRoots: deps.insideRoots, backupRoot: deps.backupRoot });
    }
    await deps.store.updateStep({ planId: view.id, number: step.number, from: ['rolling_back'], status: 'rolled_back', record: { error: null, note: `rolled back by ${deps.requester}` }, now: deps.now() });
  } catch (error) {
    await deps.store.updateStep({ planId: view.id, number: step.number, from: ['rolling_back'], status: 'failed', record: { error: `rollback failed: ${(error as Error).message}` }, now: deps.now() }).catch(() => undefined);
    throw error;
  }
  const after = viewOf(plan, (await deps.store.loadPlan(plan.id))!.steps, deps.store.kind);
  return {
    plan_id: plan.id,
    step: stepRef(step),
    status: 'rolled_back',
    ...outcome,
    note: step.mode !== 'local' ? `Marked pending again; undo it yourself: ${step.rollback.join(' ')}` : step.kind === 'reissue_node' || step.kind === 'new_ca' || step.kind === 'remove_ca' || step.kind === 'distribute_trust' ? 'Nodes use the restored files after a reload (SIGHUP).' : null,
    progress: { done: after.progress.done, total: after.progress.total },
  };
}

