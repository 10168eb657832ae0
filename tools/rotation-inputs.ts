import net from 'node:net';
import path from 'node:path';
import * as z from 'zod';
import { ToolError } from '../src/core/errors.js';
import type { ToolContext } from '../src/core/tool.js';
import { splitHostPort } from '../src/connection/pasted-parts.js';
import { parseConnectionString } from '../src/connection/pasted-settings.js';
import { parseDuration } from '../src/pki/duration.js';
import { BACKUPS_DIR } from '../src/rotation/backup.js';
import type { StepDeps } from '../src/rotation/step-deps.js';
import { DEFAULT_THRESHOLDS, type HostTarget, type InventoryRequest, type Thresholds } from '../src/rotation/inventory.js';
import { cloudApi, clusterIdField, optionalCloudApi } from './cloud-inputs.js';
import { readMaterial } from './probe-material.js';

/** Input fields and plumbing shared by the rotation tools (plan_rotation, check_expiry, apply/rollback). */

const DAY_MS = 86_400_000;
const pathList = (what: string) => z.array(z.string().min(1).max(4096)).max(100).default([]).describe(what);

export const sourceFields = {
  certs_dirs: pathList('Certs directories to read: every *.crt, every certificate of every bundle (e.g. ["certs", "node1-certs"])'),
  files: pathList('Certificate files outside a certs dir (e.g. a PostgreSQL data dir\'s server.crt)'),
  hosts: z.array(z.string().min(1).max(300)).max(100).default([]).describe('Live nodes to probe, "host:port" (port default 26257): what each node actually serves'),
  ca: z.string().min(1).max(4096).optional().describe('CA file the nodes are verified against (default: ca.crt of the first certs dir)'),
  sql_urls: z.array(z.string().min(1).max(4096)).max(100).default([]).describe('One libpq URL per node to read crdb_internal.node_metrics (security.certificate.* gauges); needs the admin role'),
  cloud_cluster: clusterIdField.optional().describe('A CockroachDB Cloud cluster whose Client CA to include (needs COCKROACH_API_KEY)'),
  warn_within: z.string().default('90d').describe('Status warn under this much time left'),
  fail_within: z.string().default('30d').describe('Status fail under this much time left'),
  timeout_ms: z.number().int().min(100).max(120_000).default(5_000).describe('Budget per node probe and per SQL node'),
};

export const withinField = z.string().default('90d').describe('The window: certificates expiring within it are due (e.g. 90d, 720h)');
export const chartField = z.boolean().default(false).describe('Also answer with the expiry timeline as a PNG image (one row per certificate on a time axis, warn/fail windows shaded)');

export function days(duration: string, what: string): number {
  return parseDuration(duration, what) / DAY_MS;
}

function thresholdsOf(input: { warn_within: string; fail_within: string }): Thresholds {
  const thresholds = { warn_days: days(input.warn_within, 'warn_within'), fail_days: days(input.fail_within, 'fail_within') };
  if (thresholds.fail_days > thresholds.warn_days) throw new ToolError('invalid_input', `fail_within (${input.fail_within}) is longer than warn_within (${input.warn_within})`, `Defaults: warn ${DEFAULT_THRESHOLDS.warn_days}d, fail ${DEFAULT_THRESHOLDS.fail_days}d.`);
  return thresholds;
}

function parseHost(text: string): HostTarget {
  const trimmed = text.trim();
  const { host, port } = splitHostPort(trimmed);
  const bracketed = trimmed.startsWith('[');
  const badPort = bracketed ? /\]:/.test(trimmed) && port === null : (trimmed.match(/:/g) ?? []).length === 1 && port === null;
  // Several colons without brackets can only be a bare IPv6 address.
  if (!host || badPort || (host.includes(':') && !net.isIPv6(host)) || /\s|\//.test(host)) {
    throw new ToolError('invalid_input', `${JSON.stringify(text)} is not HOST or HOST:PORT (port 1-65535)`, 'Example: node1.example.com:26257, 10.0.0.5, [::1]:26257');
  }
  return { host, port: port ?? 26257 };
}

type SourceInput = z.infer<z.ZodObject<typeof sourceFields>>;

export interface ResolvedSources {
  certsDirs: string[];
  files: string[];
  hosts: HostTarget[];
  caPath: string | null;
}

export function resolveSources(input: SourceInput, ctx: ToolContext, extraFiles: string[] = []): ResolvedSources {
  const certsDirs = [...new Set(input.certs_dirs.map((d) => ctx.paths.resolve(d, 'certs dir')))];
  const files = [...new Set([...input.files.map((f) => ctx.paths.resolve(f, 'certificate file')), ...extraFiles])];
  const hosts = input.hosts.map(parseHost);
  const caPath = input.ca ? ctx.paths.resolve(input.ca, 'CA') : certsDirs[0] ? path.join(certsDirs[0], 'ca.crt') : null;
  return { certsDirs, files, hosts, caPath };
}

export async function inventoryRequest(input: SourceInput, sources: ResolvedSources, ctx: ToolContext, now: Date): Promise<InventoryRequest> {
  if (sources.certsDirs.length + sources.files.length + sources.hosts.length + input.sql_urls.length === 0 && !input.cloud_cluster) {
    throw new ToolError('invalid_input', 'nothing to look at: give at least one certs dir, file, host, SQL URL or Cloud cluster', 'Example: { "certs_dirs": ["certs"], "hosts": ["node1:26257"] }');
  }
  // Every host and SQL node is checked before the first is contacted: a refused one stops the call.
  const sqlTargets = input.sql_urls.flatMap((url) => {
    const first = parseConnectionString(url).hosts[0];
    return first?.host ? [{ host: first.host, port: first.port ?? 26257 }] : [];
  });
  await ctx.config.network.admitAll([...sources.hosts, ...sqlTargets]);
  const probeCa = sources.hosts.length > 0 && sources.caPath ? await readMaterial(sources.caPath, 'CA', ctx) : undefined;
  return {
    certsDirs: sources.certsDirs,
    files: sources.files,
    insideRoots: ctx.paths.insideRootsCheck,
    hosts: sources.hosts,
    ...(probeCa && probeCa.readError === undefined ? { probeCa } : {}),
    probeTimeoutMs: input.timeout_ms,
    network: ctx.config.network,
    sqlUrls: input.sql_urls,
    sql: { resolvePath: (file, what) => ctx.paths.resolve(file, what), timeoutMs: input.timeout_ms, network: ctx.config.network, passwordHosts: ctx.config.passwordHosts },
    ...(input.cloud_cluster ? { cloud: { api: cloudApi(ctx, true), clusterId: input.cloud_cluster } } : {}),
    thresholds: thresholdsOf(input),
    now,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.progress ? { progress: ctx.progress } : {}),
  };
}

/** What apply and rollback need from the call's context. */
export function stepDeps(ctx: ToolContext): StepDeps {
  const cloud = optionalCloudApi(ctx);
  return {
    store: ctx.store,
    requester: ctx.requester,
    now: () => new Date(),
    backupRoot: path.join(ctx.config.stateDir, BACKUPS_DIR),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.progress ? { progress: ctx.progress } : {}),
    ...(cloud ? { cloud } : {}),
    checkPath: (file) => void ctx.paths.resolve(file, 'file of the plan'),
    insideRoots: ctx.paths.insideRootsCheck,
    network: ctx.config.network,
  };
}

export const planIdField = z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/, 'a plan id is letters, digits, _ and -').describe('The plan id plan_rotation answered (rp_...)');
