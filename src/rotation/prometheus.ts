import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileSystemError } from '../core/errors.js';
import type { CheckReport } from './check.js';

/**
 * Gauges for node_exporter's textfile collector (Prometheus text exposition format 0.0.4): one
 * `crdb_tls_certificate_expiry_seconds` series per certificate, seconds left (negative once
 * expired). No timestamps: the textfile collector refuses samples that carry one. The file is
 * written to a temp file in the same directory and renamed, so the collector never reads half.
 */

const EXPIRY_METRIC = 'crdb_tls_certificate_expiry_seconds';

/** Label values escape backslash, double quote and line feed (exposition format). */
const escapeLabel = (value: string) => value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');

const labels = (pairs: Record<string, string>) => `{${Object.entries(pairs).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;

export function renderPrometheus(report: CheckReport, now: Date): string {
  const series = new Map<string, number>();
  for (const item of report.inventory.items) {
    if (item.seconds_left === null) continue;
    const key = labels({ source: item.source, path: item.path ?? item.location, subject: item.subject ?? item.what, serial: item.serial ?? '' });
    // The same certificate twice in one file would be a duplicate series: keep the soonest.
    series.set(key, Math.min(series.get(key) ?? Infinity, item.seconds_left));
  }
  const lines = [
    `# HELP ${EXPIRY_METRIC} Seconds until the certificate expires (negative once expired), per certificate crdb-tls rotate check found.`,
    `# TYPE ${EXPIRY_METRIC} gauge`,
    ...[...series].map(([key, value]) => `${EXPIRY_METRIC}${key} ${value}`),
    '# HELP crdb_tls_certificate_check_errors Sources or certificates the last crdb-tls rotate check could not read.',
    '# TYPE crdb_tls_certificate_check_errors gauge',
    `crdb_tls_certificate_check_errors ${report.errors.length}`,
    `# HELP crdb_tls_certificate_check_due Certificates expiring within the check window (${report.within_days} days).`,
    '# TYPE crdb_tls_certificate_check_due gauge',
    `crdb_tls_certificate_check_due ${report.due.length}`,
    '# HELP crdb_tls_certificate_check_timestamp_seconds When the last crdb-tls rotate check ran (Unix seconds).',
    '# TYPE crdb_tls_certificate_check_timestamp_seconds gauge',
    `crdb_tls_certificate_check_timestamp_seconds ${Math.floor(now.getTime() / 1000)}`,
  ];
  return lines.join('\n') + '\n';
}

/** Temp file beside the target (not ending in .prom, so the collector ignores it), fsynced, renamed. */
export async function writeTextfileAtomically(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await fs.open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(text);
      await handle.sync();
      await handle.chmod(0o644);
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw fileSystemError(error, file, 'write the Prometheus textfile');
  }
}

/** When the check itself failed (bad input, no store): no per-certificate gauges, one error. */
export function renderFailedCheck(now: Date): string {
  return [
    '# HELP crdb_tls_certificate_check_errors Sources or certificates the last crdb-tls rotate check could not read.',
    '# TYPE crdb_tls_certificate_check_errors gauge',
    'crdb_tls_certificate_check_errors 1',
    '# HELP crdb_tls_certificate_check_timestamp_seconds When the last crdb-tls rotate check ran (Unix seconds).',
    '# TYPE crdb_tls_certificate_check_timestamp_seconds gauge',
    `crdb_tls_certificate_check_timestamp_seconds ${Math.floor(now.getTime() / 1000)}`,
  ].join('\n') + '\n';
}
