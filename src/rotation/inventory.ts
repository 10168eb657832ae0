import type { CloudApiClient } from '../cloud/api-client.js';
import { NetworkPolicy } from '../net/policy.js';
import type { Material, ProbeReport } from '../net/probe.js';
import { summarizeInventory, type Inventory, type InventoryEntry, type SourceResult, type Thresholds } from './items.js';
import { inventoryCertsDir, inventoryFile } from './sources/certs-dir.js';
import type { HostTarget } from './sources/host-target.js';
import type { SqlSourceOptions } from './sources/sql.js';

export * from './items.js';
export { hostLabel, type HostTarget } from './sources/host-target.js';

/** Where to look: every source is optional; each one that fails is reported, the others still read. */
export interface InventoryRequest {
  certsDirs: string[];
  /** Certificate files outside a certs dir (a PostgreSQL data dir's server.crt, a trust file). */
  files: string[];
  /** The roots check for the files found in the certs dirs (symlinks may point anywhere). */
  insideRoots?: (realPath: string) => boolean;
  hosts: HostTarget[];
  /** The CA the probes verify nodes against (the inventory reads the chain either way). */
  probeCa?: Material;
  probeTimeoutMs: number;
  /** Which hosts and SQL nodes may be contacted (CRDB_TLS_NETWORK_ALLOW); absent: none. */
  network?: NetworkPolicy;
  sqlUrls: string[];
  sql?: Omit<SqlSourceOptions, 'signal' | 'progress'>;
  cloud?: { api: CloudApiClient; clusterId: string };
  thresholds: Thresholds;
  now: Date;
  signal?: AbortSignal;
  progress?: (message: string, fraction?: number) => void;
}

export interface InventoryResult {
  inventory: Inventory;
  /** Every item with its parsed certificate and file, for the planner. */
  entries: InventoryEntry[];
  /** The raw probe of each host, in the order given. */
  probes: Array<{ target: HostTarget; report: ProbeReport | undefined }>;
}

export async function takeInventory(request: InventoryRequest): Promise<InventoryResult> {
  const { now, thresholds, signal, progress } = request;
  const results: SourceResult[] = [];
  const dirs = await Promise.all(request.certsDirs.map((dir) => inventoryCertsDir(dir, now, thresholds, { insideRoots: request.insideRoots, progress })));
  results.push(...dirs);
  results.push(...(await Promise.all(request.files.map((file) => inventoryFile(file, now, thresholds)))));
  signal?.throwIfAborted();
  const probes = request.hosts.length === 0
    ? []
    : await (await import('./sources/node.js')).inventoryNodes(request.hosts, now, thresholds, { ...(request.probeCa ? { ca: request.probeCa } : {}), timeoutMs: request.probeTimeoutMs, network: request.network ?? NetworkPolicy.none('a caller that passed no network policy'), ...(signal ? { signal } : {}), ...(progress ? { progress } : {}) });
  results.push(...probes.map((p) => p.result));
  if (request.sqlUrls.length > 0) {
    if (!request.sql) throw new Error('inventory: SQL URLs given without SQL options');
    // Each live source loads when asked for (the prober, pg, the Cloud client): a certs-dir check loads none.
    const { inventorySql } = await import('./sources/sql.js');
    results.push(...(await inventorySql(request.sqlUrls, now, thresholds, { ...request.sql, ...(signal ? { signal } : {}), ...(progress ? { progress } : {}) })));
  }
  signal?.throwIfAborted();
  if (request.cloud) {
    progress?.(`reading the Client CA of Cloud cluster ${request.cloud.clusterId}`);
    const { inventoryCloudClientCa } = await import('./sources/cloud.js');
    results.push(await inventoryCloudClientCa(request.cloud.api, request.cloud.clusterId, now, thresholds));
  }
  return {
    inventory: summarizeInventory(results, now, thresholds),
    entries: results.flatMap((r) => r.entries),
    probes: probes.map((p) => ({ target: p.target, report: p.report })),
  };
}
