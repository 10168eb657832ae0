import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import type { CloudApiClient } from '../cloud/api-client.js';
import { readClientCa } from '../cloud/client-ca.js';
import { ToolError } from '../core/errors.js';
import { readBoundedFile } from '../core/read-file.js';
import type { NetworkPolicy } from '../net/policy.js';
import { probeServer } from '../net/probe.js';
import { parseCertificates, type ParsedCertificate } from '../pki/certificate.js';
import { CA_CERT, CLIENT_CA_CERT } from '../pki/certnames.js';
import { loadSigningCa } from '../pki/certs-dir.js';
import { assessCreateCa, createCa, type CreateCaOptions } from '../pki/create-ca.js';
import { splitHosts } from '../pki/create-leaf.js';
import { CERT_MODE, KEY_MODE, stateFingerprint, writeFilesAtomically, type PlannedFile } from '../pki/files.js';
import type { Impact } from '../pki/impact.js';
import { checkLifetimeAgainstCa, issueCertificate } from '../pki/issue.js';
import { generateRsaKey, privateKeyPem, privateKeyPkcs8Der, privateKeyPkcs8Pem, spkiDer } from '../pki/keys.js';
import { toPem } from '../pki/pem.js';
import { checkDerivedFile, findDerivedFiles, pairOf } from '../pki/derived.js';
import { findIssuer } from '../pki/verify.js';
import type { Store } from '../store/types.js';
import { backupFiles, fileSha256, restoreFiles } from './backup.js';
import { replaceNote } from './replace-note.js';
import { loadPlan, viewOf } from './saved.js';
import { StepKind, StepMode, StepStatus, type BackupRecord, type PlanStep, type PlanView, type StepAction } from './steps.js';

/**
 * Carrying out one local step of a saved plan, and undoing it. Every file a step replaces is backed
 * up first (backup.ts) and written atomically keeping owner, group and mode (pki/files.ts); the
 * severity comes from the files as they are now, read again at confirmation time, so that the
 * state fingerprint catches any drift. Steps go in order: a step runs only after every earlier
 * step is done, and is rolled back only when no later step is still in effect.
 */

const HOUR_MS = 3_600_000;

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

const StepRef = z.object({ number: z.number().int(), title: z.string(), kind: StepKind, mode: StepMode });

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

const ACTIVE: ReadonlySet<string> = new Set(['done', 'applying', 'rolling_back']);
const CLAIMABLE = ['pending', 'failed', 'rolled_back'];

const stepRef = (step: PlanStep) => ({ number: step.number, title: step.title, kind: step.kind, mode: step.mode });
const hash = (value: unknown) => crypto.createHash('sha256').update(JSON.stringify(value)).digest('hex');

function findStep(view: PlanView, number: number) {
  const step = view.steps.find((s) => s.number === number);
  if (!step) throw new ToolError('invalid_input', `plan ${view.id} has no step ${number} (it has ${view.steps.length})`, `See the plan: crdb-tls rotate show ${view.id}`);
  return step;
}

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

/** Every path a local action reads or writes. */
function actionPaths(action: StepAction): string[] {
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

function checkPaths(deps: StepDeps, paths: string[]): void {
  for (const file of paths) deps.checkPath?.(file);
}

// ---- what a local action would do ---------------------------------------------------------------

interface Prepared {
  severity: Impact['severity'];
  impact: string;
  changes: string[];
  /** Files read to judge the change: their hashes make the state fingerprint. */
  reads: string[];
  /** What else the judgement rests on (served fingerprints). */
  observed: unknown;
  /** Files replaced or created: backed up before, restored by rollback. */
  writes: string[];
  /** Created files that rollback moves aside instead of deleting (CA keys). */
  keepOnRollback: string[];
  run: () => Promise<void>;
}

const exists = (file: string) => fs.lstat(file).then(() => true, () => false);

async function readCerts(file: string, what: string): Promise<{ bytes: Buffer; certs: ParsedCertificate[] } | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readBoundedFile(file, what);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (error instanceof ToolError) throw error;
    throw new ToolError('permission_denied', `cannot read the ${what} ${file}: ${(error as Error).message}`);
  }
  return { bytes, certs: parseCertificates(bytes, file) };
}

const fpSet = (certs: ParsedCertificate[]) => new Set(certs.map((c) => c.info.sha256_fingerprint));
const described = (c: ParsedCertificate) => `${c.info.subject} [SHA-256 ${c.info.sha256_fingerprint.slice(0, 23)}…, expires ${c.info.not_after.slice(0, 10)}]`;

async function prepare(action: StepAction, deps: StepDeps): Promise<Prepared> {
  const now = deps.now();
  switch (action.kind) {
    case 'create_ca': {
      const expected = path.join(action.certs_dir, action.ca_kind === 'ca' ? CA_CERT : CLIENT_CA_CERT);
      if (path.resolve(expected) !== path.resolve(action.bundle)) throw new ToolError('internal', `the plan's CA bundle ${action.bundle} is not ${expected}`);
      if (await exists(action.new_key)) {
        throw new ToolError('already_exists', `the new CA key ${action.new_key} already exists; a CA key is never overwritten, nothing was changed`, 'If this step was applied before and rolled back by hand, move that key away; otherwise make a new plan.');
      }
      const options: CreateCaOptions = { kind: action.ca_kind, certsDir: action.certs_dir, caKeyPath: action.new_key, keySize: action.key_size, lifetimeMs: action.lifetime_hours * HOUR_MS, overwrite: true, allowKeyReuse: false };
      const impact = await assessCreateCa(options);
      return { ...impact, reads: [action.bundle, action.new_key], observed: null, writes: [action.bundle, action.new_key], keepOnRollback: [action.new_key], run: async () => void (await createCa(options)) };
    }
    case 'copy_bundle': {
      const source = await readCerts(action.from, 'CA bundle');
      if (!source) throw new ToolError('not_found', `the bundle to copy, ${action.from}, does not exist; nothing was changed`, 'Apply the step that creates it first.');
      let severity: Impact['severity'] = 'low';
      const changes: string[] = [];
      const notes: string[] = [];
      for (const target of action.to) {
        const current = await readCerts(target, 'CA bundle');
        const sourceFps = fpSet(source.certs);
        const dropped = current ? current.certs.filter((c) => !sourceFps.has(c.info.sha256_fingerprint)) : [];
        const currentFps = current ? fpSet(current.certs) : new Set<string>();
        const added = source.certs.filter((c) => !currentFps.has(c.info.sha256_fingerprint));
        if (dropped.length > 0) {
          severity = 'high';
          notes.push(`${target} would lose ${dropped.map(described).join(', ')}`);
        } else if (added.length > 0 && severity === 'low') severity = 'medium';
        changes.push(current ? `replace ${target} (${current.certs.length} CA(s)) with ${action.from} (${source.certs.length}): adds ${added.length}, drops ${dropped.length}` : `create ${target} from ${action.from}`);
      }
      return {
        severity,
        impact: `Copies ${action.from} to ${action.to.join(', ')}. ${notes.length ? `A CA is removed from a bundle: ${notes.join('; ')}; certificates it signed stop being trusted there.` : 'Every copy keeps the CAs it trusts now and gains the new one(s).'} Nodes and clients use the copies after they reload.`,
        changes,
        reads: [action.from, ...action.to],
        observed: null,
        writes: action.to,
        keepOnRollback: [],
        run: async () => {
          const fresh = await readCerts(action.from, 'CA bundle');
          if (!fresh) throw new ToolError('not_found', `${action.from} disappeared`);
          await writeFilesAtomically(action.to.map((to): PlannedFile => ({ path: to, contents: fresh.bytes, mode: CERT_MODE, overwrite: true })), { insideRoots: deps.insideRoots });
        },
      };
    }
    case 'issue_node':
    case 'issue_client': {
      const ca = await loadSigningCa(action.ca_cert, action.ca_key);
      const lifetimeMs = action.lifetime_hours * HOUR_MS;
      checkLifetimeAgainstCa(ca.certificate, lifetimeMs, now);
      const isNode = action.kind === 'issue_node';
      const names = isNode ? splitHosts(action.hosts) : undefined;
      // A node identity served from several places gets one key and certificate, written to each (steps.ts copies).
      const copies = action.kind === 'issue_node' ? action.copies : [];
      const paths = [action.cert, action.key, ...copies.flatMap((c) => [c.cert, c.key]), ...(action.kind === 'issue_client' ? [action.pkcs8, action.pkcs8_pem].filter((p): p is string => p !== null) : [])];
      const present = await Promise.all(paths.map(exists));
      const keyPaths = new Set([action.key, ...copies.map((c) => c.key), ...(action.kind === 'issue_client' ? [action.pkcs8, action.pkcs8_pem].filter((p): p is string => p !== null) : [])]);
      const replacing = paths.filter((_, i) => present[i]);
      const who = isNode ? `node certificate for ${action.hosts.join(', ')}` : `client certificate for SQL user ${action.user}`;
      return {
        severity: replacing.length > 0 ? 'high' : 'low',
        impact: replacing.length > 0
          ? `Replaces the ${who} in ${replacing.join(', ')} with a new key and certificate signed by ${described(ca.certificate)}. Whatever uses these files (a node, an application) keeps its open connections; a node serves the new certificate after it reloads, an application after it reconnects with the new files. The old files are backed up first.`
          : `Creates the ${who} in ${paths.join(', ')}, signed by ${described(ca.certificate)}.`,
        changes: await Promise.all(paths.map(async (p, i) => (present[i] ? `replace ${p} ${await replaceNote(p, keyPaths.has(p))}` : `create ${p}`))),
        reads: [...paths, action.ca_cert],
        observed: null,
        writes: paths,
        keepOnRollback: [],
        run: async () => {
          const key = await generateRsaKey(action.key_size);
          const issued = isNode
            ? issueCertificate({ profile: 'node', commonName: 'node', subjectPublicKey: spkiDer(key), dnsNames: names!.dnsNames, ipAddresses: names!.ipAddresses, lifetimeMs }, ca)
            : issueCertificate({ profile: 'client', commonName: (action as { user: string }).user, subjectPublicKey: spkiDer(key), uris: (action as { tenant_uris: string[] }).tenant_uris, lifetimeMs }, ca);
          const files: PlannedFile[] = [action, ...copies].flatMap((place): PlannedFile[] => [
            { path: place.key, contents: privateKeyPem(key), mode: KEY_MODE, overwrite: true },
            { path: place.cert, contents: issued.pem, mode: CERT_MODE, overwrite: true },
          ]);
          // The key in every other format a client of this certificate reads (pki/derived.ts), from the same key.
          if (action.kind === 'issue_client' && action.pkcs8) files.push({ path: action.pkcs8, contents: privateKeyPkcs8Der(key), mode: KEY_MODE, overwrite: true });
          if (action.kind === 'issue_client' && action.pkcs8_pem) files.push({ path: action.pkcs8_pem, contents: privateKeyPkcs8Pem(key), mode: KEY_MODE, overwrite: true });
          await writeFilesAtomically(files, { insideRoots: deps.insideRoots });
        },
      };
    }
    case 'remove_ca':
      return prepareRemoval(action, deps, now);
  }
}

/**
 * A .p12 / .pk8 / PKCS#8 PEM key not made again with its client certificate: its users still log
 * in with what the old CA signed (or with a key that fits no current certificate), and removing
 * the old CA locks them out (pki/derived.ts).
 */
async function derivedBlockers(dir: string, user: string, cert: ParsedCertificate, removedCerts: ParsedCertificate[], now: Date): Promise<string[]> {
  const pair = pairOf(dir, user);
  const blockers: string[] = [];
  for (const file of await findDerivedFiles(dir, user)) {
    const check = await checkDerivedFile(file, cert, { certPath: pair.cert, keyPath: pair.key, caPath: path.join(dir, CA_CERT), user, now });
    if (check.matches !== false) continue;
    const stale = check.certificates.find((c) => !c.info.is_ca && c.notAfter > now && findIssuer(c, removedCerts));
    if (file.kind !== 'pkcs12' || stale) blockers.push(`${file.path}: ${check.problem} (make it again: ${check.regenerate})`);
  }
  return blockers;
}

async function prepareRemoval(action: Extract<StepAction, { kind: 'remove_ca' }>, deps: StepDeps, now: Date): Promise<Prepared> {
  const remove = new Set(action.remove.map((r) => r.sha256_fingerprint));
  const removedCerts: ParsedCertificate[] = [];
  const rewrites: Array<{ path: string; contents: string; removed: ParsedCertificate[]; kept: ParsedCertificate[] }> = [];
  for (const bundle of action.bundles) {
    const current = await readCerts(bundle, 'CA bundle');
    if (!current) throw new ToolError('not_found', `${bundle} does not exist; nothing was changed`, 'The plan expected this CA bundle; make a new plan if it moved.');
    const removed = current.certs.filter((c) => remove.has(c.info.sha256_fingerprint));
    const kept = current.certs.filter((c) => !remove.has(c.info.sha256_fingerprint));
    if (removed.length === 0) continue;
    if (kept.length === 0) throw new ToolError('refused', `removing ${removed.map(described).join(', ')} would leave ${bundle} with no CA at all; nothing was changed`, 'The new CA is missing from this bundle: apply the steps that add it first.');
    for (const c of removed) if (!removedCerts.some((r) => r.der.equals(c.der))) removedCerts.push(c);
    rewrites.push({ path: bundle, contents: kept.map((c) => toPem('CERTIFICATE', c.der)).join(''), removed, kept });
  }
  // Nothing signed by a removed CA may still be valid or in use (the overlap rule).
  const blockers: string[] = [];
  const checked: string[] = [];
  if (removedCerts.length > 0) {
    const inDirs = await Promise.all(action.check_dirs.map(async (dir) => (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.crt')).map((n) => path.join(dir, n))));
    for (const file of [...new Set([...inDirs.flat(), ...action.check_files])]) {
      checked.push(file);
      const found = await readCerts(file, 'certificate').catch(() => undefined);
      const leaf = found?.certs[0];
      if (!leaf || leaf.info.is_ca || leaf.notAfter <= now) continue;
      const issuer = findIssuer(leaf, removedCerts);
      if (issuer) blockers.push(`${file} (${described(leaf)}) is still valid and signed by ${described(issuer)}`);
      const user = /^client\.(.+)\.crt$/.exec(path.basename(file))?.[1];
      if (user && action.check_dirs.includes(path.dirname(file))) blockers.push(...(await derivedBlockers(path.dirname(file), user, leaf, removedCerts, now)));
    }
  }
  const observed: Record<string, string> = {};
  const unchecked: string[] = [];
  if (removedCerts.length > 0 && rewrites[0]) {
    for (const [i, target] of action.check_hosts.entries()) {
      const where = `${target.host}:${target.port}`;
      deps.progress?.(`checking that ${where} no longer depends on the old CA (${i + 1}/${action.check_hosts.length})`);
      const report = await probeServer({ host: target.host, port: target.port, ca: { path: `${rewrites[0].path} without the removed CA`, contents: Buffer.from(rewrites[0].contents) }, clientCaNames: false, timeoutMs: deps.probeTimeoutMs ?? 5_000, openssl: null, network: deps.network, ...(deps.signal ? { signal: deps.signal } : {}) });
      const served = report.chain.find((c) => c.position === 0);
      if (!served) {
        unchecked.push(`${where} (${report.summary})`);
        continue;
      }
      observed[where] = served.sha256_fingerprint;
      if (report.verification?.verified === false) blockers.push(`${where} serves ${served.subject} [SHA-256 ${served.sha256_fingerprint.slice(0, 23)}…], which does not verify without the removed CA (${report.verification.error ?? 'unknown issuer'})`);
    }
  }
  if (blockers.length > 0) {
    throw new ToolError('refused', `the old CA cannot be removed yet, nothing was changed: ${blockers.join('; ')}`, 'Reissue those certificates with the new CA and reload the nodes (the earlier steps of the plan), or let them expire, then apply this step again.');
  }
  const removedText = removedCerts.map(described).join(', ');
  return {
    severity: rewrites.length > 0 ? 'high' : 'low',
    impact: rewrites.length > 0
      ? `Removes ${removedText} from ${rewrites.map((r) => r.path).join(', ')}. Every certificate it signed stops being trusted wherever these bundles are loaded (after a reload), including copies this plan does not know about. Checked first: no valid certificate in ${[...action.check_dirs, ...action.check_files].join(', ') || 'no file'}${action.check_hosts.length ? ` and no certificate served by ${action.check_hosts.map((h) => `${h.host}:${h.port}`).join(', ')}` : ''} still depends on it.${unchecked.length ? ` Could not check: ${unchecked.join('; ')}.` : ''}`
      : `The CA(s) to remove are no longer in ${action.bundles.join(', ')}; nothing to change.`,
    changes: rewrites.map((r) => `rewrite ${r.path}: keep ${r.kept.length} CA(s), remove ${r.removed.map(described).join(', ')}`),
    reads: [...action.bundles, ...action.check_files, ...checked],
    observed,
    writes: rewrites.map((r) => r.path),
    keepOnRollback: [],
    run: async () => {
      if (rewrites.length === 0) return;
      await writeFilesAtomically(rewrites.map((r): PlannedFile => ({ path: r.path, contents: r.contents, mode: CERT_MODE, overwrite: true })), { insideRoots: deps.insideRoots });
    },
  };
}

// ---- apply --------------------------------------------------------------------------------------

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

// ---- rollback -----------------------------------------------------------------------------------

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

