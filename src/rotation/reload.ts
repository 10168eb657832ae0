import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { ToolError } from '../core/errors.js';
import { readBoundedFile } from '../core/read-file.js';
import type { NetworkPolicy } from '../net/policy.js';
import { probeServer, type Material, type ProbeReport } from '../net/probe.js';
import { parseCertificates } from '../pki/certificate.js';
import type { Impact } from '../pki/impact.js';
import { DEFAULT_RELOAD_PROCESSES, identifyNodeProcess, type NodeProcess } from './node-process.js';

/**
 * reload_node_certs: SIGHUP to a node process on this machine, then probes until the node serves
 * the certificate expected (compared by SHA-256 fingerprint) or a timeout passes. CockroachDB
 * rescans its certs dir on SIGHUP and keeps the certificates it had when the reload fails
 * (reference §2.1); PostgreSQL's postmaster reloads its TLS files on SIGHUP too. A node that still
 * serves the old certificate after the timeout is reported with where to look.
 */

export const DEFAULT_RELOAD_TIMEOUT_MS = 30_000;

const Served = z.object({ sha256_fingerprint: z.string(), subject: z.string(), not_after: z.string() });
type Served = z.infer<typeof Served>;

export const ReloadReport = z.object({
  ok: z.boolean().describe('The node serves what was expected after the signal'),
  outcome: z.enum(['reloaded', 'already_serving', 'serving', 'kept_old_certificate', 'unreachable']).describe(
    'reloaded: the served certificate changed to the expected one; already_serving: it served the expected one before the signal; serving: no change was expected and the node answers; kept_old_certificate: still the old one at the timeout; unreachable: no certificate read after the signal',
  ),
  pid: z.number().int(),
  process: z.string().nullable().describe('The process name (/proc/PID/comm), when readable'),
  target: z.string(),
  expected: z.object({ source: z.enum(['file', 'change', 'same']), path: z.string().nullable(), sha256_fingerprint: z.string().nullable() }),
  before: Served.nullable(),
  after: Served.nullable(),
  verified: z.boolean().nullable().describe('Whether the chain served after the reload verifies against the CA given'),
  probes: z.number().int(),
  elapsed_ms: z.number().int(),
  message: z.string(),
  where_to_look: z.array(z.string()),
});
export type ReloadReport = z.infer<typeof ReloadReport>;

export interface ReloadOptions {
  pid?: number;
  pidfile?: string;
  host: string;
  port: number;
  ca?: Material;
  servername?: string;
  /** The certificate file the node should serve after reloading (its first certificate). */
  expectCert?: string;
  /** Only the trust changed: success is the node answering with the same certificate. */
  expectSame?: boolean;
  timeoutMs: number;
  intervalMs: number;
  probeTimeoutMs?: number;
  /** Which targets the reload probe may reach (CRDB_TLS_NETWORK_ALLOW). */
  network: NetworkPolicy;
  /** Executables that may be signalled (CRDB_TLS_RELOAD_PROCESSES; default cockroach, postgres, postmaster). */
  allowedProcesses?: readonly string[];
  signal?: AbortSignal;
  progress?: (message: string, fraction?: number) => void;
}

/** The pid from --pid, or line 1 of a pid file (cockroach --pid-file, PostgreSQL's postmaster.pid). */
async function readPid(options: Pick<ReloadOptions, 'pid' | 'pidfile'>): Promise<{ pid: number; source: string }> {
  if ((options.pid === undefined) === (options.pidfile === undefined)) throw new ToolError('invalid_input', 'give exactly one of pid and pidfile', 'Example: --pidfile /var/lib/postgresql/data/postmaster.pid, or --pid 4242');
  if (options.pid !== undefined) return { pid: checkPid(options.pid, 'pid'), source: `pid ${options.pid}` };
  let text: string;
  try {
    text = await fs.readFile(options.pidfile!, 'utf8');
  } catch (error) {
    throw new ToolError('not_found', `cannot read the pid file ${options.pidfile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'Is the node running? cockroach writes it with --pid-file; PostgreSQL keeps postmaster.pid in its data dir.');
  }
  const first = text.split('\n')[0]?.trim() ?? '';
  if (!/^\d+$/.test(first)) throw new ToolError('invalid_input', `the first line of ${options.pidfile} is not a process id`, 'Give the pid file the node writes (first line: the pid).');
  return { pid: checkPid(Number(first), `the pid in ${options.pidfile}`), source: options.pidfile! };
}

function checkPid(pid: number, what: string): number {
  // 0 and negative numbers signal process groups: never that.
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new ToolError('invalid_input', `${what} must be a positive process id, not ${pid}`);
  if (pid === process.pid) throw new ToolError('invalid_input', `${what} is crdb-tls itself`);
  return pid;
}

/** The process behind the pid, checked to be a database server of ours (node-process.ts); nothing is signalled. */
async function nodeProcess(o: ReloadOptions): Promise<NodeProcess> {
  const { pid, source } = await readPid(o);
  return identifyNodeProcess(pid, source, o.allowedProcesses ?? DEFAULT_RELOAD_PROCESSES, o.pidfile);
}

const describe = (p: NodeProcess) => `${p.pid} (${p.executable}${p.name && p.name !== p.executable ? `, ${p.name}` : ''}, uid ${p.uid})`;

async function expectedFingerprint(file: string | undefined): Promise<string | null> {
  if (!file) return null;
  let bytes: Buffer;
  try {
    bytes = await readBoundedFile(file, 'expected certificate');
  } catch (error) {
    if (error instanceof ToolError) throw error;
    throw new ToolError('not_found', `cannot read the expected certificate ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseCertificates(bytes, file)[0]!.info.sha256_fingerprint;
}

const label = (o: Pick<ReloadOptions, 'host' | 'port'>) => `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;

async function probe(o: ReloadOptions, timeoutMs: number): Promise<{ report: ProbeReport; served: Served | null }> {
  const report = await probeServer({
    host: o.host,
    port: o.port,
    ...(o.ca ? { ca: o.ca } : {}),
    ...(o.servername ? { servername: o.servername } : {}),
    clientCaNames: false,
    timeoutMs,
    openssl: null,
    // The served chain is all a reload needs: no StartupMessage, so no login attempt in the server's log.
    login: false,
    network: o.network,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const leaf = report.chain.find((c) => c.position === 0);
  return { report, served: leaf ? { sha256_fingerprint: leaf.sha256_fingerprint, subject: leaf.subject, not_after: leaf.not_after } : null };
}

export async function assessReload(o: ReloadOptions): Promise<Impact> {
  if (o.expectCert && o.expectSame) throw new ToolError('invalid_input', 'expect_cert and expect_same exclude each other');
  const info = await nodeProcess(o);
  const { pid, source } = info;
  const expected = await expectedFingerprint(o.expectCert);
  const { served } = await probe(o, Math.min(o.probeTimeoutMs ?? 5_000, o.timeoutMs));
  return {
    severity: 'medium',
    impact: `Sends SIGHUP to process ${describe(info)} from ${source}: a CockroachDB node rescans its certs dir (a PostgreSQL postmaster re-reads its configuration and TLS files). ${served ? `${label(o)} serves ${served.subject} [SHA-256 ${served.sha256_fingerprint.slice(0, 23)}…] now` : `${label(o)} does not answer with a certificate now`}; ${expected ? `it should serve SHA-256 ${expected.slice(0, 23)}… (${o.expectCert}) after the reload` : o.expectSame ? 'only its trust files changed, so it should serve the same certificate' : 'it should serve a different certificate after the reload'}. Open connections are not affected; a failed reload keeps the old certificates.`,
    changes: [`send SIGHUP to process ${describe(info)}`],
    rollback: 'Nothing to undo: the signal only makes the process re-read its files. To go back, restore the previous files (crdb-tls rotate rollback) and reload again.',
    state_fingerprint: crypto.createHash('sha256').update(JSON.stringify({ pid, start: info.startTime, executable: info.executable, argv0: info.argv0, uid: info.uid, served: served?.sha256_fingerprint ?? null, expected })).digest('hex'),
  };
}

const isPostgres = (name: string | null) => name === 'postgres' || name === 'postmaster';

const WHERE_TO_LOOK = (o: ReloadOptions, processName: string | null) => isPostgres(processName) ? [
  'PostgreSQL logs why it could not load its SSL files in its server log (after `received SIGHUP, reloading configuration files`) and keeps serving the previous ones.',
  'Check the files it loads (ssl_cert_file, ssl_key_file in postgresql.conf; server.crt / server.key in the data dir by default): the key must match the certificate, be owned by the user the server runs as, and be mode 0600 (0640 when owned by root).',
] : [
  'CockroachDB keeps the certificates it had when a reload fails (reference §2.1): look in the node\'s log (OPS channel) for `could not reload certificates` and the certs_reload event with Success:false, e.g. `reload would lose valid node cert`.',
  'Check the files the node loads: node.crt must match node.key, node.key must be mode 0600 (0740 when owned by root) and owned by the user the node runs as, and node.crt must be signed by a CA in ca.crt: crdb-tls cert list --certs-dir <its certs dir>.',
  `DB Console: https://${o.host}:8080/#/reports/certificates/local shows what the node has loaded.`,
];

/** However long the timeout, the reload probes the node at most this often (each probe is one TLS handshake, no login). */
export const MAX_RELOAD_PROBES = 40;
/** The longest wait between two probes: the backoff stops growing here. */
const MAX_PROBE_WAIT_MS = 5_000;

/**
 * The wait after probe number `probes` (1-based): interval_ms for the first few looks (a reload
 * usually lands within a second), then doubling up to MAX_PROBE_WAIT_MS, never under one second
 * after the third probe, so that a node that never reloads sees a handful of handshakes, not a
 * tight loop filling its log.
 */
export function probeWait(intervalMs: number, probes: number): number {
  if (probes <= 3) return intervalMs;
  return Math.min(MAX_PROBE_WAIT_MS, Math.max(1_000, intervalMs * 2 ** (probes - 3)));
}

export async function reloadNodeCerts(o: ReloadOptions): Promise<ReloadReport> {
  const started = performance.now();
  const info = await nodeProcess(o);
  const { pid } = info;
  const expectedFp = await expectedFingerprint(o.expectCert);
  const where = label(o);
  const probeMs = Math.min(o.probeTimeoutMs ?? 5_000, o.timeoutMs);
  o.progress?.(`reading what ${where} serves before the signal`);
  const before = (await probe(o, probeMs)).served;
  // Looked at again just before the signal: the pid must still be the very process assessed
  // (same start time), not one the kernel gave the number to meanwhile.
  const now = await nodeProcess(o);
  if (now.startTime !== info.startTime) throw new ToolError('refused', `process ${pid} is not the process it was a moment ago (it started anew); nothing was signalled`, 'Check the node and call again.');
  try {
    process.kill(pid, 'SIGHUP');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPERM') throw new ToolError('permission_denied', `not allowed to signal process ${describe(info)}`, 'Run as the user the node runs as, or as root.');
    if (code === 'ESRCH') throw new ToolError('not_found', `process ${pid} exited before it could be signalled`);
    throw error;
  }
  const expected: ReloadReport['expected'] = expectedFp
    ? { source: 'file', path: o.expectCert!, sha256_fingerprint: expectedFp }
    : o.expectSame
      ? { source: 'same', path: null, sha256_fingerprint: before?.sha256_fingerprint ?? null }
      : { source: 'change', path: null, sha256_fingerprint: null };
  const matches = (served: Served | null) => {
    if (!served) return false;
    if (expected.source === 'file') return served.sha256_fingerprint === expectedFp;
    if (expected.source === 'same') return before === null || served.sha256_fingerprint === before.sha256_fingerprint;
    return before === null || served.sha256_fingerprint !== before.sha256_fingerprint;
  };
  const deadline = performance.now() + o.timeoutMs;
  let after: Served | null;
  let last: ProbeReport | undefined;
  let probes = 0;
  // The signal is handled asynchronously: give the process a moment before the first look.
  await sleep(Math.min(o.intervalMs, 100), undefined, o.signal ? { signal: o.signal } : undefined);
  for (;;) {
    o.signal?.throwIfAborted();
    const remaining = deadline - performance.now();
    const result = await probe(o, Math.max(100, Math.min(probeMs, remaining)));
    probes++;
    last = result.report;
    after = result.served;
    if (matches(after)) break;
    const wait = probeWait(o.intervalMs, probes);
    if (probes >= MAX_RELOAD_PROBES || performance.now() + wait >= deadline) break;
    o.progress?.(`waiting for ${where} to serve ${expected.source === 'file' ? `SHA-256 ${expectedFp!.slice(0, 23)}…` : 'a new certificate'} (${Math.round((performance.now() - started) / 1000)} s)`, Math.min(1, (performance.now() - started) / o.timeoutMs));
    await sleep(wait, undefined, o.signal ? { signal: o.signal } : undefined);
  }
  const ok = matches(after);
  const outcome: ReloadReport['outcome'] = !after
    ? 'unreachable'
    : !ok
      ? 'kept_old_certificate'
      : expected.source === 'same'
        ? 'serving'
        : before && after.sha256_fingerprint === before.sha256_fingerprint
          ? 'already_serving'
          : 'reloaded';
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const message = {
    reloaded: `${where} now serves ${after?.subject} [SHA-256 ${after?.sha256_fingerprint}] (before: ${before ? before.sha256_fingerprint : 'nothing read'}), ${seconds} s after SIGHUP to ${pid}.`,
    already_serving: `${where} already served the expected certificate [SHA-256 ${after?.sha256_fingerprint}] before the signal; it still does after SIGHUP to ${pid}.`,
    serving: `${where} answers with the same certificate [SHA-256 ${after?.sha256_fingerprint}] after SIGHUP to ${pid}; the trust files it re-read cannot be seen from outside — check a login with a certificate signed by the new CA.`,
    kept_old_certificate: expected.source === 'file' && before && after && after.sha256_fingerprint !== before.sha256_fingerprint
      ? `${where} now serves [SHA-256 ${after.sha256_fingerprint}] (before: ${before.sha256_fingerprint}), but not ${o.expectCert} [SHA-256 ${expectedFp}], ${seconds} s after SIGHUP to ${pid}: the node reloaded files other than the one expected.`
      : `${where} still serves [SHA-256 ${after?.sha256_fingerprint}]${expected.source === 'file' ? `, not ${o.expectCert} [SHA-256 ${expectedFp}]` : ''}, ${seconds} s after SIGHUP to ${pid}: the node kept its old certificate (the reload failed, or the files it reads are not the ones changed).`,
    unreachable: `${where} did not answer with a certificate after SIGHUP to ${pid}${last ? ` (${last.summary})` : ''}.`,
  }[outcome];
  return {
    ok,
    outcome,
    pid,
    process: info.name ?? info.executable,
    target: where,
    expected,
    before,
    after,
    verified: last?.verification?.verified ?? null,
    probes,
    elapsed_ms: Math.round(performance.now() - started),
    message,
    where_to_look: ok ? [] : WHERE_TO_LOOK(o, info.executable),
  };
}

export function renderReload(report: ReloadReport): string {
  return [
    `${report.ok ? 'OK' : 'NOT RELOADED'}: ${report.message}`,
    ...(report.verified === false ? ['The chain served does not verify against the CA given.'] : []),
    ...report.where_to_look.map((line) => `  - ${line}`),
  ].join('\n');
}
