import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolError, fileSystemError } from '../../core/errors.js';
import { readSmallFileSync, realDirInsideRoots, yieldEvery } from '../../core/read-file.js';
import { parseCertificateDer, sha256Hex, type ParsedCertificate } from '../../pki/certificate.js';
import { classifyCertFile, isCaUsage, type CertFileKind } from '../../pki/certnames.js';
import { certificateDers } from '../../pki/pem.js';
import { certificateItem, errorItem, type InventoryEntry, type SourceKind, type SourceResult, type Thresholds } from '../items.js';

/**
 * Certificates in files: every `*.crt` of a certs dir (the files CockroachDB's loader scans,
 * reference §1.3), or files named one by one (a PostgreSQL data dir's server.crt, a trust file).
 * Every certificate of a bundle is an item, not only the first one `cockroach cert list` shows;
 * a block that does not parse is an error item of its own, and its neighbours are still read.
 */

/** What a certificate is used for when its file name does not say (a file CockroachDB would skip). */
function usageFromContents(cert: ParsedCertificate): string {
  if (cert.info.is_ca) return 'CA';
  if (cert.info.ext_key_usage.includes('serverAuth')) return 'Server';
  if (cert.info.ext_key_usage.includes('clientAuth')) return 'Client';
  return 'Other';
}

function describe(name: string, kind: CertFileKind | undefined, index: number, count: number): string {
  const position = count > 1 ? ` certificate ${index + 1} of ${count}` : '';
  if (!kind) return `${name}${position} (not a CockroachDB file name)`;
  if (isCaUsage(kind.usage)) return `${name}${position}${index === 0 && count > 1 ? ' (signs new certificates)' : ''}`;
  if (kind.usage === 'Client') return `${name}${position} (client certificate for ${kind.user})`;
  return `${name}${position}`;
}

/** Reads one certificate file into items; never throws for a bad file (that is an error item). */
async function readCertificateFile(filePath: string, source: SourceKind, location: string, now: Date, thresholds: Thresholds, roots: { insideRoots?: ((realPath: string) => boolean) | undefined; realDir?: string | undefined } = {}): Promise<InventoryEntry[]> {
  const name = path.basename(filePath);
  const dir = path.dirname(filePath);
  const kind = classifyCertFile(name);
  const base = (what: string, usage: string | null, position: number | null) => ({ source, location, what, usage, path: filePath, position });
  let contents: Buffer;
  try {
    contents = readSmallFileSync(filePath, 'certificate file', roots).contents;
  } catch (error) {
    const failure = fileSystemError(error, filePath, 'read');
    return [{ item: errorItem(base(name, kind?.usage ?? null, null), failure.message) }];
  }
  const sha256 = sha256Hex(contents);
  if (contents.length === 0) return [{ item: errorItem(base(name, kind?.usage ?? null, null), `empty certificate file: ${name}`) }];
  let ders: Buffer[];
  try {
    ders = certificateDers(contents, name);
  } catch (error) {
    return [{ item: errorItem(base(name, kind?.usage ?? null, null), (error as Error).message) }];
  }
  return ders.map((der, index): InventoryEntry => {
    const what = describe(name, kind, index, ders.length);
    const file = { path: filePath, dir, name, kind, sha256, count: ders.length };
    try {
      const cert = parseCertificateDer(der, ders.length > 1 ? `${name} (certificate ${index + 1})` : name, now);
      return { item: certificateItem(base(what, kind?.usage ?? usageFromContents(cert), index), cert.info, now, thresholds), cert, file };
    } catch (error) {
      return { item: errorItem(base(what, kind?.usage ?? null, index), error instanceof ToolError ? error.message : String(error)), file };
    }
  });
}

export interface CertsDirReadOptions {
  /** The roots check for the files found in the dir (symlinks may point anywhere). */
  insideRoots?: ((realPath: string) => boolean) | undefined;
  progress?: ((message: string, fraction?: number) => void) | undefined;
}

/** A big dir takes seconds (bench/inventory.ts): progress every tenth of its files, from 50 files on. */
const PROGRESS_FROM_FILES = 50;

export async function inventoryCertsDir(dir: string, now: Date, thresholds: Thresholds, { insideRoots, progress }: CertsDirReadOptions = {}): Promise<SourceResult> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((name) => name.endsWith('.crt')).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? `certs dir ${dir} does not exist` : code === 'ENOTDIR' ? `${dir} is not a directory` : fileSystemError(error, dir, 'list').message;
    return { entries: [], report: { source: 'certs_dir', location: dir, items: 0, error: message, notes: [] } };
  }
  // Small files read synchronously with a turn of the event loop every few (core/read-file.ts):
  // with a thousand files, the awaited reads dominated (bench/inventory.ts).
  const pause = yieldEvery(32);
  const entries: InventoryEntry[] = [];
  const roots = { insideRoots, realDir: realDirInsideRoots(dir, insideRoots) };
  for (const [index, name] of names.entries()) {
    entries.push(...(await readCertificateFile(path.join(dir, name), 'certs_dir', dir, now, thresholds, roots)));
    const done = index + 1;
    if (names.length >= PROGRESS_FROM_FILES && (done === names.length || done % Math.ceil(names.length / 10) === 0)) progress?.(`${dir}: read ${done} of ${names.length} certificate files`, done / names.length);
    await pause();
  }
  const notes: string[] = [];
  const skipped = names.filter((name) => !classifyCertFile(name));
  if (skipped.length > 0) notes.push(`${skipped.length} file(s) CockroachDB would skip (unknown prefix): ${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? ', ...' : ''}`);
  if (names.length === 0) notes.push('no *.crt files');
  return { entries, report: { source: 'certs_dir', location: dir, items: entries.length, error: null, notes } };
}

export async function inventoryFile(filePath: string, now: Date, thresholds: Thresholds): Promise<SourceResult> {
  // A file that cannot be read is an error item (counted once), not also a source error.
  const entries = await readCertificateFile(filePath, 'file', filePath, now, thresholds);
  return { entries, report: { source: 'file', location: filePath, items: entries.length, error: null, notes: [] } };
}
