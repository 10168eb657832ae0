import crypto from 'node:crypto';
import * as z from 'zod';
import type { CloudApiClient } from '../cloud/api-client.js';
import { ToolError } from '../core/errors.js';
import type { NetworkPolicy } from '../net/policy.js';
import type { Store } from '../store/types.js';
import { StepKind, StepMode, type PlanStep, type PlanView, type StepAction } from './steps.js';

/**
 * What carrying out or undoing one step of a saved plan is given (StepDeps), and what apply and
 * rollback both check and report: the step asked for, the paths its action touches, a step's
 * reference in a result.
 */

export interface StepDeps {
  store: Store;
  requester: string;
  now: () => Date;
  /** <state dir>/backups */
  backupRoot: string;
  signal?: AbortSignal;
  progress?: (message: string, fraction?: number) => void;
  /** For marking Cloud steps done: reads the cluster's Client CA to check the upload happened. */
  cloud?: CloudApiClient;
  probeTimeoutMs?: number;
  /** Which nodes the checks may probe (CRDB_TLS_NETWORK_ALLOW). */
  network: NetworkPolicy;
  /**
   * Throws for a path this caller may not touch (DESIGN.md §5: CRDB_TLS_ROOTS). A plan made on the
   * CLI (no roots) and applied over MCP (roots) is checked again here, path by path.
   */
  checkPath?: (file: string) => void;
  /** The roots check of real paths, applied again when files are placed (src/pki/pinned-dir.ts). */
  insideRoots?: ((realPath: string) => boolean) | undefined;
}

export const StepRef = z.object({ number: z.number().int(), title: z.string(), kind: StepKind, mode: StepMode });

export const ACTIVE: ReadonlySet<string> = new Set(['done', 'applying', 'rolling_back']);
export const CLAIMABLE = ['pending', 'failed', 'rolled_back'];

export const stepRef = (step: PlanStep) => ({ number: step.number, title: step.title, kind: step.kind, mode: step.mode });
export const hash = (value: unknown) => crypto.createHash('sha256').update(JSON.stringify(value)).digest('hex');

export function findStep(view: PlanView, number: number) {
  const step = view.steps.find((s) => s.number === number);
  if (!step) throw new ToolError('invalid_input', `plan ${view.id} has no step ${number} (it has ${view.steps.length})`, `See the plan: crdb-tls rotate show ${view.id}`);
  return step;
}

/** Every path a local action reads or writes. */
export function actionPaths(action: StepAction): string[] {
  switch (action.kind) {
    case 'create_ca':
      return [action.bundle, action.new_key];
    case 'copy_bundle':
      return [action.from, ...action.to];
    case 'issue_node':
      return [action.ca_cert, action.ca_key, action.cert, action.key, ...action.copies.flatMap((c) => [c.cert, c.key])];
    case 'issue_client':
      return [action.ca_cert, action.ca_key, action.cert, action.key, ...(action.pkcs8 ? [action.pkcs8] : []), ...(action.pkcs8_pem ? [action.pkcs8_pem] : [])];
    case 'remove_ca':
      return [...action.bundles, ...action.check_dirs, ...action.check_files];
  }
}

export function checkPaths(deps: StepDeps, paths: string[]): void {
  for (const file of paths) deps.checkPath?.(file);
}

