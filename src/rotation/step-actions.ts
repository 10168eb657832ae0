import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolError } from '../core/errors.js';
import { readBoundedFile } from '../core/read-file.js';
import { probeServer } from '../net/probe.js';
import { parseCertificates, type ParsedCertificate } from '../pki/certificate.js';
import { CA_CERT, CLIENT_CA_CERT } from '../pki/certnames.js';
import { loadSigningCa } from '../pki/certs-dir.js';
import { assessCreateCa, createCa, type CreateCaOptions } from '../pki/create-ca.js';
import { splitHosts } from '../pki/create-leaf.js';
import { CERT_MODE, KEY_MODE, writeFilesAtomically, type PlannedFile } from '../pki/files.js';
import type { Impact } from '../pki/impact.js';
import { checkLifetimeAgainstCa, issueCertificate } from '../pki/issue.js';
import { generateRsaKey, privateKeyPem, privateKeyPkcs8Der, privateKeyPkcs8Pem, spkiDer } from '../pki/keys.js';
import { toPem } from '../pki/pem.js';
import { checkDerivedFile, findDerivedFiles, pairOf } from '../pki/derived.js';
import { findIssuer } from '../pki/verify.js';
import { type StepAction } from './steps.js';
import { replaceNote } from './replace-note.js';

import { type StepDeps } from './step-deps.js';
/**
 * What each kind of local step would do (create_ca, copy_bundle, issue_node, issue_client,
 * remove_ca), prepared before anything is written: the files it reads and writes, what it observed,
 * and the run that writes them. apply.ts backs up, claims the step and runs it.
 */

const HOUR_MS = 3_600_000;

export interface Prepared {
  severity: Impact['severity'];
  impact: string;
  changes: string[];
  /** Files read to judge the change: their hashes make the state fingerprint. */
  reads: string[];
  /** What else the judgement rests on (served fingerprints). */
  observed: unknown;
  /** Files replaced or created: backed up before, restored by rollback. */
  writes: string[];
  /** Created files that rollback moves aside instead of deleting (CA keys). */
  keepOnRollback: string[];
  run: () => Promise<void>;
}

const exists = (file: string) => fs.lstat(file).then(() => true, () => false);

export async function readCerts(file: string, what: string): Promise<{ bytes: Buffer; certs: ParsedCertificate[] } | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readBoundedFile(file, what);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (error instanceof ToolError) throw error;
    throw new ToolError('permission_denied', `cannot read the ${what} ${file}: ${(error as Error).message}`);
  }
  return { bytes, certs: parseCertificates(bytes, file) };
}

export const fpSet = (certs: ParsedCertificate[]) => new Set(certs.map((c) => c.info.sha256_fingerprint));
const described = (c: ParsedCertificate) => `${c.info.subject} [SHA-256 ${c.info.sha256_fingerprint.slice(0, 23)}…, expires ${c.info.not_after.slice(0, 10)}]`;

export async function prepare(action: StepAction, deps: StepDeps): Promise<Prepared> {
  const now = deps.now();
  switch (action.kind) {
    case 'create_ca': {
      const expected = path.join(action.certs_dir, action.ca_kind === 'ca' ? CA_CERT : CLIENT_CA_CERT);
      if (path.resolve(expected) !== path.resolve(action.bundle)) throw new ToolError('internal', `the plan's CA bundle ${action.bundle} is not ${expected}`);
      if (await exists(action.new_key)) {
        throw new ToolError('already_exists', `the new CA key ${action.new_key} already exists; a CA key is never overwritten, nothing was changed`, 'If this step was applied before and rolled back by hand, move that key away; otherwise make a new plan.');
      }
      const options: CreateCaOptions = { kind: action.ca_kind, certsDir: action.certs_dir, caKeyPath: action.new_key, keySize: action.key_size, lifetimeMs: action.lifetime_hours * HOUR_MS, overwrite: true, allowKeyReuse: false };
      const impact = await assessCreateCa(options);
      return { ...impact, reads: [action.bundle, action.new_key], observed: null, writes: [action.bundle, action.new_key], keepOnRollback: [action.new_key], run: async () => void (await createCa(options)) };
    }
    case 'copy_bundle': {
      const source = await readCerts(action.from, 'CA bundle');
      if (!source) throw new ToolError('not_found', `the bundle to copy, ${action.from}, does not exist; nothing was changed`, 'Apply the step that creates it first.');
      let severity: Impact['severity'] = 'low';
      const changes: string[] = [];
      const notes: string[] = [];
      for (const target of action.to) {
        const current = await readCerts(target, 'CA bundle');
        const sourceFps = fpSet(source.certs);
        const dropped = current ? current.certs.filter((c) => !sourceFps.has(c.info.sha256_fingerprint)) : [];
        const currentFps = current ? fpSet(current.certs) : new Set<string>();
        const added = source.certs.filter((c) => !currentFps.has(c.info.sha256_fingerprint));
        if (dropped.length > 0) {
          severity = 'high';
          notes.push(`${target} would lose ${dropped.map(described).join(', ')}`);
        } else if (added.length > 0 && severity === 'low') severity = 'medium';
        changes.push(current ? `replace ${target} (${current.certs.length} CA(s)) with ${action.from} (${source.certs.length}): adds ${added.length}, drops ${dropped.length}` : `create ${target} from ${action.from}`);
      }
      return {
        severity,
        impact: `Copies ${action.from} to ${action.to.join(', ')}. ${notes.length ? `A CA is removed from a bundle: ${notes.join('; ')}; certificates it signed stop being trusted there.` : 'Every copy keeps the CAs it trusts now and gains the new one(s).'} Nodes and clients use the copies after they reload.`,
        changes,
        reads: [action.from, ...action.to],
        observed: null,
        writes: action.to,
        keepOnRollback: [],
        run: async () => {
          const fresh = await readCerts(action.from, 'CA bundle');
          if (!fresh) throw new ToolError('not_found', `${action.from} disappeared`);
          await writeFilesAtomically(action.to.map((to): PlannedFile => ({ path: to, contents: fresh.bytes, mode: CERT_MODE, overwrite: true })), { insideRoots: deps.insideRoots });
        },
      };
    }
    case 'issue_node':
    case 'issue_client': {
      const ca = await loadSigningCa(action.ca_cert, action.ca_key);
      const lifetimeMs = action.lifetime_hours * HOUR_MS;
      checkLifetimeAgainstCa(ca.certificate, lifetimeMs, now);
      const isNode = action.kind === 'issue_node';
      const names = isNode ? splitHosts(action.hosts) : undefined;
      // A node identity served from several places gets one key and certificate, written to each (steps.ts copies).
      const copies = action.kind === 'issue_node' ? action.copies : [];
      const paths = [action.cert, action.key, ...copies.flatMap((c) => [c.cert, c.key]), ...(action.kind === 'issue_client' ? [action.pkcs8, action.pkcs8_pem].filter((p): p is string => p !== null) : [])];
      const present = await Promise.all(paths.map(exists));
      const keyPaths = new Set([action.key, ...copies.map((c) => c.key), ...(action.kind === 'issue_client' ? [action.pkcs8, action.pkcs8_pem].filter((p): p is string => p !== null) : [])]);
      const replacing = paths.filter((_, i) => present[i]);
      const who = isNode ? `node certificate for ${action.hosts.join(', ')}` : `client certificate for SQL user ${action.user}`;
      return {
        severity: replacing.length > 0 ? 'high' : 'low',
        impact: replacing.length > 0
          ? `Replaces the ${who} in ${replacing.join(', ')} with a new key and certificate signed by ${described(ca.certificate)}. Whatever uses these files (a node, an application) keeps its open connections; a node serves the new certificate after it reloads, an application after it reconnects with the new files. The old files are backed up first.`
          : `Creates the ${who} in ${paths.join(', ')}, signed by ${described(ca.certificate)}.`,
        changes: await Promise.all(paths.map(async (p, i) => (present[i] ? `replace ${p} ${await replaceNote(p, keyPaths.has(p))}` : `create ${p}`))),
        reads: [...paths, action.ca_cert],
        observed: null,
        writes: paths,
        keepOnRollback: [],
        run: async () => {
          const key = await generateRsaKey(action.key_size);
          const issued = isNode
            ? issueCertificate({ profile: 'node', commonName: 'node', subjectPublicKey: spkiDer(key), dnsNames: names!.dnsNames, ipAddresses: names!.ipAddresses, lifetimeMs }, ca)
            : issueCertificate({ profile: 'client', commonName: (action as { user: string }).user, subjectPublicKey: spkiDer(key), uris: (action as { tenant_uris: string[] }).tenant_uris, lifetimeMs }, ca);
          const files: PlannedFile[] = [action, ...copies].flatMap((place): PlannedFile[] => [
            { path: place.key, contents: privateKeyPem(key), mode: KEY_MODE, overwrite: true },
            { path: place.cert, contents: issued.pem, mode: CERT_MODE, overwrite: true },
          ]);
          // The key in every other format a client of this certificate reads (pki/derived.ts), from the same key.
          if (action.kind === 'issue_client' && action.pkcs8) files.push({ path: action.pkcs8, contents: privateKeyPkcs8Der(key), mode: KEY_MODE, overwrite: true });
          if (action.kind === 'issue_client' && action.pkcs8_pem) files.push({ path: action.pkcs8_pem, contents: privateKeyPkcs8Pem(key), mode: KEY_MODE, overwrite: true });
          await writeFilesAtomically(files, { insideRoots: deps.insideRoots });
        },
      };
    }
    case 'remove_ca':
      return prepareRemoval(action, deps, now);
  }
}

/**
 * A .p12 / .pk8 / PKCS#8 PEM key not made again with its client certificate: its users still log
 * in with what the old CA signed (or with a key that fits no current certificate), and removing
 * the old CA locks them out (pki/derived.ts).
 */
async function derivedBlockers(dir: string, user: string, cert: ParsedCertificate, removedCerts: ParsedCertificate[], now: Date): Promise<string[]> {
  const pair = pairOf(dir, user);
  const blockers: string[] = [];
  for (const file of await findDerivedFiles(dir, user)) {
    const check = await checkDerivedFile(file, cert, { certPath: pair.cert, keyPath: pair.key, caPath: path.join(dir, CA_CERT), user, now });
    if (check.matches !== false) continue;
    const stale = check.certificates.find((c) => !c.info.is_ca && c.notAfter > now && findIssuer(c, removedCerts));
    if (file.kind !== 'pkcs12' || stale) blockers.push(`${file.path}: ${check.problem} (make it again: ${check.regenerate})`);
  }
  return blockers;
}

async function prepareRemoval(action: Extract<StepAction, { kind: 'remove_ca' }>, deps: StepDeps, now: Date): Promise<Prepared> {
  const remove = new Set(action.remove.map((r) => r.sha256_fingerprint));
  const removedCerts: ParsedCertificate[] = [];
  const rewrites: Array<{ path: string; contents: string; removed: ParsedCertificate[]; kept: ParsedCertificate[] }> = [];
  for (const bundle of action.bundles) {
    const current = await readCerts(bundle, 'CA bundle');
    if (!current) throw new ToolError('not_found', `${bundle} does not exist; nothing was changed`, 'The plan expected this CA bundle; make a new plan if it moved.');
    const removed = current.certs.filter((c) => remove.has(c.info.sha256_fingerprint));
    const kept = current.certs.filter((c) => !remove.has(c.info.sha256_fingerprint));
    if (removed.length === 0) continue;
    if (kept.length === 0) throw new ToolError('refused', `removing ${removed.map(described).join(', ')} would leave ${bundle} with no CA at all; nothing was changed`, 'The new CA is missing from this bundle: apply the steps that add it first.');
    for (const c of removed) if (!removedCerts.some((r) => r.der.equals(c.der))) removedCerts.push(c);
    rewrites.push({ path: bundle, contents: kept.map((c) => toPem('CERTIFICATE', c.der)).join(''), removed, kept });
  }
  // Nothing signed by a removed CA may still be valid or in use (the overlap rule).
  const blockers: string[] = [];
  const checked: string[] = [];
  if (removedCerts.length > 0) {
    const inDirs = await Promise.all(action.check_dirs.map(async (dir) => (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.crt')).map((n) => path.join(dir, n))));
    for (const file of [...new Set([...inDirs.flat(), ...action.check_files])]) {
      checked.push(file);
      const found = await readCerts(file, 'certificate').catch(() => undefined);
      const leaf = found?.certs[0];
      if (!leaf || leaf.info.is_ca || leaf.notAfter <= now) continue;
      const issuer = findIssuer(leaf, removedCerts);
      if (issuer) blockers.push(`${file} (${described(leaf)}) is still valid and signed by ${described(issuer)}`);
      const user = /^client\.(.+)\.crt$/.exec(path.basename(file))?.[1];
      if (user && action.check_dirs.includes(path.dirname(file))) blockers.push(...(await derivedBlockers(path.dirname(file), user, leaf, removedCerts, now)));
    }
  }
  const observed: Record<string, string> = {};
  const unchecked: string[] = [];
  if (removedCerts.length > 0 && rewrites[0]) {
    for (const [i, target] of action.check_hosts.entries()) {
      const where = `${target.host}:${target.port}`;
      deps.progress?.(`checking that ${where} no longer depends on the old CA (${i + 1}/${action.check_hosts.length})`);
      const report = await probeServer({ host: target.host, port: target.port, ca: { path: `${rewrites[0].path} without the removed CA`, contents: Buffer.from(rewrites[0].contents) }, clientCaNames: false, timeoutMs: deps.probeTimeoutMs ?? 5_000, openssl: null, network: deps.network, ...(deps.signal ? { signal: deps.signal } : {}) });
      const served = report.chain.find((c) => c.position === 0);
      if (!served) {
        unchecked.push(`${where} (${report.summary})`);
        continue;
      }
      observed[where] = served.sha256_fingerprint;
      if (report.verification?.verified === false) blockers.push(`${where} serves ${served.subject} [SHA-256 ${served.sha256_fingerprint.slice(0, 23)}…], which does not verify without the removed CA (${report.verification.error ?? 'unknown issuer'})`);
    }
  }
  if (blockers.length > 0) {
    throw new ToolError('refused', `the old CA cannot be removed yet, nothing was changed: ${blockers.join('; ')}`, 'Reissue those certificates with the new CA and reload the nodes (the earlier steps of the plan), or let them expire, then apply this step again.');
  }
  const removedText = removedCerts.map(described).join(', ');
  return {
    severity: rewrites.length > 0 ? 'high' : 'low',
    impact: rewrites.length > 0
      ? `Removes ${removedText} from ${rewrites.map((r) => r.path).join(', ')}. Every certificate it signed stops being trusted wherever these bundles are loaded (after a reload), including copies this plan does not know about. Checked first: no valid certificate in ${[...action.check_dirs, ...action.check_files].join(', ') || 'no file'}${action.check_hosts.length ? ` and no certificate served by ${action.check_hosts.map((h) => `${h.host}:${h.port}`).join(', ')}` : ''} still depends on it.${unchecked.length ? ` Could not check: ${unchecked.join('; ')}.` : ''}`
      : `The CA(s) to remove are no longer in ${action.bundles.join(', ')}; nothing to change.`,
    changes: rewrites.map((r) => `rewrite ${r.path}: keep ${r.kept.length} CA(s), remove ${r.removed.map(described).join(', ')}`),
    reads: [...action.bundles, ...action.check_files, ...checked],
    observed,
    writes: rewrites.map((r) => r.path),
    keepOnRollback: [],
    run: async () => {
      if (rewrites.length === 0) return;
      await writeFilesAtomically(rewrites.map((r): PlannedFile => ({ path: r.path, contents: r.contents, mode: CERT_MODE, overwrite: true })), { insideRoots: deps.insideRoots });
    },
  };
}

