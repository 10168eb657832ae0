import * as z from 'zod';
import { Severity } from '../core/assessment.js';
import { InventoryItem, Thresholds } from './items.js';

/**
 * What a rotation plan is made of. A plan is an ordered list of steps; each says what to run
 * (exact commands and paths), what it changes, its severity, how to verify it and how to roll it
 * back, and which certificates stop being trusted once it is done. Local steps carry an `action`
 * that apply_rotation_step carries out; tool steps name the tool call that does the step
 * (reload_node_certs, set_client_ca); manual steps are for a person (another host, an application).
 */

export const Scope = z.enum(['client', 'node', 'ca', 'client-ca', 'all']);
export type Scope = z.infer<typeof Scope>;

export const StepMode = z.enum(['local', 'tool', 'manual']);
export type StepMode = z.infer<typeof StepMode>;

export const StepStatus = z.enum(['pending', 'applying', 'done', 'failed', 'rolling_back', 'rolled_back']);
export type StepStatus = z.infer<typeof StepStatus>;

export const StepKind = z.enum(['new_ca', 'distribute_trust', 'reload', 'reissue_node', 'reissue_client', 'move_clients', 'remove_ca', 'upload_client_ca', 'manual_reissue', 'rebuild_pkcs12', 'verify']);
export type StepKind = z.infer<typeof StepKind>;

const HostRef = z.object({ host: z.string(), port: z.number().int() });

export const CaRef = z.object({ sha256_fingerprint: z.string(), subject: z.string(), not_after: z.string() });
export type CaRef = z.infer<typeof CaRef>;

const hours = z.number().int().positive().describe('Lifetime in hours');
const keySize = z.number().int().min(2048).max(8192);

export const StepAction = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('create_ca'),
    ca_kind: z.enum(['ca', 'client-ca']),
    certs_dir: z.string(),
    bundle: z.string().describe('ca.crt or ca-client.crt: rewritten with the new CA first, every CA it holds kept after it'),
    new_key: z.string().describe('Where the new CA key is created (never an existing file)'),
    key_size: keySize,
    lifetime_hours: hours,
  }),
  z.object({ kind: z.literal('copy_bundle'), from: z.string(), to: z.array(z.string()).min(1) }),
  z.object({
    kind: z.literal('issue_node'),
    ca_cert: z.string().describe('Bundle whose FIRST certificate signs'),
    ca_key: z.string(),
    cert: z.string(),
    key: z.string(),
    copies: z.array(z.object({ cert: z.string(), key: z.string() })).default([]).describe('Other places serving the same node identity (e.g. a PostgreSQL data dir\'s server.crt/server.key): the same new key and certificate are written there too'),
    hosts: z.array(z.string()).min(1),
    key_size: keySize,
    lifetime_hours: hours,
  }),
  z.object({
    kind: z.literal('issue_client'),
    ca_cert: z.string(),
    ca_key: z.string(),
    user: z.string(),
    cert: z.string(),
    key: z.string(),
    pkcs8: z.string().nullable().describe('client.USER.key.pk8 to rewrite too (DER), when it exists'),
    pkcs8_pem: z.string().nullable().default(null).describe('client.USER.key.pem to rewrite too (PKCS#8 PEM, pgJDBC >= 42.7.9), when it exists'),
    tenant_uris: z.array(z.string()),
    key_size: keySize,
    lifetime_hours: hours,
  }),
  z.object({
    kind: z.literal('remove_ca'),
    bundles: z.array(z.string()).min(1),
    remove: z.array(CaRef).min(1),
    check_dirs: z.array(z.string()).describe('Certs dirs whose certificates (read when the step runs) must not still depend on a removed CA'),
    check_files: z.array(z.string()).describe('Certificate files outside those dirs that must not still depend on a removed CA'),
    check_hosts: z.array(HostRef).describe('Nodes whose served chain must verify without the removed CAs'),
  }),
]);
export type StepAction = z.infer<typeof StepAction>;

const ToolCall = z.object({ name: z.string(), input: z.record(z.string(), z.unknown()) });
type ToolCall = z.infer<typeof ToolCall>;

const BlastRadius = z.object({
  stops_trusted: z.array(z.string()).describe('Certificates that are no longer trusted (or no longer served) once this step is done'),
  summary: z.string(),
});

export const PlanStep = z.object({
  number: z.number().int(),
  kind: StepKind,
  title: z.string(),
  mode: StepMode.describe('local: `crdb-tls rotate apply` carries it out; tool: run the named tool; manual: a person does it, then marks it done'),
  severity: Severity.describe('As planned; apply assesses again from the files as they are then'),
  why: z.string(),
  commands: z.array(z.string()).describe('What to run, with exact paths'),
  equivalent: z.array(z.string()).describe('The same with cockroach commands, where there is one'),
  changes: z.array(z.string()),
  verify: z.array(z.string()),
  rollback: z.array(z.string()),
  blast_radius: BlastRadius,
  action: StepAction.nullable(),
  tool: ToolCall.nullable(),
  files: z.array(z.object({ path: z.string(), sha256_at_plan: z.string().nullable() })).describe('Files this step writes, with their hash when the plan was made (to notice drift)'),
});
export type PlanStep = z.infer<typeof PlanStep>;

export const RotationPlan = z.object({
  id: z.string(),
  created_at: z.string(),
  created_by: z.string(),
  scope: Scope,
  within_days: z.number(),
  thresholds: Thresholds,
  summary: z.string(),
  sources: z.object({
    certs_dirs: z.array(z.string()),
    files: z.array(z.string()),
    hosts: z.array(z.string()),
    sql: z.array(z.string()).describe('SQL URLs, passwords redacted'),
    cloud_cluster: z.string().nullable(),
  }),
  due: z.array(InventoryItem).describe('What made this plan: certificates expiring within the window'),
  notes: z.array(z.string()),
  steps: z.array(PlanStep),
});
export type RotationPlan = z.infer<typeof RotationPlan>;

export const BackupRecord = z.object({
  path: z.string(),
  backup: z.string().nullable().describe('Copy of the file as it was; null when the step created the file'),
  sha256_before: z.string().nullable(),
  sha256_after: z.string().nullable(),
  mode: z.number().int().nullable(),
  uid: z.number().int().nullable(),
  gid: z.number().int().nullable(),
});
export type BackupRecord = z.infer<typeof BackupRecord>;

/** A step's progress as the store keeps it (src/store StepProgress.record). */
export const StepState = z.object({
  status: StepStatus,
  updated_at: z.string().nullable(),
  by: z.string().nullable(),
  backups: z.array(BackupRecord),
  error: z.string().nullable(),
  note: z.string().nullable(),
});
export type StepState = z.infer<typeof StepState>;

export const PlanView = RotationPlan.extend({
  steps: z.array(PlanStep.extend({ state: StepState })),
  progress: z.object({ done: z.number().int(), total: z.number().int(), next_step: z.number().int().nullable() }),
  store: z.enum(['embedded', 'postgres']),
});
export type PlanView = z.infer<typeof PlanView>;

export type StepDraft = Omit<PlanStep, 'number'>;

/** Steps numbered as they are added; a step's text may name its own number (`--step N`). */
export class StepList {
  readonly steps: PlanStep[] = [];

  get nextNumber(): number {
    return this.steps.length + 1;
  }

  add(make: (number: number) => StepDraft): PlanStep {
    const number = this.nextNumber;
    const step = { number, ...make(number) };
    this.steps.push(step);
    return step;
  }
}

export { sh } from '../pki/shell-word.js';
