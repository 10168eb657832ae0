import type crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolError, fileSystemError } from '../core/errors.js';
import { readBoundedFile, readSmallFileSync, realDirInsideRoots, yieldEvery } from '../core/read-file.js';
import { parseCertificates, type ParsedCertificate } from './certificate.js';
import { CA_CERT, CLIENT_CA_CERT, classifyCertFile, type CertFileKind } from './certnames.js';
import { keyMatches, readPrivateKey, readPrivateKeyLazily, type PrivateKeyRead } from './keys.js';
import { signingProblem } from './verify.js';

export async function readFileOrThrow(filePath: string, what: string): Promise<Buffer> {
  try {
    return await readBoundedFile(filePath, what);
  } catch (error) {
    if (error instanceof ToolError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ToolError('not_found', `${what} ${filePath} does not exist`, `Check the path of the ${what}.`);
    throw fileSystemError(error, filePath, `read ${what}`);
  }
}

export async function exists(filePath: string): Promise<boolean> {
  return fs.access(filePath).then(() => true, () => false);
}

/** Every certificate of a CA bundle, the first being the one CockroachDB signs with. */
export async function readCaBundle(filePath: string): Promise<ParsedCertificate[]> {
  return parseCertificates(await readFileOrThrow(filePath, 'CA certificate'), filePath);
}

/**
 * The CA certificate and key that sign a leaf: the first certificate of the bundle, as
 * `cockroach cert` takes it (tls.LoadX509KeyPair uses Certificate[0], reference §1.4).
 */
export async function loadSigningCa(caCertPath: string, caKeyPath: string): Promise<{ certificate: ParsedCertificate; key: crypto.KeyObject }> {
  const [certificate] = await readCaBundle(caCertPath);
  const key = readPrivateKey(await readFileOrThrow(caKeyPath, 'CA key'), caKeyPath);
  const notCa = signingProblem(certificate!);
  if (notCa) {
    throw new ToolError('invalid_certificate', `${caCertPath} is not a CA certificate: ${notCa}`, 'Point --certs-dir at a directory whose ca.crt was made by create-ca (or any CA with basicConstraints CA:TRUE whose keyUsage, if present, includes keyCertSign).');
  }
  if (!keyMatches(key, certificate!.x509.publicKey)) {
    throw new ToolError('invalid_key', `CA key ${caKeyPath} does not belong to the first certificate of ${caCertPath}`, 'Use the key that created this CA; after a CA rotation the new CA is first in the bundle and needs the new key.');
  }
  return { certificate: certificate!, key };
}

/** The CA that signs client certificates: ca-client.crt when present, else ca.crt (reference §1.4). */
export async function clientCaPath(certsDir: string): Promise<string> {
  const clientCa = path.join(certsDir, CLIENT_CA_CERT);
  return (await exists(clientCa)) ? clientCa : path.join(certsDir, CA_CERT);
}

export interface CertsDirEntry {
  fileName: string;
  kind: CertFileKind;
  certificates: ParsedCertificate[];
  /** The load error CockroachDB would show in the Error column. */
  error?: string;
  key?: { fileName: string; mode?: number; uid?: number; gid?: number; error?: string; read?: PrivateKeyRead };
}

/** How a long load reports itself and stops (a certs dir of thousands of files takes seconds). */
export interface LoadWatch {
  signal?: AbortSignal | undefined;
  /** Called after each certificate file is read and parsed. */
  onLoaded?: ((done: number, total: number) => void) | undefined;
  /** The roots check for the files found in the dir (symlinks may point anywhere). */
  insideRoots?: ((realPath: string) => boolean) | undefined;
}

/**
 * Reads a certs dir the way CockroachDB's certificate loader does (reference §1.3, §1.5): the
 * entries, and every name the directory holds (what a listing checks for derived files, without a stat each).
 */
export async function loadCertsDirListing(dir: string, now = new Date(), watch: LoadWatch = {}): Promise<{ names: ReadonlySet<string>; entries: CertsDirEntry[] }> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ToolError('not_found', `certs dir ${dir} does not exist`, 'Check --certs-dir (default ~/.cockroach-certs or COCKROACH_CERTS_DIR).');
    if (code === 'ENOTDIR') throw new ToolError('invalid_input', `${dir} is not a directory`, 'Give the certs directory, not a file.');
    throw fileSystemError(error, dir, 'list');
  }
  // Small files read synchronously, a turn of the event loop every few (core/read-file.ts): with
  // a thousand certificates, the awaited reads were the largest cost of a listing (bench/list-certs.ts).
  const kinds = names.flatMap((fileName) => {
    const kind = classifyCertFile(fileName);
    return kind ? [{ fileName, kind }] : [];
  });
  const pause = yieldEvery(32);
  const entries: CertsDirEntry[] = [];
  const roots = { insideRoots: watch.insideRoots, realDir: realDirInsideRoots(dir, watch.insideRoots) };
  for (const { fileName, kind } of kinds) {
    throwIfCancelled(watch.signal);
    entries.push(loadEntry(dir, fileName, kind, now, roots));
    watch.onLoaded?.(entries.length, kinds.length);
    await pause();
  }
  return { names: new Set(names), entries };
}

/** Cancellation (the MCP request's signal): nothing is written by a listing, so stopping is safe. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ToolError('cancelled', 'the listing was cancelled', 'Nothing was changed; run it again when needed.');
}

/** The roots check of a listing's files, and its directory's real path when that is inside them (core/read-file.ts). */
interface ListingRoots {
  insideRoots: LoadWatch['insideRoots'];
  realDir: string | undefined;
}

function loadEntry(dir: string, fileName: string, kind: CertFileKind, now: Date, roots: ListingRoots): CertsDirEntry {
  const entry: CertsDirEntry = { fileName, kind, certificates: [] };
  try {
    const { contents } = readSmallFileSync(path.join(dir, fileName), 'certificate file', roots);
    if (contents.length === 0) throw new ToolError('invalid_certificate', `empty certificate file: ${fileName}`);
    entry.certificates = parseCertificates(contents, fileName, now);
  } catch (error) {
    entry.error = error instanceof ToolError ? error.message : (error as Error).message;
  }
  if (kind.keyFile) entry.key = loadKeyFile(path.join(dir, kind.keyFile), kind.keyFile, roots);
  return entry;
}

function loadKeyFile(keyPath: string, fileName: string, roots: ListingRoots): NonNullable<CertsDirEntry['key']> {
  let read: ReturnType<typeof readSmallFileSync>;
  try {
    read = readSmallFileSync(keyPath, 'key file', roots);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { fileName, error: `could not stat key file ${fileName}` };
    if (error instanceof ToolError && error.code === 'invalid_input') return { fileName, error: `key file ${fileName} is not a regular file` };
    return { fileName, error: (error as Error).message };
  }
  const { contents, stat } = read;
  const owner = { mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid };
  try {
    return { fileName, ...owner, read: readPrivateKeyLazily(contents, fileName) };
  } catch (error) {
    return { fileName, error: (error as Error).message };
  }
}
