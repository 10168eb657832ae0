import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ToolError, fileSystemError } from '../core/errors.js';
import { readBoundedFile } from '../core/read-file.js';
import { parseCertificateDer, type CertificateInfo, type ParsedCertificate } from '../pki/certificate.js';
import { CERT_MODE, fileState, writeFilesAtomically } from '../pki/files.js';
import type { Impact } from '../pki/impact.js';
import { pemBlocks } from '../pki/pem.js';
import type { CloudApiClient } from './api-client.js';
import { describeCa, fingerprintsOf, validateCaBundle, type CaBundle } from './ca-bundle.js';
import { readClusterPlan, type ClusterPlan } from './cluster-plan.js';

/**
 * Where libpq looks for trusted CAs when sslrootcert is not given: ~/.postgresql/root.crt, or
 * %APPDATA%\postgresql\root.crt on Windows (PostgreSQL docs, libpq-ssl "Client Verification of
 * Server Certificates"); the Basic/Standard docs download to the same file (reference §4.1).
 */
export function defaultTrustFile(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  if (platform === 'win32') return path.win32.join(env.APPDATA || path.win32.join(home, 'AppData', 'Roaming'), 'postgresql', 'root.crt');
  return path.join(home, '.postgresql', 'root.crt');
}

/** The public CA endpoint: a plain unauthenticated GET that answers PEM (reference §4.1). */
const clusterCaPath = (clusterId: string) => `/clusters/${encodeURIComponent(clusterId)}/cert`;

export async function fetchClusterCa(api: CloudApiClient, clusterId: string): Promise<CaBundle> {
  const body = await api.read(clusterCaPath(clusterId), { auth: false, clusterId, accept: 'application/x-pem-file, text/plain, */*' });
  if (!body.includes('-----BEGIN')) {
    throw new ToolError('invalid_certificate', `the Cloud answered ${clusterCaPath(clusterId)} without a PEM certificate`, 'Check the cluster ID (the UUID in the Console URL) and COCKROACH_SERVER.');
  }
  return validateCaBundle(body, `the CA of cluster ${clusterId}`, { expired: 'warn' });
}

interface TrustFile {
  path: string;
  contents: Buffer | undefined;
  /** The certificates of its PEM blocks; other blocks and text are kept as they are, never read. */
  certificates: ParsedCertificate[];
}

async function readTrustFile(file: string): Promise<TrustFile> {
  let contents: Buffer;
  try {
    contents = await readBoundedFile(file, 'CA file');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path: file, contents: undefined, certificates: [] };
    throw fileSystemError(error, file, 'read');
  }
  const text = contents.toString('utf8');
  if (contents.length > 0 && !text.includes('-----BEGIN')) {
    throw new ToolError('invalid_input', `${file} exists but holds no PEM certificates (libpq reads root.crt as PEM); nothing was changed`, 'Look at what it is first; pass --replace (replace: true) to overwrite it, or --out (out) for another file.');
  }
  const certificates = pemBlocks(text)
    .filter((b) => b.type === 'CERTIFICATE' || b.type === 'TRUSTED CERTIFICATE' || b.type === 'X509 CERTIFICATE')
    .flatMap((b, i) => {
      try {
        return [parseCertificateDer(b.der, `${file} (certificate #${i + 1})`)];
      } catch {
        return [];
      }
    });
  return { path: file, contents, certificates };
}

type DownloadAction = 'created' | 'appended' | 'replaced' | 'unchanged';

interface DownloadPlan {
  bundle: CaBundle;
  file: TrustFile;
  action: DownloadAction;
  missing: ParsedCertificate[];
  dropped: ParsedCertificate[];
  contents: string | Buffer | undefined;
}

export interface DownloadCaOptions {
  clusterId: string;
  /** Resolved path of the trust file (default: defaultTrustFile()). */
  file: string;
  replace: boolean;
  /** Whether the file is where libpq looks by default (for the note on sslrootcert). */
  isDefaultFile: boolean;
  /** The roots check, applied again when the file is placed (after the download). */
  insideRoots?: ((realPath: string) => boolean) | undefined;
}

/** Never drop what a shared trust file holds: append what is missing; replace only when asked. */
async function planDownload(api: CloudApiClient, o: DownloadCaOptions): Promise<DownloadPlan> {
  const bundle = await fetchClusterCa(api, o.clusterId);
  const file = await readTrustFile(o.file);
  const inFile = fingerprintsOf(file.certificates);
  const missing = bundle.certificates.filter((c) => !inFile.has(c.info.sha256_fingerprint));
  if (file.contents === undefined || file.contents.length === 0) {
    return { bundle, file, action: 'created', missing: bundle.certificates, dropped: [], contents: bundle.pem };
  }
  if (o.replace) {
    if (file.contents.toString('utf8') === bundle.pem) return { bundle, file, action: 'unchanged', missing: [], dropped: [], contents: undefined };
    const keep = fingerprintsOf(bundle.certificates);
    return { bundle, file, action: 'replaced', missing, dropped: file.certificates.filter((c) => !keep.has(c.info.sha256_fingerprint)), contents: bundle.pem };
  }
  if (missing.length === 0) return { bundle, file, action: 'unchanged', missing, dropped: [], contents: undefined };
  const existing = file.contents.toString('utf8');
  const separator = existing.endsWith('\n') ? '\n' : '\n\n';
  const appended = Buffer.concat([file.contents, Buffer.from(separator + missing.map((c) => bundlePemOf(c)).join('\n'), 'utf8')]);
  return { bundle, file, action: 'appended', missing, dropped: [], contents: appended };
}

const bundlePemOf = (c: ParsedCertificate) => c.x509.toString();

function fingerprintOf(plan: DownloadPlan, state: Awaited<ReturnType<typeof fileState>>): string {
  return crypto.createHash('sha256').update(JSON.stringify({ file: state, ca: [...fingerprintsOf(plan.bundle.certificates)] })).digest('hex');
}

const list = (certs: ParsedCertificate[]) => certs.map((c) => describeCa(c.info)).join('; ');

export async function assessDownloadCa(api: CloudApiClient, o: DownloadCaOptions): Promise<Impact> {
  const plan = await planDownload(api, o);
  const state_fingerprint = fingerprintOf(plan, await fileState(o.file));
  const ca = list(plan.bundle.certificates);
  const warnings = plan.bundle.warnings.length ? ` Warning: ${plan.bundle.warnings.join('; ')}.` : '';
  switch (plan.action) {
    case 'created':
      return {
        severity: 'low',
        impact: `Saves the CA of cluster ${o.clusterId} (${ca}) as ${o.file}, a new file.${warnings}`,
        changes: [`GET ${api.server}${clusterCaPath(o.clusterId)}`, `create ${o.file} (mode 0644${plan.file.contents === undefined ? ', creating its directory if needed' : ''})`],
        rollback: `Delete ${o.file}.`,
        state_fingerprint,
      };
    case 'unchanged':
      return {
        severity: 'low',
        impact: `${o.file} already holds the CA of cluster ${o.clusterId} (${ca}); nothing will be written.${warnings}`,
        changes: [],
        rollback: 'Nothing to undo.',
        state_fingerprint,
      };
    case 'appended':
      return {
        severity: 'medium',
        impact: `Adds the CA of cluster ${o.clusterId} (${list(plan.missing)}) to the end of ${o.file}, which already trusts ${plan.file.certificates.length} CA certificate(s) for other servers; those stay as they are. Every libpq client of this user (psql, psycopg, ...) reads this file.${warnings}`,
        changes: [`GET ${api.server}${clusterCaPath(o.clusterId)}`, `append ${plan.missing.length} certificate(s) to ${o.file} (rewritten atomically, mode and owner kept)`],
        rollback: `Remove the appended certificate block(s) (SHA-256 ${plan.missing.map((c) => c.info.sha256_fingerprint).join(', ')}) from the end of ${o.file}.`,
        state_fingerprint,
      };
    case 'replaced':
      return {
        severity: 'high',
        impact: `Replaces ${o.file} with the CA of cluster ${o.clusterId} (${ca}).${plan.dropped.length ? ` It DROPS ${plan.dropped.length} CA certificate(s) the file trusts now: ${list(plan.dropped)}; libpq clients of this user that rely on them will fail with "certificate verify failed".` : ' Everything else the file holds now is dropped.'}${warnings}`,
        changes: [`GET ${api.server}${clusterCaPath(o.clusterId)}`, `replace ${o.file} (rewritten atomically, mode and owner kept)`],
        rollback: `Put the dropped certificates back into ${o.file} (keep a copy of the file before confirming).`,
        state_fingerprint,
      };
  }
}

export interface DownloadCaResult {
  cluster_id: string;
  file: string;
  action: DownloadAction;
  certificates: CertificateInfo[];
  added: CertificateInfo[];
  dropped: CertificateInfo[];
  certificates_in_file: number;
  plan: string | null;
  download_needed: boolean | null;
  notes: string[];
}

/** The cluster's plan says whether the download is needed at all; a failure to read it never fails the download. */
async function downloadNote(api: CloudApiClient | undefined, clusterId: string): Promise<{ plan: ClusterPlan | undefined; note: string }> {
  const publicNote = 'Basic and Standard clusters present certificates signed by a publicly trusted CA (Let\'s Encrypt): most clients, and cockroach sql ≥ v21.2.5, need no download for them; Advanced clusters need this CA.';
  if (!api) return { plan: undefined, note: `The cluster's plan was not read (no COCKROACH_API_KEY). ${publicNote}` };
  try {
    const plan = await readClusterPlan(api, clusterId);
    if (plan.publiclyTrusted === true) return { plan, note: `Download not needed for most clients: cluster ${clusterId} is a ${plan.plan ?? 'Basic/Standard'} cluster, whose certificate is signed by a publicly trusted CA (Let's Encrypt); it is saved anyway for clients that do not use the system's trusted CAs.` };
    if (plan.publiclyTrusted === false) return { plan, note: `Cluster ${clusterId} is a ${plan.plan ?? 'dedicated'} cluster: clients need this CA to verify it (sslmode=verify-full).` };
    return { plan, note: `The cluster's plan (${plan.plan ?? 'unknown'}) does not say whether the download is needed. ${publicNote}` };
  } catch (error) {
    return { plan: undefined, note: `The cluster's plan could not be read (${(error as Error).message}). ${publicNote}` };
  }
}

export async function downloadCa(api: CloudApiClient, planApi: CloudApiClient | undefined, o: DownloadCaOptions): Promise<DownloadCaResult> {
  const plan = await planDownload(api, o);
  if (plan.contents !== undefined) {
    if (plan.file.contents === undefined) {
      try {
        await fs.mkdir(path.dirname(o.file), { recursive: true, mode: 0o700 });
      } catch (error) {
        throw fileSystemError(error, path.dirname(o.file), 'create directory');
      }
    }
    await writeFilesAtomically([{ path: o.file, contents: plan.contents, mode: CERT_MODE, overwrite: plan.file.contents !== undefined }], { insideRoots: o.insideRoots });
  }
  const { plan: clusterPlan, note } = await downloadNote(planApi, o.clusterId);
  const inFile = plan.action === 'created' || plan.action === 'replaced' ? plan.bundle.certificates.length : plan.file.certificates.length + (plan.action === 'appended' ? plan.missing.length : 0);
  const notes = [...plan.bundle.warnings, note];
  if (!o.isDefaultFile) notes.push(`libpq reads ${defaultTrustFile()} by default; point sslrootcert at ${o.file} to use this file.`);
  return {
    cluster_id: o.clusterId,
    file: o.file,
    action: plan.action,
    certificates: plan.bundle.certificates.map((c) => c.info),
    added: plan.action === 'unchanged' ? [] : plan.missing.map((c) => c.info),
    dropped: plan.dropped.map((c) => c.info),
    certificates_in_file: inFile,
    plan: clusterPlan?.plan ?? null,
    download_needed: clusterPlan?.publiclyTrusted === undefined ? null : !clusterPlan.publiclyTrusted,
    notes,
  };
}
