import * as z from 'zod';
import type { ParsedCertificate } from '../pki/certificate.js';
import type { CertFileKind } from '../pki/certnames.js';

/**
 * The expiry inventory: every certificate crdb-tls can see, from certs dirs (every certificate of
 * every bundle), from what live nodes serve, from a cluster's own expiry metrics over SQL, and from
 * a Cloud cluster's Client CA — one table with days left and a status.
 */

export const DAY_SECONDS = 86_400;

export const ExpiryStatus = z.enum(['ok', 'warn', 'fail', 'expired', 'error']);
export type ExpiryStatus = z.infer<typeof ExpiryStatus>;

export const SourceKind = z.enum(['certs_dir', 'file', 'node', 'sql', 'cloud_client_ca']);
export type SourceKind = z.infer<typeof SourceKind>;

export const Thresholds = z.object({
  warn_days: z.number().describe('Under this many days left: warn'),
  fail_days: z.number().describe('Under this many days left: fail'),
});
export type Thresholds = z.infer<typeof Thresholds>;
export const DEFAULT_THRESHOLDS: Thresholds = { warn_days: 90, fail_days: 30 };

export const InventoryItem = z.object({
  source: SourceKind,
  location: z.string().describe('The certs dir, file, host:port, SQL node or Cloud cluster id it was found in'),
  what: z.string().describe('What this certificate is, in words: "ca.crt certificate 2 of 2", "served by the node", a metric name'),
  usage: z.string().nullable().describe('CA, Client CA, Node, Client, Server, ... (null when unknown)'),
  path: z.string().nullable().describe('The file, when it came from a file'),
  position: z.number().int().nullable().describe('Position in its file or chain, from 0'),
  subject: z.string().nullable(),
  issuer: z.string().nullable(),
  serial: z.string().nullable(),
  sha256_fingerprint: z.string().nullable(),
  not_after: z.string().nullable(),
  seconds_left: z.number().nullable().describe('Negative once expired'),
  days_left: z.number().int().nullable(),
  status: ExpiryStatus,
  error: z.string().nullable().describe('Why this certificate could not be read (status error)'),
});
export type InventoryItem = z.infer<typeof InventoryItem>;

const SourceReport = z.object({
  source: SourceKind,
  location: z.string(),
  items: z.number().int(),
  error: z.string().nullable().describe('Why the whole source could not be read'),
  notes: z.array(z.string()),
});
type SourceReport = z.infer<typeof SourceReport>;

export const Inventory = z.object({
  generated_at: z.string(),
  thresholds: Thresholds,
  items: z.array(InventoryItem),
  sources: z.array(SourceReport),
  counts: z.object({ ok: z.number().int(), warn: z.number().int(), fail: z.number().int(), expired: z.number().int(), error: z.number().int() }),
  earliest: z.object({ what: z.string(), location: z.string(), not_after: z.string(), days_left: z.number().int() }).nullable(),
});
export type Inventory = z.infer<typeof Inventory>;

/** An item with what the planner needs beside it: the parsed certificate and the file it is in. */
export interface InventoryEntry {
  item: InventoryItem;
  cert?: ParsedCertificate;
  file?: { path: string; dir: string; name: string; kind: CertFileKind | undefined; sha256: string; count: number };
}

export interface SourceResult {
  entries: InventoryEntry[];
  report: SourceReport;
}

export function statusFor(secondsLeft: number, thresholds: Thresholds): ExpiryStatus {
  if (secondsLeft <= 0) return 'expired';
  if (secondsLeft < thresholds.fail_days * DAY_SECONDS) return 'fail';
  if (secondsLeft < thresholds.warn_days * DAY_SECONDS) return 'warn';
  return 'ok';
}

export const daysOf = (secondsLeft: number) => Math.floor(secondsLeft / DAY_SECONDS);

type ItemBase = Pick<InventoryItem, 'source' | 'location' | 'what' | 'usage' | 'path' | 'position'>;

/** An item for a certificate that was read. */
export function certificateItem(base: ItemBase, info: { subject: string; issuer: string; serial: string; sha256_fingerprint: string; not_after: string }, now: Date, thresholds: Thresholds): InventoryItem {
  const secondsLeft = Math.floor((Date.parse(info.not_after) - now.getTime()) / 1000);
  return {
    ...base,
    subject: info.subject,
    issuer: info.issuer,
    serial: info.serial,
    sha256_fingerprint: info.sha256_fingerprint,
    not_after: info.not_after,
    seconds_left: secondsLeft,
    days_left: daysOf(secondsLeft),
    status: statusFor(secondsLeft, thresholds),
    error: null,
  };
}

/** An item for a certificate (or a whole source) that could not be read: reported, never skipped. */
export function errorItem(base: ItemBase, error: string): InventoryItem {
  return { ...base, subject: null, issuer: null, serial: null, sha256_fingerprint: null, not_after: null, seconds_left: null, days_left: null, status: 'error', error };
}

export function summarizeInventory(results: SourceResult[], now: Date, thresholds: Thresholds): Inventory {
  const items = results.flatMap((r) => r.entries.map((e) => e.item));
  const counts = { ok: 0, warn: 0, fail: 0, expired: 0, error: 0 };
  for (const item of items) counts[item.status]++;
  let earliest: Inventory['earliest'] = null;
  for (const item of items) {
    if (item.not_after === null || item.days_left === null) continue;
    if (!earliest || item.not_after < earliest.not_after) earliest = { what: item.what, location: item.location, not_after: item.not_after, days_left: item.days_left };
  }
  return { generated_at: now.toISOString(), thresholds, items, sources: results.map((r) => r.report), counts, earliest };
}

/** True when the item needs action within `withinDays` (expired included; unreadable items are errors, not "due"). */
export const isDue = (item: InventoryItem, withinDays: number) => item.seconds_left !== null && item.seconds_left < withinDays * DAY_SECONDS;
