import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { ToolError } from '../core/errors.js';
import { parseCertificates, type CertificateInfo, type ParsedCertificate } from '../pki/certificate.js';
import type { Impact } from '../pki/impact.js';
import { verifyChain } from '../pki/verify.js';
import { clusterPath, type CloudApiClient } from './api-client.js';
import { describeCa, fingerprintsOf, type CaBundle } from './ca-bundle.js';
import { requireClientCaPlan } from './cluster-plan.js';

/** `ClientCACertStatus` of the spec (reference §4.2). */
export const ClientCaStatus = z.enum(['NOT_SET', 'IS_SET', 'PENDING', 'FAILED']);
export type ClientCaStatus = z.infer<typeof ClientCaStatus>;

/** `ClientCACertInfo = {status, x509_pem_cert}`: what GET, POST, PATCH and DELETE answer. */
interface ClientCaInfo {
  status: ClientCaStatus;
  x509_pem_cert: string;
}

/** The Client CA as read, with its certificates parsed when the PEM allows it. */
export interface ClientCaState {
  info: ClientCaInfo;
  /** Undefined when the PEM is empty or could not be parsed. */
  certificates: ParsedCertificate[] | undefined;
  parseError: string | undefined;
}

const clientCaPath = (clusterId: string) => clusterPath(clusterId, '/client-ca-cert');

function toInfo(value: unknown, what: string): ClientCaInfo {
  const body = (value ?? {}) as { status?: unknown; x509_pem_cert?: unknown };
  const status = ClientCaStatus.safeParse(body.status);
  if (!status.success) throw new ToolError('unavailable', `the Cloud API answered ${what} with an unknown Client CA status ${JSON.stringify(body.status)}`, 'Expected NOT_SET, IS_SET, PENDING or FAILED; crdb-tls may need an update.');
  return { status: status.data, x509_pem_cert: typeof body.x509_pem_cert === 'string' ? body.x509_pem_cert : '' };
}

function toState(info: ClientCaInfo): ClientCaState {
  if (info.x509_pem_cert.trim() === '') return { info, certificates: undefined, parseError: undefined };
  try {
    return { info, certificates: parseCertificates(info.x509_pem_cert, 'the Client CA set on the cluster'), parseError: undefined };
  } catch (error) {
    return { info, certificates: undefined, parseError: (error as Error).message };
  }
}

export async function readClientCa(api: CloudApiClient, clusterId: string): Promise<ClientCaState> {
  const path = clientCaPath(clusterId);
  return toState(toInfo(await api.readJson<unknown>(path, { clusterId }), `GET ${path}`));
}

/** What the gate compares: the Client CA and its status as read (and the bundle to be sent, when there is one). */
function clientCaFingerprint(clusterId: string, state: ClientCaState, bundle?: CaBundle): string {
  return crypto
    .createHash('sha256')
    .update(JSON.stringify({ cluster: clusterId, status: state.info.status, pem: state.info.x509_pem_cert.trim(), sending: bundle?.pem ?? null }))
    .digest('hex');
}

const list = (certs: Array<{ info: CertificateInfo }>) => certs.map((c) => describeCa(c.info)).join('; ');

function refuseWhilePending(clusterId: string, state: ClientCaState): void {
  if (state.info.status === 'PENDING') {
    throw new ToolError('refused', `a Client CA change on cluster ${clusterId} is still in progress (PENDING); nothing was sent`, `Wait until it settles (crdb-tls cloud client-ca get ${clusterId}), then try again.`);
  }
}

// ---- get -------------------------------------------------------------------------------------

export interface ClientCaView {
  cluster_id: string;
  plan: string | null;
  status: ClientCaStatus;
  certificates: CertificateInfo[];
  pem: string;
  parse_error?: string;
}

export async function getClientCa(api: CloudApiClient, clusterId: string): Promise<ClientCaView> {
  const plan = await requireClientCaPlan(api, clusterId);
  const state = await readClientCa(api, clusterId);
  return {
    cluster_id: clusterId,
    plan: plan.plan ?? null,
    status: state.info.status,
    certificates: state.certificates?.map((c) => c.info) ?? [],
    pem: state.info.x509_pem_cert,
    ...(state.parseError ? { parse_error: state.parseError } : {}),
  };
}

// ---- waiting for the asynchronous change --------------------------------------------------------

interface WaitOptions {
  /** Give up after this long (Terraform waits 10 minutes: client_ca_cert_resource.go). */
  timeoutMs: number;
  /** First check after this long; then 1.5 times longer each time, up to maxIntervalMs. */
  firstCheckMs?: number;
  maxIntervalMs?: number;
  progress?: ((message: string, fraction?: number) => void) | undefined;
  signal?: AbortSignal | undefined;
}

interface Settled {
  state: ClientCaState;
  checks: number;
  elapsedMs: number;
}

/**
 * Polls GET client-ca-cert until the change settles: `IS_SET` with the bundle sent (after POST or
 * PATCH) or `NOT_SET` (after DELETE); `PENDING` while in flight; `FAILED` is an error
 * (reference §4.2: "200 only means accepted").
 */
async function waitForClientCa(api: CloudApiClient, clusterId: string, target: 'IS_SET' | 'NOT_SET', expected: Set<string> | undefined, options: WaitOptions): Promise<Settled> {
  const started = Date.now();
  let interval = options.firstCheckMs ?? 250;
  const maxInterval = options.maxIntervalMs ?? 5_000;
  let checks = 0;
  let last: ClientCaState | undefined;
  for (;;) {
    const elapsed = Date.now() - started;
    const remaining = options.timeoutMs - elapsed;
    if (remaining <= 0) {
      const now = last ? `${last.info.status}${last.info.status === 'IS_SET' ? ' with a different bundle than the one sent' : ''}` : 'unknown';
      throw new ToolError(
        'unavailable',
        `the Client CA change on cluster ${clusterId} was accepted but had not settled at ${target} after ${Math.round(options.timeoutMs / 1000)} s (status now: ${now})`,
        `It may still complete: check with crdb-tls cloud client-ca get ${clusterId} before changing anything again.`,
      );
    }
    try {
      await sleep(Math.min(interval, remaining), undefined, options.signal ? { signal: options.signal } : {});
    } catch {
      throw new ToolError('cancelled', `the call was cancelled while waiting for the Client CA of cluster ${clusterId} to settle; the change may still complete`, `Check with crdb-tls cloud client-ca get ${clusterId}.`);
    }
    interval = Math.min(maxInterval, Math.round(interval * 1.5));
    last = await readClientCa(api, clusterId);
    checks += 1;
    const seconds = Math.round((Date.now() - started) / 1000);
    const status = last.info.status;
    if (status === 'FAILED') {
      throw new ToolError(
        'operation_failed',
        `the Cloud reported FAILED for the Client CA change on cluster ${clusterId} (after ${seconds} s)`,
        `The cluster may still trust its previous Client CA: check with crdb-tls cloud client-ca get ${clusterId}. Check the bundle (PEM CA certificates separated by a blank line), then try again; contact Cockroach Labs support if it fails again.`,
      );
    }
    const matches = expected === undefined || last.certificates === undefined || sameSet(fingerprintsOf(last.certificates), expected);
    if (status === target && (target === 'NOT_SET' || matches)) {
      options.progress?.(`Client CA of cluster ${clusterId}: ${status} after ${seconds} s`, 1);
      return { state: last, checks, elapsedMs: Date.now() - started };
    }
    options.progress?.(`Client CA of cluster ${clusterId}: ${status === target ? `${status}, not yet with the new bundle` : status} after ${seconds} s (check ${checks}; giving up after ${Math.round(options.timeoutMs / 1000)} s)`, Math.min(0.99, (Date.now() - started) / options.timeoutMs));
  }
}

const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
const samePemState = (a: ClientCaState, b: ClientCaState) => a.info.status === b.info.status && a.info.x509_pem_cert.trim() === b.info.x509_pem_cert.trim();

// ---- set -------------------------------------------------------------------------------------

export interface ClientCertToVerify {
  source: string;
  /** The certificate first, then any intermediates that came with it. */
  certificates: ParsedCertificate[];
}

export interface SetClientCaOptions {
  clusterId: string;
  bundle: CaBundle;
  /** Client certificates the person expects to keep working: a warning names each the bundle would not verify. */
  verify: ClientCertToVerify[];
  wait: WaitOptions;
}

interface SetPlan {
  state: ClientCaState;
  method: 'POST' | 'PATCH' | null;
  added: ParsedCertificate[];
  /** Undefined when the CAs now set could not be read (then the update may drop anything). */
  dropped: ParsedCertificate[] | undefined;
  warnings: string[];
}

/** POST the first time, PATCH after (the ccloud `set` / `update` pair, reference §4.2). */
function planSet(o: SetClientCaOptions, state: ClientCaState): SetPlan {
  const sending = o.bundle.certificates;
  const warnings = [...o.bundle.warnings, ...verificationWarnings(o)];
  const nothingSet = state.info.status === 'NOT_SET' || (state.info.status === 'FAILED' && state.info.x509_pem_cert.trim() === '');
  if (nothingSet) return { state, method: 'POST', added: sending, dropped: [], warnings };
  if (state.parseError) warnings.push(`the Client CA now set could not be read (${state.parseError}), so what the update drops is unknown`);
  const current = state.certificates;
  if (!current) return { state, method: 'PATCH', added: sending, dropped: undefined, warnings };
  const now = fingerprintsOf(current);
  const next = fingerprintsOf(sending);
  const added = sending.filter((c) => !now.has(c.info.sha256_fingerprint));
  const dropped = current.filter((c) => !next.has(c.info.sha256_fingerprint));
  // The same bundle again on a settled cluster changes nothing; after FAILED it is a retry.
  const method = state.info.status === 'IS_SET' && added.length === 0 && dropped.length === 0 ? null : 'PATCH';
  return { state, method, added, dropped, warnings };
}

function verificationWarnings(o: SetClientCaOptions): string[] {
  return o.verify.flatMap(({ source, certificates }) => {
    const [leaf, ...intermediates] = certificates;
    if (!leaf) return [];
    const result = verifyChain(leaf, intermediates, o.bundle.certificates, { purpose: 'client_auth' });
    return result.verified ? [] : [`client certificate ${leaf.info.subject} (${source}) would not verify against the new bundle: ${result.error}`];
  });
}

export async function assessSetClientCa(api: CloudApiClient, o: SetClientCaOptions): Promise<Impact> {
  await requireClientCaPlan(api, o.clusterId);
  const state = await readClientCa(api, o.clusterId);
  refuseWhilePending(o.clusterId, state);
  const plan = planSet(o, state);
  const path = `${api.server}${clientCaPath(o.clusterId)}`;
  const warningText = plan.warnings.length ? ` Warning: ${plan.warnings.join('; ')}.` : '';
  const sendChange = (method: string) => [
    `${method} ${path} with ${o.bundle.certificates.length} CA certificate(s): ${list(o.bundle.certificates)}`,
    `then read the status until it is IS_SET (at most ${Math.round(o.wait.timeoutMs / 1000)} s)`,
  ];
  const fingerprint = clientCaFingerprint(o.clusterId, state, o.bundle);
  if (plan.method === 'POST') {
    return {
      severity: 'low',
      impact: `First Client CA upload for cluster ${o.clusterId}: from now on SQL clients may log in with certificates signed by ${list(o.bundle.certificates)}. Password logins are unaffected.${warningText}`,
      changes: sendChange('POST'),
      rollback: `Remove it again: crdb-tls cloud client-ca remove ${o.clusterId} (remove_client_ca).`,
      state_fingerprint: fingerprint,
    };
  }
  if (plan.method === null) {
    return {
      severity: 'low',
      impact: `Cluster ${o.clusterId} already trusts exactly these Client CA certificates (${list(o.bundle.certificates)}); nothing will be sent.${warningText}`,
      changes: [],
      rollback: 'Nothing to undo.',
      state_fingerprint: fingerprint,
    };
  }
  const rollback = `Set the previous bundle again with set_client_ca (crdb-tls cloud client-ca set ${o.clusterId} --cert-file OLD.pem); it is returned as previous_pem in the result, and crdb-tls cloud client-ca get ${o.clusterId} --json shows it now.`;
  if (plan.dropped === undefined) {
    return {
      severity: 'high',
      impact: `Replaces the Client CA of cluster ${o.clusterId} (status ${state.info.status}), but the CA certificates now set could not be read, so this may drop a CA that clients use: clients whose certificates were signed by a dropped CA will be refused at their next login. New bundle: ${list(o.bundle.certificates)}.${warningText}`,
      changes: sendChange('PATCH'),
      rollback,
      state_fingerprint: fingerprint,
    };
  }
  if (plan.dropped.length > 0) {
    return {
      severity: 'high',
      impact: `Updates the Client CA of cluster ${o.clusterId} and DROPS ${plan.dropped.length} CA certificate(s) it trusts now: ${list(plan.dropped)}. Every SQL client whose certificate was signed only by a dropped CA will be refused at its next login.${plan.added.length ? ` Adds: ${list(plan.added)}.` : ''}${warningText}`,
      changes: sendChange('PATCH'),
      rollback,
      state_fingerprint: fingerprint,
    };
  }
  return {
    severity: 'medium',
    impact: `Updates the Client CA of cluster ${o.clusterId}: keeps all ${state.certificates?.length ?? 0} CA certificate(s) it trusts now and ${plan.added.length ? `adds ${list(plan.added)}` : 'retries the bundle after a FAILED change'}. Clients that log in today keep working.${warningText}`,
    changes: sendChange('PATCH'),
    rollback,
    state_fingerprint: fingerprint,
  };
}

export interface SetClientCaResult {
  cluster_id: string;
  method: 'POST' | 'PATCH' | null;
  action: 'set' | 'updated' | 'unchanged';
  status: ClientCaStatus;
  certificates: CertificateInfo[];
  added: CertificateInfo[];
  dropped: CertificateInfo[];
  previous_pem: string;
  warnings: string[];
  requests_sent: number;
  checks: number;
  elapsed_ms: number;
}

export async function setClientCa(api: CloudApiClient, o: SetClientCaOptions): Promise<SetClientCaResult> {
  const before = await readClientCa(api, o.clusterId);
  refuseWhilePending(o.clusterId, before);
  const plan = planSet(o, before);
  const base = {
    cluster_id: o.clusterId,
    certificates: o.bundle.certificates.map((c) => c.info),
    added: plan.added.map((c) => c.info),
    dropped: (plan.dropped ?? before.certificates ?? []).map((c) => c.info),
    previous_pem: before.info.x509_pem_cert,
    warnings: plan.warnings,
  };
  if (plan.method === null) return { ...base, method: null, action: 'unchanged', status: before.info.status, added: [], dropped: [], requests_sent: 0, checks: 0, elapsed_ms: 0 };

  const expected = fingerprintsOf(o.bundle.certificates);
  const tookEffect = async () => {
    const now = await readClientCa(api, o.clusterId);
    if (now.info.status === 'PENDING') return true;
    if (now.info.status === 'IS_SET' && now.certificates && sameSet(fingerprintsOf(now.certificates), expected)) return true;
    return !samePemState(now, before);
  };
  const outcome = await api.write<unknown>(plan.method, clientCaPath(o.clusterId), { x509_pem_cert: o.bundle.pem }, { clusterId: o.clusterId, tookEffect });
  if (outcome.body !== undefined) toInfo(outcome.body, `${plan.method} ${clientCaPath(o.clusterId)}`);
  o.wait.progress?.(`Client CA of cluster ${o.clusterId}: ${plan.method} accepted; waiting for IS_SET`, 0);
  const settled = await waitForClientCa(api, o.clusterId, 'IS_SET', expected, o.wait);
  return { ...base, method: plan.method, action: plan.method === 'POST' ? 'set' : 'updated', status: settled.state.info.status, requests_sent: outcome.sent, checks: settled.checks, elapsed_ms: settled.elapsedMs };
}

// ---- remove ----------------------------------------------------------------------------------

export interface RemoveClientCaOptions {
  clusterId: string;
  wait: WaitOptions;
}

export async function assessRemoveClientCa(api: CloudApiClient, o: RemoveClientCaOptions): Promise<Impact> {
  await requireClientCaPlan(api, o.clusterId);
  const state = await readClientCa(api, o.clusterId);
  refuseWhilePending(o.clusterId, state);
  const fingerprint = clientCaFingerprint(o.clusterId, state);
  if (state.info.status === 'NOT_SET') {
    return { severity: 'low', impact: `Cluster ${o.clusterId} has no Client CA; nothing will be sent.`, changes: [], rollback: 'Nothing to undo.', state_fingerprint: fingerprint };
  }
  const trusted = state.certificates ? list(state.certificates) : state.parseError ? `a bundle that could not be read (${state.parseError})` : 'the CA set now';
  return {
    severity: 'high',
    impact: `Removes the Client CA of cluster ${o.clusterId} (status ${state.info.status}): it stops trusting ${trusted}. Every SQL client that logs in with a certificate will be refused from then on; password logins are unaffected.`,
    changes: [`DELETE ${api.server}${clientCaPath(o.clusterId)}`, `then read the status until it is NOT_SET (at most ${Math.round(o.wait.timeoutMs / 1000)} s)`],
    rollback: `Upload the same bundle again: crdb-tls cloud client-ca set ${o.clusterId} --cert-file CA.pem (the removed PEM is returned as previous_pem in the result).`,
    state_fingerprint: fingerprint,
  };
}

export interface RemoveClientCaResult {
  cluster_id: string;
  action: 'removed' | 'unchanged';
  status: ClientCaStatus;
  removed: CertificateInfo[];
  previous_pem: string;
  requests_sent: number;
  checks: number;
  elapsed_ms: number;
}

export async function removeClientCa(api: CloudApiClient, o: RemoveClientCaOptions): Promise<RemoveClientCaResult> {
  const before = await readClientCa(api, o.clusterId);
  refuseWhilePending(o.clusterId, before);
  const base = { cluster_id: o.clusterId, removed: (before.certificates ?? []).map((c) => c.info), previous_pem: before.info.x509_pem_cert };
  if (before.info.status === 'NOT_SET') return { ...base, action: 'unchanged', status: 'NOT_SET', removed: [], requests_sent: 0, checks: 0, elapsed_ms: 0 };
  const tookEffect = async () => {
    const now = await readClientCa(api, o.clusterId);
    return now.info.status === 'PENDING' || now.info.status === 'NOT_SET' || !samePemState(now, before);
  };
  const outcome = await api.write<unknown>('DELETE', clientCaPath(o.clusterId), undefined, { clusterId: o.clusterId, tookEffect });
  if (outcome.body !== undefined) toInfo(outcome.body, `DELETE ${clientCaPath(o.clusterId)}`);
  o.wait.progress?.(`Client CA of cluster ${o.clusterId}: DELETE accepted; waiting for NOT_SET`, 0);
  const settled = await waitForClientCa(api, o.clusterId, 'NOT_SET', undefined, o.wait);
  return { ...base, action: 'removed', status: settled.state.info.status, requests_sent: outcome.sent, checks: settled.checks, elapsed_ms: settled.elapsedMs };
}
