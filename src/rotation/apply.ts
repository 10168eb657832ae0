import path from 'node:path';
import * as z from 'zod';
import { readClientCa } from '../cloud/client-ca.js';
import { ToolError } from '../core/errors.js';
import { probeServer } from '../net/probe.js';
import { stateFingerprint } from '../pki/files.js';
import type { Impact } from '../pki/impact.js';
import { checkDerivedFile, pairOf } from '../pki/derived.js';
import { backupFiles, fileSha256 } from './backup.js';
import { loadPlan } from './saved.js';
import { StepMode, StepStatus, type BackupRecord, type PlanStep, type PlanView } from './steps.js';

import { CLAIMABLE, checkPaths, actionPaths, findStep, hash, stepRef, StepRef, type StepDeps } from './step-deps.js';
import { fpSet, prepare, readCerts, type Prepared } from './step-actions.js';

/**
 * Carrying out one local step of a saved plan, and undoing it. Every file a step replaces is backed
 * up first (backup.ts) and written atomically keeping owner, group and mode (pki/files.ts); the
 * severity comes from the files as they are now, read again at confirmation time, so that the
 * state fingerprint catches any drift. Steps go in order: a step runs only after every earlier
 * step is done, and is rolled back only when no later step is still in effect.
 */

export const ApplyResult = z.object({
  plan_id: z.string(),
  step: StepRef,
  status: StepStatus,
  marked_done: z.boolean().describe('A tool or manual step recorded as done (nothing written)'),
  files: z.array(z.object({ path: z.string(), action: z.enum(['replaced', 'created']), backup: z.string().nullable() })),
  verification: z.string().nullable().describe('What was checked before a step was marked done'),
  next: z.object({ number: z.number().int(), title: z.string(), mode: StepMode, commands: z.array(z.string()) }).nullable(),
  progress: z.object({ done: z.number().int(), total: z.number().int() }),
});
export type ApplyResult = z.infer<typeof ApplyResult>;

/** apply carries out local steps only; tool and manual steps are done elsewhere, then marked done. */
function requireLocal(view: PlanView, step: PlanView['steps'][number]): void {
  if (step.mode === 'local' && step.action) return;
  throw new ToolError(
    'refused',
    `step ${step.number} of plan ${view.id} is a ${step.mode} step (${step.title}); crdb-tls rotate apply carries out only local steps, nothing was changed`,
    step.mode === 'tool'
      ? `Run: ${step.commands[0]} — then record it: crdb-tls rotate apply ${view.id} --step ${step.number} --mark-done`
      : `Do it by hand (${step.commands.slice(0, -1).join('; ')}), then record it: crdb-tls rotate apply ${view.id} --step ${step.number} --mark-done`,
  );
}

/** Steps go in order: everything before N done. */
function requireInOrder(view: PlanView, number: number): void {
  const blocking = view.steps.find((s) => s.number < number && s.state.status !== 'done');
  if (blocking) {
    throw new ToolError('refused', `step ${number} of plan ${view.id} comes after step ${blocking.number} (${blocking.title}), which is ${blocking.state.status}; nothing was changed`, blocking.mode === 'local' ? `Apply it first: crdb-tls rotate apply ${view.id} --step ${blocking.number}` : `Do it, then record it: crdb-tls rotate apply ${view.id} --step ${blocking.number} --mark-done`);
  }
}

function requireApplicable(view: PlanView, step: PlanView['steps'][number]): void {
  if (step.state.status === 'done') throw new ToolError('refused', `step ${step.number} of plan ${view.id} is already done; nothing was changed`, `Roll it back first to do it again: crdb-tls rotate rollback ${view.id} --step ${step.number}`);
  if (step.state.status === 'applying' || step.state.status === 'rolling_back') throw new ToolError('refused', `step ${step.number} of plan ${view.id} is ${step.state.status.replace('_', ' ')} in another call; nothing was changed`, `If that call died, roll the step back: crdb-tls rotate rollback ${view.id} --step ${step.number}`);
}

export interface ApplyRequest {
  planId: string;
  step: number;
  markDone: boolean;
}

async function fingerprintOf(planId: string, step: PlanView['steps'][number], prepared: Pick<Prepared, 'reads' | 'observed'> | undefined): Promise<string> {
  const files = prepared ? await stateFingerprint(prepared.reads) : null;
  return hash({ plan: planId, step: step.number, status: step.state.status, files, observed: prepared?.observed ?? null });
}

/** The drift since the plan was made, for the impact text: files this step writes that changed in the meantime. */
async function drift(view: PlanView, step: PlanView['steps'][number]): Promise<string[]> {
  const earlier = new Set(view.steps.filter((s) => s.number < step.number).flatMap((s) => s.files.map((f) => f.path)));
  const changed: string[] = [];
  for (const file of step.files) {
    if (file.sha256_at_plan === null || earlier.has(file.path)) continue;
    if ((await fileSha256(file.path)) !== file.sha256_at_plan) changed.push(file.path);
  }
  return changed;
}

export async function assessApply(deps: StepDeps, request: ApplyRequest): Promise<Impact> {
  const { view } = await loadPlan(deps.store, request.planId);
  const step = findStep(view, request.step);
  requireApplicable(view, step);
  if (!request.markDone) requireLocal(view, step);
  requireInOrder(view, step.number);
  if (request.markDone) {
    if (step.mode === 'local') throw new ToolError('refused', `step ${step.number} is carried out by crdb-tls, not marked done by hand; nothing was changed`, `Run it: crdb-tls rotate apply ${view.id} --step ${step.number}`);
    return {
      severity: 'low',
      impact: `Records step ${step.number} of plan ${view.id} (${step.title}) as done${step.tool ? `, after checking that it took effect (${step.tool.name})` : ''}. Nothing else is changed.`,
      changes: [`mark step ${step.number} of plan ${view.id} done`],
      rollback: `crdb-tls rotate rollback ${view.id} --step ${step.number} marks it pending again.`,
      state_fingerprint: await fingerprintOf(view.id, step, undefined),
    };
  }
  checkPaths(deps, actionPaths(step.action!));
  const prepared = await prepare(step.action!, deps);
  const changed = await drift(view, step);
  return {
    severity: prepared.severity,
    impact: `Step ${step.number} of plan ${view.id}: ${step.title}. ${prepared.impact}${changed.length ? ` Note: ${changed.join(', ')} changed since the plan was made.` : ''}`,
    changes: prepared.changes,
    rollback: `crdb-tls rotate rollback ${view.id} --step ${step.number} restores ${prepared.writes.join(', ')} from the backups taken before writing.`,
    state_fingerprint: await fingerprintOf(view.id, step, prepared),
  };
}

export async function applyStep(deps: StepDeps, request: ApplyRequest): Promise<ApplyResult> {
  const { plan, view } = await loadPlan(deps.store, request.planId);
  const step = findStep(view, request.step);
  requireApplicable(view, step);
  if (!request.markDone) requireLocal(view, step);
  requireInOrder(view, step.number);
  if (request.markDone) return markStepDone(deps, view, step);
  checkPaths(deps, actionPaths(step.action!));
  const prepared = await prepare(step.action!, deps);
  const claimed = await deps.store.updateStep({ planId: view.id, number: step.number, from: CLAIMABLE, status: 'applying', record: { by: deps.requester, error: null, note: null, backups: [] }, now: deps.now() });
  if (!claimed) throw new ToolError('refused', `step ${step.number} of plan ${view.id} was taken by another call just now; nothing was changed`, `See where it is: crdb-tls rotate show ${view.id}`);
  let backups: BackupRecord[];
  try {
    backups = await backupFiles({ root: deps.backupRoot, planId: view.id, step: step.number, label: 'apply', now: deps.now() }, prepared.writes);
    // Recorded before anything is written: a crash mid-step still leaves a way back.
    await deps.store.updateStep({ planId: view.id, number: step.number, from: ['applying'], status: 'applying', record: { backups, keep_on_rollback: prepared.keepOnRollback }, now: deps.now() });
    await prepared.run();
    for (const record of backups) record.sha256_after = await fileSha256(record.path);
    await deps.store.updateStep({ planId: view.id, number: step.number, from: ['applying'], status: 'done', record: { backups }, now: deps.now() });
  } catch (error) {
    await deps.store.updateStep({ planId: view.id, number: step.number, from: ['applying'], status: 'failed', record: { error: (error as Error).message }, now: deps.now() }).catch(() => undefined);
    throw error;
  }
  return resultOf(deps, plan.id, step, 'done', false, backups.map((b) => ({ path: b.path, action: b.backup ? 'replaced' : 'created', backup: b.backup })), null);
}

async function resultOf(deps: StepDeps, planId: string, step: PlanStep, status: ApplyResult['status'], markedDone: boolean, files: ApplyResult['files'], verification: string | null): Promise<ApplyResult> {
  const { view } = await loadPlan(deps.store, planId);
  const next = view.steps.find((s) => s.state.status !== 'done');
  return {
    plan_id: planId,
    step: stepRef(step),
    status,
    marked_done: markedDone,
    files,
    verification,
    next: next ? { number: next.number, title: next.title, mode: next.mode, commands: next.commands } : null,
    progress: { done: view.progress.done, total: view.progress.total },
  };
}

/** A tool or manual step: checked where it can be (what the node serves, what the Cloud trusts), then recorded. */
async function markStepDone(deps: StepDeps, view: PlanView, step: PlanView['steps'][number]): Promise<ApplyResult> {
  if (step.mode === 'local') throw new ToolError('refused', `step ${step.number} is carried out by crdb-tls, not marked done by hand`, `Run it: crdb-tls rotate apply ${view.id} --step ${step.number}`);
  const verification = await verifyDone(deps, step);
  const updated = await deps.store.updateStep({ planId: view.id, number: step.number, from: CLAIMABLE, status: 'done', record: { by: deps.requester, note: verification ?? 'marked done by hand', error: null }, now: deps.now() });
  if (!updated) throw new ToolError('refused', `step ${step.number} of plan ${view.id} changed under this call; nothing was recorded`, `See where it is: crdb-tls rotate show ${view.id}`);
  return resultOf(deps, view.id, step, 'done', true, [], verification);
}

async function verifyDone(deps: StepDeps, step: PlanStep): Promise<string | null> {
  if (step.tool?.name === 'reload_node_certs') {
    const input = step.tool.input as { host: string; port: number; ca?: string; expect_cert?: string };
    const where = `${input.host}:${input.port}`;
    if (input.expect_cert) checkPaths(deps, [input.expect_cert]);
    const report = await probeServer({ host: input.host, port: input.port, clientCaNames: false, timeoutMs: deps.probeTimeoutMs ?? 5_000, openssl: null, network: deps.network, ...(deps.signal ? { signal: deps.signal } : {}) });
    const served = report.chain.find((c) => c.position === 0);
    if (!served) throw new ToolError('refused', `cannot mark step ${step.number} done: ${where} does not answer with a certificate (${report.summary})`, 'Check that the node is up, then mark the step done again.');
    if (input.expect_cert) {
      const expected = (await readCerts(input.expect_cert, 'certificate'))?.certs[0];
      if (expected && expected.info.sha256_fingerprint !== served.sha256_fingerprint) {
        throw new ToolError('refused', `cannot mark step ${step.number} done: ${where} still serves SHA-256 ${served.sha256_fingerprint}, not ${input.expect_cert} (${expected.info.sha256_fingerprint})`, `Reload it: ${step.commands[0]}`);
      }
      return `${where} serves ${input.expect_cert} (SHA-256 ${served.sha256_fingerprint})`;
    }
    return `${where} answers with SHA-256 ${served.sha256_fingerprint}`;
  }
  if (step.kind === 'rebuild_pkcs12') return verifyPkcs12Rebuilt(deps, step);
  if (step.tool?.name === 'set_client_ca') {
    const input = step.tool.input as { cluster_id: string; cert_file: string };
    checkPaths(deps, [input.cert_file]);
    if (!deps.cloud) throw new ToolError('invalid_input', `cannot check that the Client CA of ${input.cluster_id} was uploaded without a Cloud API key`, 'Set COCKROACH_API_KEY (or COCKROACH_API_KEY_FILE), then mark the step done again.');
    const [state, file] = await Promise.all([readClientCa(deps.cloud, input.cluster_id), readCerts(input.cert_file, 'Client CA bundle')]);
    const trusted = [...fpSet(state.certificates ?? [])].sort();
    const wanted = [...fpSet(file?.certs ?? [])].sort();
    if (state.info.status !== 'IS_SET' || JSON.stringify(trusted) !== JSON.stringify(wanted)) {
      throw new ToolError('refused', `cannot mark step ${step.number} done: cluster ${input.cluster_id} trusts ${trusted.length} CA(s) (status ${state.info.status}), not exactly the ${wanted.length} of ${input.cert_file}`, `Upload it: ${step.commands[0]}`);
    }
    return `cluster ${input.cluster_id} trusts exactly the ${wanted.length} CA(s) of ${input.cert_file} (IS_SET)`;
  }
  return null;
}

/** The .p12 holds the certificate now in its client.USER.crt (readable without the password, pki/derived.ts). */
async function verifyPkcs12Rebuilt(deps: StepDeps, step: PlanStep): Promise<string> {
  const p12 = step.files[0]!.path;
  const user = /^client\.(.+)\.p12$/.exec(path.basename(p12))?.[1];
  if (!user) throw new ToolError('internal', `${p12} is not named client.USER.p12`);
  const pair = pairOf(path.dirname(p12), user);
  checkPaths(deps, [p12, pair.cert]);
  const cert = (await readCerts(pair.cert, 'certificate'))?.certs[0];
  if (!cert) throw new ToolError('refused', `cannot mark step ${step.number} done: ${pair.cert} is missing`, 'Apply the reissue step first.');
  const check = await checkDerivedFile({ path: p12, kind: 'pkcs12' }, cert, { certPath: pair.cert, keyPath: pair.key, caPath: '', user });
  if (check.matches === false) throw new ToolError('refused', `cannot mark step ${step.number} done: ${check.problem}`, `Make it: ${step.commands[0]}`);
  return check.matches ? `${p12} holds the certificate of ${pair.cert} (SHA-256 ${cert.info.sha256_fingerprint})` : `${p12} keeps its certificates encrypted; not compared with ${pair.cert}`;
}

