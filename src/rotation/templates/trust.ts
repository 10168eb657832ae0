import type { ParsedCertificate } from '../../pki/certificate.js';
import { nodeIdentities, type CertFile, type LeafFile } from '../model.js';
import { sh, type CaRef, type PlanStep } from '../steps.js';
import { apply, certsDirFlag, describeCert, label, markDone, newKeyPath, rollback, type PlanEnv } from './context.js';
import { moveClientsStep, reissueClientStep, reissueNodeStep, reloadSteps, type Signer } from './leaves.js';

/**
 * A CA rotation by overlap (reference §1.4, docs rotate-certificates.md): the new CA goes first
 * into a combined bundle that keeps the old one, the bundle reaches every node and client and is
 * loaded, node then client certificates are reissued by the new CA, and only when nothing signed
 * by the old CA is still valid or in use is the old CA removed. The same shape rotates a separate
 * client CA (ca-client.crt), and a Cloud cluster's Client CA, where "distribute" is an upload that
 * keeps the old CA and "remove" is the upload that drops it (reference §4.2).
 */

export interface TrustRotation {
  kind: 'ca' | 'client-ca';
  bundle: CertFile;
  /** The key of the current CA's directory (to place the new key beside it) and an explicit new key path. */
  currentKey: string | null;
  newKey: string | null;
  cloudCluster: string | null;
  /** Fingerprints the Cloud trusts now (Cloud rotations). */
  cloudTrusts?: Set<string>;
}

const ref = (cert: ParsedCertificate): CaRef => ({ sha256_fingerprint: cert.info.sha256_fingerprint, subject: cert.info.subject, not_after: cert.info.not_after });

export function trustRotation(env: PlanEnv, r: TrustRotation): void {
  const { req, model } = env;
  const old = r.bundle.certs[0]!;
  const what = r.kind === 'ca' ? 'CA' : r.cloudCluster ? `Client CA of Cloud cluster ${r.cloudCluster}` : 'client CA';
  const fileName = r.bundle.name;
  // Expired CAs kept after the first one go too: nothing they signed verifies any more.
  const removeSet = [old, ...r.bundle.certs.slice(1).filter((c) => c.notAfter <= req.now)];
  const removeFps = new Set(removeSet.map((c) => c.info.sha256_fingerprint));
  const takenKeys = new Set([r.currentKey, req.caKey, req.clientCaKey].filter((k): k is string => k !== null));
  const newKey = newKeyPath(r.currentKey, r.newKey, r.kind === 'ca' ? 'ca' : 'ca-client', req.now, takenKeys);

  // Copies of the bundle elsewhere that hold the old CA get the combined bundle; others are left alone.
  const candidates = r.kind === 'ca' ? [...model.caBundles.slice(1), ...model.trustFiles] : model.clientCaBundles.slice(1);
  const copies: CertFile[] = [];
  for (const file of candidates.filter((f) => f.path !== r.bundle.path)) {
    if (file.certs.some((c) => removeFps.has(c.info.sha256_fingerprint))) copies.push(file);
    else env.notes.push(`${file.path} does not hold the ${what} being rotated (${describeCert(old)}); this plan leaves it alone.`);
  }
  const signedByOld = (leaf: LeafFile) => {
    const issuer = model.issuerOf(leaf.cert);
    return issuer !== undefined && removeFps.has(issuer.info.sha256_fingerprint);
  };
  const nodeLeaves = r.kind === 'ca' ? model.nodeLeaves.filter(signedByOld) : [];
  const clientLeaves = model.clientLeaves.filter(signedByOld);
  // The node with --pidfile is local: its trust file is one of the copies; the other hosts get theirs by hand.
  const remoteHosts = r.cloudCluster ? [] : req.pidfile ? req.hosts.slice(1) : req.hosts;
  const checkHosts = r.cloudCluster ? [] : req.hosts;

  // 1. The new CA, first in a combined bundle.
  const create = env.list.add((n) => ({
    kind: 'new_ca',
    title: `Create a new ${what} and put it first in ${r.bundle.path}, keeping the old one`,
    mode: newKey ? 'local' : 'manual',
    severity: 'high',
    why: `The ${what} ${describeCert(old)} expires ${old.info.not_after.slice(0, 10)}. Re-creating it instead of rotating would make every node and client stop trusting each other at once; a combined bundle (new CA first, old CA kept) is trusted by both generations.`,
    commands: newKey ? [apply(req, n)] : [`cockroach cert create-${r.kind === 'ca' ? 'ca' : 'client-ca'} ${certsDirFlag(r.bundle.dir)} --ca-key=<a NEW key path outside the certs dir> --overwrite`, markDone(req, n)],
    equivalent: [`cockroach cert create-${r.kind === 'ca' ? 'ca' : 'client-ca'} ${certsDirFlag(r.bundle.dir)} --ca-key=${(newKey ? sh(newKey) : '<new ca key>')} --overwrite`],
    changes: [`create ${newKey ?? '<new key>'} (new ${req.caLifetimeHours}h CA key, mode 0600; the old key stays where it is)`, `rewrite ${r.bundle.path}: the new CA first, then the ${r.bundle.certs.length} certificate(s) it holds now`],
    verify: [`crdb-tls cert list --certs-dir ${sh(r.bundle.dir)} (${fileName}: num certs ${r.bundle.certs.length + 1})`, `crdb-tls cert inspect ${sh(r.bundle.path)}`],
    rollback: newKey ? [`${rollback(req, n)} (restores ${r.bundle.path}; the new key is moved aside, not copied)`] : [`Restore ${r.bundle.path} from your copy.`],
    blast_radius: { stops_trusted: [], summary: `Nothing stops being trusted: ${r.bundle.path} keeps ${describeCert(old)}. Certificates the new CA signs are trusted only where the combined bundle has been loaded.` },
    action: newKey
      ? { kind: 'create_ca', ca_kind: r.kind, certs_dir: r.bundle.dir, bundle: r.bundle.path, new_key: newKey, key_size: 2048, lifetime_hours: req.caLifetimeHours }
      : null,
    tool: null,
    files: [{ path: r.bundle.path, sha256_at_plan: r.bundle.sha256 }, ...(newKey ? [{ path: newKey, sha256_at_plan: null }] : [])],
  }));
  const signer: Signer = { bundle: r.bundle, key: newKey, newCa: { stepNumber: create.number } };

  // 2. The combined bundle everywhere it is trusted from.
  if (r.cloudCluster) {
    const extra = [...(r.cloudTrusts ?? [])].filter((fp) => !r.bundle.certs.some((c) => c.info.sha256_fingerprint === fp));
    if (extra.length > 0) env.notes.push(`Cloud cluster ${r.cloudCluster} also trusts ${extra.length} CA(s) that ${r.bundle.path} does not hold; uploading it would drop them (set_client_ca then says so, at high severity). Add them to ${r.bundle.path} first if they must stay.`);
    uploadStep(env, r, 'keep', create.number, removeSet, clientLeaves);
  } else {
    distributeSteps(env, r, copies, remoteHosts, `the combined ${fileName} (new CA first, old CA kept)`, 'add');
    reloadSteps(env, { reason: `Nodes read ${fileName} only at start or on SIGHUP: until they reload, they do not trust the new CA.`, caPath: r.bundle.path, certChanges: false });
  }

  // 3. Node certificates, then client certificates, signed by the new CA.
  if (nodeLeaves.length > 0) {
    for (const identity of nodeIdentities(nodeLeaves)) reissueNodeStep(env, identity, signer, `${identity.primary.file.path} is signed by the old CA; it must be reissued by the new one before the old CA can go.`);
    reloadSteps(env, { reason: 'The nodes serve their new certificates after a reload.', caPath: r.bundle.path, certChanges: true });
  } else if (r.kind === 'ca') {
    env.notes.push('No node certificate in the certs dirs given is signed by the old CA. Reissue node certificates on every node (cockroach cert create-node ... --overwrite with the new CA key) before the old CA is removed.');
  }
  for (const leaf of clientLeaves) reissueClientStep(env, leaf, signer, `${leaf.file.path} is signed by the old ${what}; it must be reissued by the new one before the old CA can go.`);
  if (clientLeaves.length > 0) moveClientsStep(env, clientLeaves, r.kind === 'ca' ? r.bundle.path : (model.caBundles[0]?.path ?? null), ' Do it before the old CA is removed: certificates it signed stop working then.');

  // 4. The old CA out, only once nothing depends on it.
  const removed = removeSet.map(ref);
  const dependants = [...nodeLeaves, ...clientLeaves];
  const checkFiles = [...new Set(model.nodeLeaves.filter((l) => l.explicit).map((l) => l.file.path))];
  const checkDirs = req.certsDirs;
  const bundles = [r.bundle.path, ...copies.map((c) => c.path)];
  env.list.add((n) => ({
    kind: 'remove_ca',
    title: `Remove the old ${what} from ${bundles.join(', ')}`,
    mode: 'local',
    severity: 'high',
    why: `Once every certificate signed by ${describeCert(old)} has been replaced and loaded, keeping the old CA only extends trust to certificates that should be gone. Apply refuses this step while a still-valid certificate in ${[...checkDirs, ...checkFiles].join(', ') || 'the files checked'}${checkHosts.length ? ` or served by ${checkHosts.map(label).join(', ')}` : ''} depends on it.`,
    commands: [apply(req, n)],
    equivalent: [],
    changes: bundles.map((b) => `rewrite ${b} without ${removeSet.map((c) => describeCert(c)).join(', ')}`),
    verify: [`crdb-tls cert list --certs-dir ${sh(r.bundle.dir)}`, ...(checkHosts.map((t) => `crdb-tls probe ${label(t)} --ca ${sh(r.bundle.path)}`))],
    rollback: [`${rollback(req, n)} (puts the old CA back into ${bundles.join(', ')})`],
    blast_radius: {
      stops_trusted: [
        ...removeSet.map((c) => `${describeCert(c)} itself`),
        ...dependants.map((l) => `${l.file.path} as it was before this plan: ${describeCert(l.cert)} (replaced by an earlier step)`),
      ],
      summary: `Every certificate signed by the removed CA stops being trusted wherever these bundles are loaded — including copies outside the certs dirs this plan knows about (application servers, CI secrets).`,
    },
    action: { kind: 'remove_ca', bundles, remove: removed, check_dirs: checkDirs, check_files: checkFiles, check_hosts: checkHosts.map((t) => ({ host: t.host, port: t.port })) },
    tool: null,
    files: [{ path: r.bundle.path, sha256_at_plan: r.bundle.sha256 }, ...copies.map((c) => ({ path: c.path, sha256_at_plan: c.sha256 }))],
  }));

  if (r.cloudCluster) {
    uploadStep(env, r, 'drop', create.number, removeSet, clientLeaves);
  } else {
    if (remoteHosts.length > 0) distributeSteps(env, r, [], remoteHosts, `${fileName} without the old CA`, 'remove');
    reloadSteps(env, { reason: `Nodes drop the old CA when they reload ${fileName}.`, caPath: r.bundle.path, certChanges: false });
  }
}

function distributeSteps(env: PlanEnv, r: TrustRotation, copies: CertFile[], remoteHosts: PlanEnv['req']['hosts'], content: string, direction: 'add' | 'remove'): void {
  const { req } = env;
  if (copies.length > 0) {
    env.list.add((n) => ({
      kind: 'distribute_trust',
      title: `Copy ${content} to ${copies.map((c) => c.path).join(', ')}`,
      mode: 'local',
      severity: direction === 'add' ? 'medium' : 'high',
      why: 'Every copy of the bundle that nodes or clients load must trust the new CA before anything it signs is used.',
      commands: [apply(req, n)],
      equivalent: copies.map((c) => `cp ${sh(r.bundle.path)} ${sh(c.path)}`),
      changes: copies.map((c) => `replace ${c.path} with ${r.bundle.path} (owner, group and mode kept; backed up first)`),
      verify: copies.map((c) => `cmp ${sh(r.bundle.path)} ${sh(c.path)}`),
      rollback: [`${rollback(req, n)} (restores each copy from its backup)`],
      blast_radius: { stops_trusted: [], summary: 'Nothing stops being trusted: each copy gains the new CA and keeps the CAs it held.' },
      action: { kind: 'copy_bundle', from: r.bundle.path, to: copies.map((c) => c.path) },
      tool: null,
      files: copies.map((c) => ({ path: c.path, sha256_at_plan: c.sha256 })),
    }));
  }
  if (remoteHosts.length > 0 || (copies.length === 0 && direction === 'add')) {
    env.list.add((n) => ({
      kind: 'distribute_trust',
      title: remoteHosts.length > 0 ? `Copy ${content} to ${remoteHosts.map(label).join(', ')}` : `Copy ${content} to every node and client that loads ${r.bundle.name}`,
      mode: 'manual',
      severity: direction === 'add' ? 'medium' : 'high',
      why: direction === 'add'
        ? `Nodes load ${r.bundle.name} from their own certs dir; ${r.kind === 'ca' ? 'clients that verify the server (sslrootcert) need it too, before any node serves a certificate from the new CA.' : 'every node checks client certificates against it.'}`
        : `Each node keeps trusting the old CA until it has ${r.bundle.name} without it and reloads; the copies this plan cannot reach are replaced by hand.`,
      commands: [
        ...(remoteHosts.length > 0 ? remoteHosts.map((t) => `scp ${sh(r.bundle.path)} ${t.host}:<certs-dir of ${label(t)}>/${r.bundle.name}`) : [`copy ${r.bundle.path} to <certs-dir>/${r.bundle.name} on every node`]),
        ...(r.kind === 'ca' && direction === 'add' ? [`replace the sslrootcert file of every application with ${r.bundle.path}`] : []),
        markDone(req, n),
      ],
      equivalent: [],
      changes: [`${r.bundle.name} on ${remoteHosts.length > 0 ? remoteHosts.map(label).join(', ') : 'every node'}`],
      verify: remoteHosts.map((t) => `ssh ${sh(t.host)} cockroach cert list --certs-dir=<certs-dir> (${r.bundle.name} num certs as in ${r.bundle.path})`),
      rollback: ['Copy the previous bundle back to each node and reload it.'],
      blast_radius: direction === 'add'
        ? { stops_trusted: [], summary: 'Nothing stops being trusted: the bundle only gains the new CA.' }
        : { stops_trusted: ['every certificate signed by the old CA, on each node once it reloads'], summary: 'Certificates signed by the old CA stop being trusted on each node as it reloads.' },
      action: null,
      tool: null,
      files: [],
    }));
  }
}

function uploadStep(env: PlanEnv, r: TrustRotation, mode: 'keep' | 'drop', createStep: number, removeSet: ParsedCertificate[], dependants: LeafFile[]): PlanStep {
  const { req } = env;
  const cluster = r.cloudCluster!;
  return env.list.add((n) => ({
    kind: 'upload_client_ca',
    title: mode === 'keep'
      ? `Upload the combined Client CA bundle ${r.bundle.path} to Cloud cluster ${cluster} (old CA kept)`
      : `Upload ${r.bundle.path} without the old CA to Cloud cluster ${cluster} (drops the old Client CA)`,
    mode: 'tool',
    severity: mode === 'keep' ? 'medium' : 'high',
    why: mode === 'keep'
      ? `The cluster must trust the new Client CA (step ${createStep}) before any client logs in with a certificate it signed; keeping the old CA keeps today's clients working.`
      : 'Only once every client uses a certificate from the new CA: after this upload the cluster refuses certificates signed by the old Client CA.',
    commands: [`crdb-tls cloud client-ca set ${cluster} --cert-file ${sh(r.bundle.path)}${dependants.length ? dependants.map((l) => ` --verify-client-cert ${sh(l.file.path)}`).join('') : ''}`, markDone(req, n)],
    equivalent: [`ccloud cluster networking client-ca-cert update ${cluster} --cert-file ${sh(r.bundle.path)}`],
    changes: [`PATCH the Client CA of ${cluster} with ${r.bundle.path}, then wait until IS_SET`],
    verify: [`crdb-tls cloud client-ca get ${cluster} (the fingerprints are those of ${r.bundle.path})`],
    rollback: mode === 'keep'
      ? [`Roll back step ${createStep} (restores the previous ${r.bundle.name}), then crdb-tls cloud client-ca set ${cluster} --cert-file ${sh(r.bundle.path)}`]
      : [`Roll back the removal step (puts the old CA back into ${r.bundle.path}), then crdb-tls cloud client-ca set ${cluster} --cert-file ${sh(r.bundle.path)}`],
    blast_radius: mode === 'keep'
      ? { stops_trusted: [], summary: 'Nothing stops being trusted: the cluster keeps the Client CA(s) it trusts and gains the new one.' }
      : {
          stops_trusted: [...removeSet.map((c) => `client certificates signed by ${describeCert(c)}`), ...dependants.map((l) => `${l.file.path} as it was before this plan: ${describeCert(l.cert)}`)],
          summary: `Every client certificate signed by the old Client CA can no longer log in to ${cluster}, wherever a copy of it is still in use.`,
        },
    action: null,
    tool: { name: 'set_client_ca', input: { cluster_id: cluster, cert_file: r.bundle.path, ...(dependants.length ? { verify_client_certs: dependants.map((l) => l.file.path) } : {}) } },
    files: [],
  }));
}
