import fs from 'node:fs/promises';
import type { ParsedCertificate } from './certificate.js';
import { clientCertName, clientKeyName, isCaUsage, type CertUsage } from './certnames.js';
import path from 'node:path';
import { clientCaPath, loadCertsDirListing, throwIfCancelled, type CertsDirEntry } from './certs-dir.js';
import { checkDerivedFile, derivedFilesAmong, type DerivedFile } from './derived.js';
import { keyMatchesCertificate } from './keys.js';
import { DEFAULT_THRESHOLDS, lintAgainstIssuer, lintCertificate, lintCertsDirPermissions, lintKeyPermissions, lintStagingLeftovers, type CertRole, type Finding, type LintThresholds } from './lint.js';
import { sh } from './shell-word.js';
import { findStagingLeftovers } from './staging.js';
import { findIssuer } from './verify.js';

interface CertRow {
  usage: string;
  certificate_file: string;
  key_file: string;
  /** NotAfter of the first certificate, yyyy/mm/dd as cockroach cert list prints it. */
  expires: string;
  expires_at: string | null;
  days_left: number | null;
  notes: string;
  error: string;
  certificates: Array<{ subject: string; not_after: string; days_left: number; sha256_fingerprint: string }>;
  findings: Finding[];
}

/** list_certs' answer (zod's twin, with each field's description: schemas.ts). */
export interface CertListing {
  certs_dir: string;
  rows: CertRow[];
  dir_findings: Finding[];
  errors: number;
  warnings: number;
  earliest_expiry: { certificate_file: string; not_after: string; days_left: number } | null;
  fail_within_days: number | null;
  expiring_within_threshold: string[];
}

function roleOf(usage: CertUsage): CertRole {
  if (isCaUsage(usage)) return 'ca';
  if (usage === 'Node') return 'node';
  if (usage === 'Client') return 'client';
  return 'other';
}

function notesOf(entry: CertsDirEntry): string {
  const first = entry.certificates[0];
  if (isCaUsage(entry.kind.usage)) return `num certs: ${entry.certificates.length}`;
  if (entry.kind.usage === 'Node' || entry.kind.usage === 'UI') {
    const addresses = first ? [...first.info.sans.dns, ...first.info.sans.ip] : [];
    return `addresses: ${addresses.length ? addresses.join(',') : '<unknown>'}`;
  }
  if (entry.kind.usage === 'Client') return `user: ${first?.info.common_name || '<unknown>'}`;
  return '';
}

const goDate = (iso: string) => iso.slice(0, 10).replaceAll('-', '/');

/** `cockroach cert list` (reference §1.6) with days left, every certificate of a bundle, and lint findings. */
export async function listCerts(
  certsDir: string,
  options: { failWithinDays?: number; thresholds?: LintThresholds; now?: Date; signal?: AbortSignal | undefined; progress?: ((message: string, fraction?: number) => void) | undefined; insideRoots?: ((realPath: string) => boolean) | undefined } = {},
): Promise<CertListing> {
  const now = options.now ?? new Date();
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
  // A big directory takes seconds (bench/list-certs.ts): report every tenth of the files read.
  const onLoaded = options.progress
    ? (done: number, total: number) => {
        if (total >= 50 && (done === total || done % Math.ceil(total / 10) === 0)) options.progress!(`read ${done} of ${total} certificate files`, (0.8 * done) / total);
      }
    : undefined;
  const { names, entries } = await loadCertsDirListing(certsDir, now, { signal: options.signal, onLoaded, insideRoots: options.insideRoots });
  throwIfCancelled(options.signal);
  const caPool = entries.filter((e) => isCaUsage(e.kind.usage)).flatMap((e) => e.certificates);
  const signingCa = await clientCaPath(certsDir);
  const derivedFindings = new Map<CertsDirEntry, Finding[]>();
  for (const entry of entries) {
    const first = entry.certificates[0];
    if (entry.kind.usage !== 'Client' || !entry.kind.user || !first) continue;
    const derived = derivedFilesAmong(names, certsDir, entry.kind.user);
    if (derived.length > 0) derivedFindings.set(entry, await derivedFileFindings(certsDir, entry.kind.user, derived, first, { caPath: signingCa, trustedCas: caPool, now, insideRoots: options.insideRoots }));
  }
  const rows = entries.map((entry): CertRow => {
    const role = roleOf(entry.kind.usage);
    const findings = entry.certificates.flatMap((cert) => lintCertificate(cert, role, now, thresholds));
    const first = entry.certificates[0];
    if (first && role !== 'ca') {
      const issuer = findIssuer(first, caPool);
      if (issuer) findings.push(...lintAgainstIssuer(first, issuer));
      else findings.push({ rule: 'unknown_issuer', level: 'warning', message: `${entry.fileName} was not signed by any CA in this directory` });
    }
    if (role === 'client' && first && entry.kind.user && first.info.common_name !== entry.kind.user) {
      findings.push({ rule: 'client_cn_file_mismatch', level: 'warning', message: `${entry.fileName} names user ${entry.kind.user} but its CN is ${JSON.stringify(first.info.common_name)}` });
    }
    const key = entry.key;
    if (key?.mode !== undefined) findings.push(...lintKeyPermissions(key.fileName, key.mode, key.uid!, key.gid!, path.join(certsDir, key.fileName)));
    if (key?.read && first && !keyMatchesCertificate(key.read, first)) {
      findings.push({ rule: 'key_mismatch', level: 'error', message: `${key.fileName} does not belong to ${entry.fileName} (private key does not match public key)` });
    }
    if (key?.error) findings.push({ rule: 'key_unreadable', level: 'error', message: key.error });
    findings.push(...(derivedFindings.get(entry) ?? []));
    const error = entry.error ?? findings.find((f) => f.rule === 'key_permissions')?.message.replace(/; fix:.*$/, '') ?? '';
    return {
      usage: entry.kind.usage,
      certificate_file: entry.fileName,
      key_file: key?.fileName ?? '',
      expires: first ? goDate(first.info.not_after) : '0001/01/01',
      expires_at: first?.info.not_after ?? null,
      days_left: first?.info.days_left ?? null,
      notes: notesOf(entry),
      error,
      certificates: entry.certificates.map((c) => ({ subject: c.info.subject, not_after: c.info.not_after, days_left: c.info.days_left, sha256_fingerprint: c.info.sha256_fingerprint })),
      findings,
    };
  });
  const dirFindings = [
    ...lintCertsDirPermissions(certsDir, (await fs.stat(certsDir)).mode),
    ...lintStagingLeftovers(await findStagingLeftovers(certsDir, now.getTime())),
  ];
  const all = rows.flatMap((row) => row.certificates.map((c) => ({ file: row.certificate_file, ...c })));
  const earliest = all.reduce<(typeof all)[number] | undefined>((min, c) => (!min || c.not_after < min.not_after ? c : min), undefined);
  const failWithin = options.failWithinDays;
  return {
    certs_dir: certsDir,
    rows,
    dir_findings: dirFindings,
    errors: rows.reduce((n, r) => n + r.findings.filter((f) => f.level === 'error').length + (r.certificates.length === 0 ? 1 : 0), 0),
    warnings: rows.reduce((n, r) => n + r.findings.filter((f) => f.level === 'warning').length, dirFindings.length),
    earliest_expiry: earliest ? { certificate_file: earliest.file, not_after: earliest.not_after, days_left: earliest.days_left } : null,
    fail_within_days: failWithin ?? null,
    expiring_within_threshold: failWithin === undefined ? [] : [...new Set(all.filter((c) => new Date(c.not_after).getTime() - now.getTime() < failWithin * 86_400_000).map((c) => c.file))],
  };
}

/** client.USER.key.pk8 / .key.pem / .p12 that no longer go with client.USER.crt (derived.ts). */
async function derivedFileFindings(dir: string, user: string, files: DerivedFile[], cert: ParsedCertificate, context: { caPath: string; trustedCas: ParsedCertificate[]; now: Date; insideRoots: ((realPath: string) => boolean) | undefined }): Promise<Finding[]> {
  const findings: Finding[] = [];
  const pair = { certPath: path.join(dir, clientCertName(user)), keyPath: path.join(dir, clientKeyName(user)), user, ...context };
  for (const file of files) {
    const check = await checkDerivedFile(file, cert, pair);
    if (check.matches === false) findings.push({ rule: 'derived_file_mismatch', level: 'error', message: `${check.problem}; make it again: ${check.regenerate}` });
    if (check.matches === null) findings.push({ rule: 'derived_file_unchecked', level: 'warning', message: `${path.basename(file.path)} keeps its certificates encrypted, so it cannot be compared with ${clientCertName(user)} without its password; check: openssl pkcs12 -in ${sh(file.path)} -nokeys | openssl x509 -noout -fingerprint -sha256` });
  }
  return findings;
}
