import { ToolError } from '../core/errors.js';
import type { SavedPlan, StepProgress, Store } from '../store/types.js';
import { BackupRecord, PlanView, RotationPlan, StepStatus, type StepState } from './steps.js';

/** A plan in the store (DESIGN.md §4): the plan once, and each step's progress beside it. */

export async function savePlan(store: Store, plan: RotationPlan): Promise<void> {
  const saved: SavedPlan = {
    id: plan.id,
    created_at: plan.created_at,
    created_by: plan.created_by,
    plan: plan as unknown as Record<string, unknown>,
    steps: plan.steps.map((step) => ({ number: step.number, status: 'pending', updated_at: null, record: {} })),
  };
  await store.savePlan(saved);
}

const text = (value: unknown) => (typeof value === 'string' ? value : null);

function stateOf(progress: StepProgress | undefined): StepState {
  const record = progress?.record ?? {};
  const backups = BackupRecord.array().safeParse(record.backups);
  return {
    status: StepStatus.catch('pending').parse(progress?.status ?? 'pending'),
    updated_at: progress?.updated_at ?? null,
    by: text(record.by),
    backups: backups.success ? backups.data : [],
    error: text(record.error),
    note: text(record.note),
  };
}

export interface LoadedPlan {
  plan: RotationPlan;
  view: PlanView;
}

export function viewOf(plan: RotationPlan, progress: StepProgress[], store: Store['kind']): PlanView {
  const steps = plan.steps.map((step) => ({ ...step, state: stateOf(progress.find((p) => p.number === step.number)) }));
  const done = steps.filter((s) => s.state.status === 'done').length;
  const next = steps.find((s) => s.state.status !== 'done');
  return { ...plan, steps, progress: { done, total: steps.length, next_step: next?.number ?? null }, store };
}

export async function loadPlan(store: Store, planId: string): Promise<LoadedPlan> {
  const saved = await store.loadPlan(planId);
  if (!saved) {
    throw new ToolError('not_found', `no rotation plan ${planId}${store.kind === 'embedded' ? ' in this state dir' : ' in the database'}`, 'Plans are saved where CRDB_TLS_STATE_DIR / CRDB_TLS_DATABASE_URL point when they are made; make one with crdb-tls rotate plan.');
  }
  const parsed = RotationPlan.safeParse(saved.plan);
  if (!parsed.success) throw new ToolError('internal', `the saved rotation plan ${planId} cannot be read by this version of crdb-tls`, 'Make a new plan with crdb-tls rotate plan.');
  return { plan: parsed.data, view: viewOf(parsed.data, saved.steps, store.kind) };
}
