import { ToolError } from '../../core/errors.js';
import type { NetworkPolicy } from '../../net/policy.js';
import { probeServer, type Material, type ProbeReport } from '../../net/probe.js';
import { hostLabel, type HostTarget } from './host-target.js';
import { certificateItem, errorItem, type InventoryEntry, type SourceResult, type Thresholds } from '../items.js';

/**
 * What live nodes actually serve: the certificate a node presents can differ from the file on
 * disk (a node that was never signalled, a reload that failed and kept the old certificate).
 */

export interface NodeSourceOptions {
  ca?: Material;
  timeoutMs: number;
  network: NetworkPolicy;
  signal?: AbortSignal;
  progress?: (message: string, fraction?: number) => void;
  /** How many nodes are probed at once. */
  concurrency?: number;
}

export interface NodeProbe {
  target: HostTarget;
  report: ProbeReport | undefined;
  result: SourceResult;
}

function probeEntries(target: HostTarget, report: ProbeReport, now: Date, thresholds: Thresholds): InventoryEntry[] {
  const location = hostLabel(target);
  if (report.chain.length === 0) {
    return [{ item: errorItem({ source: 'node', location, what: 'served certificate', usage: 'Node', path: null, position: null }, `no certificate read from ${location}: ${report.summary}`) }];
  }
  return report.chain.map((cert) => ({
    item: certificateItem(
      { source: 'node', location, what: cert.position === 0 ? 'served certificate' : `chain certificate ${cert.position}${cert.is_ca ? ' (CA)' : ''}`, usage: cert.position === 0 ? 'Node' : cert.is_ca ? 'CA' : null, path: null, position: cert.position },
      cert,
      now,
      thresholds,
    ),
  }));
}

export async function inventoryNodes(targets: HostTarget[], now: Date, thresholds: Thresholds, options: NodeSourceOptions): Promise<NodeProbe[]> {
  const results: NodeProbe[] = new Array(targets.length);
  let next = 0;
  let finished = 0;
  const worker = async () => {
    while (next < targets.length) {
      const index = next++;
      const target = targets[index]!;
      const location = hostLabel(target);
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
      options.progress?.(`probing ${location} (${index + 1}/${targets.length})`, finished / targets.length);
      let report: ProbeReport | undefined;
      let entries: InventoryEntry[];
      try {
        report = await probeServer({ host: target.host, port: target.port, ...(options.ca ? { ca: options.ca } : {}), clientCaNames: false, timeoutMs: options.timeoutMs, network: options.network, ...(options.signal ? { signal: options.signal } : {}), openssl: null });
        entries = probeEntries(target, report, now, thresholds);
      } catch (caught) {
        if (options.signal?.aborted || (caught instanceof ToolError && caught.code === 'refused')) throw caught;
        const error = `probe of ${location} failed: ${(caught as Error).message}`;
        entries = [{ item: errorItem({ source: 'node', location, what: 'served certificate', usage: 'Node', path: null, position: null }, error) }];
      }
      const notes = report && !report.ok && report.chain.length > 0 ? [`probe: ${report.summary}`] : [];
      results[index] = { target, report, result: { entries, report: { source: 'node', location, items: entries.length, error: null, notes } } };
      finished++;
      options.progress?.(`${location}: ${report && report.chain.length > 0 ? `read ${report.chain.length} certificate${report.chain.length === 1 ? '' : 's'}` : 'no certificate read'} (${finished}/${targets.length} done)`, finished / targets.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, targets.length) }, worker));
  return results;
}
