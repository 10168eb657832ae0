import path from 'node:path';
import { NODE_CERT, clientCertName } from '../../pki/certnames.js';
import { regenerateCommand } from '../../pki/derived.js';
import type { CertFile, LeafFile, NodeIdentity } from '../model.js';
import { reloadTexts } from '../server-kind.js';
import { sh, type PlanStep } from '../steps.js';
import { apply, certsDirFlag, describeCert, hostsOf, keySizeOf, label, leafLifetime, markDone, rollback, type PlanEnv } from './context.js';

/**
 * Steps that replace leaf certificates (node, client) and put them in service: the renewal of
 * node and client certificates on their own, and the middle of a CA rotation.
 */

export interface Signer {
  bundle: CertFile;
  /** The key of the bundle's first certificate; null when the plan was not given it (the step is then manual). */
  key: string | null;
  /** In a CA rotation the signer does not exist yet when the plan is made. */
  newCa?: { stepNumber: number };
}

function signerText(signer: Signer): string {
  return signer.newCa ? `the new CA of step ${signer.newCa.stepNumber} (first in ${signer.bundle.path})` : `${describeCert(signer.bundle.certs[0]!)} (first in ${signer.bundle.path})`;
}

export function reissueNodeStep(env: PlanEnv, identity: NodeIdentity, signer: Signer, why: string): PlanStep {
  const { req } = env;
  const leaf = identity.primary;
  const all = [leaf, ...identity.copies];
  const hosts = hostsOf(leaf.cert);
  const lifetime = leafLifetime(req, signer.newCa ? undefined : signer.bundle.certs[0]);
  for (const l of all) env.covered.add(l.file.path);
  const standardDir = !leaf.explicit && path.basename(leaf.file.path) === NODE_CERT;
  const local = signer.key !== null && hosts.length > 0;
  // cp onto an existing file keeps that file's owner, group and mode (what a data dir's server.key needs).
  const copyCommands = identity.copies.flatMap((c) => [`cp ${sh(leaf.file.path)} ${sh(c.file.path)}`, `cp ${sh(leaf.keyPath)} ${sh(c.keyPath)}`]);
  const equivalent = standardDir ? [`cockroach cert create-node ${hosts.map(sh).join(' ')} ${certsDirFlag(leaf.file.dir)} --ca-key=${(signer.key ? sh(signer.key) : '<ca.key>')} --overwrite --lifetime=${lifetime.hours}h`, ...copyCommands] : [];
  const pairs = all.map((l) => `${l.file.path} and ${l.keyPath}`);
  const copiesText = identity.copies.length > 0 ? ` ${identity.copies.map((c) => c.file.path).join(', ')} ${identity.copies.length === 1 ? 'holds' : 'hold'} the same certificate: one new key and certificate go to every copy, so that whichever file the server reads, it serves the new certificate.` : '';
  return env.list.add((n) => ({
    kind: 'reissue_node',
    title: `Reissue the node certificate ${all.map((l) => l.file.path).join(' and ')}`,
    mode: local ? 'local' : 'manual',
    severity: 'high',
    why: `${why}${copiesText}${lifetime.capped ? ` The new certificate lives ${lifetime.hours}h, not ${req.leafLifetimeHours}h: it may not outlive its CA.` : ''}${hosts.length === 0 ? ' The current certificate has no DNS or IP SANs to copy: give the hosts by hand.' : ''}`,
    commands: local ? [apply(req, n)] : [...(equivalent.length ? equivalent : [`crdb-tls cert create-node ${hosts.map(sh).join(' ') || '<hosts...>'} --certs-dir <a certs dir with ${signer.bundle.path}> --ca-key <ca.key> --overwrite`, ...copyCommands]), markDone(req, n)],
    equivalent,
    changes: [`replace ${pairs.join(', and ')} (one new ${keySizeOf(leaf.cert)}-bit RSA key for all of them, SANs ${hosts.join(', ') || 'none'}), signed by ${signerText(signer)}; backups are taken first, owner, group and mode of each file are kept, except that a key wider than 0600 is narrowed to 0600`],
    verify: [
      `crdb-tls cert inspect ${sh(leaf.file.path)} --ca ${sh(signer.bundle.path)}`,
      `openssl verify -CAfile ${sh(signer.bundle.path)} ${sh(leaf.file.path)}`,
      ...identity.copies.map((c) => `cmp ${sh(leaf.file.path)} ${sh(c.file.path)}`),
    ],
    rollback: local ? [`${rollback(req, n)} (restores ${all.flatMap((l) => [l.file.path, l.keyPath]).join(', ')} from the backups)`] : ['Put the previous node certificate and key back from your own copy, in every place listed.'],
    blast_radius: {
      stops_trusted: [],
      summary: signer.newCa
        ? `The node serves a certificate signed by the new CA once it reloads: clients that verify it with a bundle lacking the new CA stop trusting this node. Nothing else changes. The old certificate ${describeCert(leaf.cert)} is no longer served.`
        : `Nothing stops being trusted: the new certificate is signed by the CA clients already trust. The old certificate ${describeCert(leaf.cert)} is no longer served once the node reloads.`,
    },
    action: local
      ? { kind: 'issue_node', ca_cert: signer.bundle.path, ca_key: signer.key!, cert: leaf.file.path, key: leaf.keyPath, copies: identity.copies.map((c) => ({ cert: c.file.path, key: c.keyPath })), hosts, key_size: keySizeOf(leaf.cert), lifetime_hours: lifetime.hours }
      : null,
    tool: null,
    files: all.flatMap((l) => [{ path: l.file.path, sha256_at_plan: l.file.sha256 }, { path: l.keyPath, sha256_at_plan: null }]),
  }));
}

export function reissueClientStep(env: PlanEnv, leaf: LeafFile, signer: Signer, why: string): PlanStep {
  const step = reissueClientFiles(env, leaf, signer, why);
  if (leaf.pkcs12) rebuildPkcs12Step(env, leaf, signer, step.number);
  return step;
}

/**
 * A .p12 is protected by a password crdb-tls never holds, so a person makes it again from the new
 * certificate and key; marking the step done checks that the .p12 now holds the new certificate.
 */
function rebuildPkcs12Step(env: PlanEnv, leaf: LeafFile, signer: Signer, reissueStep: number): PlanStep {
  const { req } = env;
  const p12 = leaf.pkcs12!;
  const command = regenerateCommand({ path: p12, kind: 'pkcs12' }, leaf.file.path, leaf.keyPath, signer.bundle.path, leaf.user!);
  return env.list.add((n) => ({
    kind: 'rebuild_pkcs12',
    title: `Make ${p12} again from the new certificate and key of step ${reissueStep}`,
    mode: 'manual',
    severity: 'high',
    why: `${p12} is a copy of ${leaf.file.path} and its key for DBeaver, Java keystores and .NET. Step ${reissueStep} replaced them; the .p12 still holds ${describeCert(leaf.cert)}, whose users are locked out once the CA that signed it is removed. It is protected by a password crdb-tls never holds: openssl asks for the export password (give the old one to keep applications' settings). The chain is built from ${signer.bundle.path}: the certificate and the CA that signed it.`,
    commands: [command, markDone(req, n)],
    equivalent: [],
    changes: [`replace ${p12}`],
    verify: [`openssl pkcs12 -in ${sh(p12)} -nokeys | openssl x509 -noout -fingerprint -sha256 (the fingerprint of ${leaf.file.path})`, `crdb-tls cert list --certs-dir ${sh(leaf.file.dir)} (no derived_file_mismatch for ${path.basename(p12)})`],
    rollback: ['Put the previous .p12 back from your own copy (roll back the reissue step first to get the matching certificate and key).'],
    blast_radius: { stops_trusted: [], summary: `Nothing stops being trusted; users of ${path.basename(p12)} switch to the new certificate when they get the new file.` },
    action: null,
    tool: null,
    files: [{ path: p12, sha256_at_plan: null }],
  }));
}

function reissueClientFiles(env: PlanEnv, leaf: LeafFile, signer: Signer, why: string): PlanStep {
  const { req } = env;
  const user = leaf.user!;
  const lifetime = leafLifetime(req, signer.newCa ? undefined : signer.bundle.certs[0]);
  env.covered.add(leaf.file.path);
  const local = signer.key !== null;
  const tenants = leaf.cert.info.sans.uri.filter((uri) => uri.startsWith('crdb://'));
  const tenantIds = tenants.map((uri) => /^crdb:\/\/tenant\/(\d+)\//.exec(uri)?.[1]).filter((id): id is string => id !== undefined);
  const standardDir = path.basename(leaf.file.path) === clientCertName(user) && path.dirname(signer.bundle.path) === leaf.file.dir;
  const equivalent = standardDir
    ? [`cockroach cert create-client ${sh(user)} ${certsDirFlag(leaf.file.dir)} --ca-key=${(signer.key ? sh(signer.key) : '<ca.key>')} --overwrite --lifetime=${lifetime.hours}h${leaf.pkcs8 ? ' --also-generate-pkcs8-key' : ''}${tenantIds.length ? ` --tenant-scope=${tenantIds.join(',')}` : ''}`]
    : [];
  const files = [leaf.file.path, leaf.keyPath, ...(leaf.pkcs8 ? [leaf.pkcs8] : []), ...(leaf.pkcs8Pem ? [leaf.pkcs8Pem] : [])];
  return env.list.add((n) => ({
    kind: 'reissue_client',
    title: `Reissue the client certificate for SQL user ${user} (${leaf.file.path})`,
    mode: local ? 'local' : 'manual',
    severity: 'high',
    why: `${why}${lifetime.capped ? ` The new certificate lives ${lifetime.hours}h, not ${req.leafLifetimeHours}h: it may not outlive its CA.` : ''}${leaf.pkcs12 ? ` ${leaf.pkcs12} is made again by the next step (it needs its password).` : ''}`,
    commands: local ? [apply(req, n)] : [...(equivalent.length ? equivalent : [`crdb-tls cert create-client ${sh(user)} --certs-dir ${sh(leaf.file.dir)} --ca-key <ca.key> --overwrite`]), markDone(req, n)],
    equivalent,
    changes: [`replace ${files.join(', ')} (new key, CN=${user}${tenants.length ? `, ${tenants.join(', ')}` : ''}), signed by ${signerText(signer)}; backups are taken first, owner, group and mode are kept, except that a key wider than 0600 is narrowed to 0600`],
    verify: [`crdb-tls cert inspect ${sh(leaf.file.path)} --ca ${sh(signer.bundle.path)}`],
    rollback: local ? [`${rollback(req, n)} (restores ${files.join(', ')} from the backups)`] : ['Put the previous client certificate and key back from your own copy.'],
    blast_radius: {
      stops_trusted: [],
      summary: signer.newCa
        ? `Nodes that have not loaded a bundle with the new CA refuse the new certificate for ${user}. Copies of the old certificate ${describeCert(leaf.cert)} elsewhere keep working until the old CA is removed.`
        : `Nothing stops being trusted. Applications keep using the old certificate ${describeCert(leaf.cert)} (valid until ${leaf.cert.info.not_after.slice(0, 10)}) until they get the new files.`,
    },
    action: local
      ? { kind: 'issue_client', ca_cert: signer.bundle.path, ca_key: signer.key!, user, cert: leaf.file.path, key: leaf.keyPath, pkcs8: leaf.pkcs8, pkcs8_pem: leaf.pkcs8Pem, tenant_uris: tenants, key_size: keySizeOf(leaf.cert), lifetime_hours: lifetime.hours }
      : null,
    tool: null,
    files: [{ path: leaf.file.path, sha256_at_plan: leaf.file.sha256 }, ...files.slice(1).map((p) => ({ path: p, sha256_at_plan: null }))],
  }));
}

export interface ReloadWhat {
  /** Why the nodes reload now. */
  reason: string;
  /** The trust bundle the check verifies the node against. */
  caPath: string | null;
  /** true: the served certificate must change to the node's file; false: only the trust changed. */
  certChanges: boolean;
}

/**
 * Nodes pick up new files on SIGHUP (reference §2.1). The local node (hosts[0] with --pidfile) is
 * a reload_node_certs call; every other node is a manual step with the exact commands.
 */
export function reloadSteps(env: PlanEnv, what: ReloadWhat): PlanStep[] {
  const { req } = env;
  const steps: PlanStep[] = [];
  const ca = what.caPath ? ` --ca ${sh(what.caPath)}` : '';
  const expectFor = (hostKey: string) => {
    const leaf = env.served.get(hostKey)?.leaf;
    if (what.certChanges) return leaf ? { expect_cert: leaf.file.path } : {};
    return leaf ? { expect_cert: leaf.file.path } : { expect_same: true };
  };
  const remote = [...req.hosts];
  if (req.pidfile) {
    const target = remote.shift();
    if (target) {
      const hostKey = label(target);
      const expect = expectFor(hostKey);
      const texts = reloadTexts(env.server, req.pidfile);
      const flags = [`--pidfile ${sh(req.pidfile)}`, `--host ${hostKey}`, ...(what.caPath ? [`--ca ${sh(what.caPath)}`] : []), ...(expect.expect_cert ? [`--expect-cert ${sh(expect.expect_cert)}`] : []), ...('expect_same' in expect ? ['--expect-same'] : [])];
      steps.push(env.list.add((n) => ({
        kind: 'reload',
        title: `Reload the node at ${hostKey} (SIGHUP to the process in ${req.pidfile}) and check what it serves`,
        mode: 'tool',
        severity: 'medium',
        why: what.reason,
        commands: [`crdb-tls rotate reload ${flags.join(' ')}`, markDone(req, n)],
        equivalent: texts.equivalent,
        changes: [`send SIGHUP to the process whose pid is in ${req.pidfile}`],
        verify: [
          `crdb-tls probe ${hostKey}${ca}${expect.expect_cert ? ` (the served SHA-256 fingerprint is the one of ${expect.expect_cert})` : ''}`,
          ...texts.verify(hostKey, target.host),
        ],
        rollback: [texts.onFailure],
        blast_radius: { stops_trusted: [], summary: 'Nothing stops being trusted by the signal itself; the node starts using the files changed by the steps before.' },
        action: null,
        tool: { name: 'reload_node_certs', input: { pidfile: req.pidfile, host: target.host, port: target.port, ...(what.caPath ? { ca: what.caPath } : {}), ...expect } },
        files: [],
      })));
    }
  }
  if (remote.length > 0 || req.hosts.length === 0) {
    const targets = remote.length > 0 ? remote.map(label) : ['every node'];
    steps.push(env.list.add((n) => ({
      kind: 'reload',
      title: remote.length > 0 ? `Reload ${targets.join(', ')} (SIGHUP on each node)` : 'Reload every node (SIGHUP on each node)',
      mode: 'manual',
      severity: 'medium',
      why: what.reason,
      commands: [
        ...(remote.length > 0 ? remote.map((t) => `ssh ${sh(t.host)} pkill -SIGHUP -x cockroach`) : ['on each node: pkill -SIGHUP -x cockroach']),
        markDone(req, n),
      ],
      equivalent: [],
      changes: ['send SIGHUP to the cockroach process on each node'],
      verify: [
        ...(remote.length > 0 ? remote.map((t) => `crdb-tls probe ${label(t)}${ca}`) : [`crdb-tls probe <node>:26257${ca}`]),
        `DB Console on each node: https://<node>:8080/#/reports/certificates/local`,
        'On failure the node logs `could not reload certificates` (OPS channel) and keeps its old certificates (reference §2.1).',
      ],
      rollback: ['Nothing to undo: a node that fails to reload keeps its old certificates.'],
      blast_radius: { stops_trusted: [], summary: 'Nothing stops being trusted by the signal itself; each node starts using its changed files.' },
      action: null,
      tool: null,
      files: [],
    })));
  }
  return steps;
}

export function moveClientsStep(env: PlanEnv, leaves: LeafFile[], caPath: string | null, extra = ''): PlanStep {
  const { req } = env;
  const target = req.hosts[0] ? label(req.hosts[0]) : '<host>:26257';
  return env.list.add((n) => ({
    kind: 'move_clients',
    title: `Give the applications their new client certificates (${leaves.map((l) => l.user).join(', ')})`,
    mode: 'manual',
    severity: 'low',
    why: `Clients never reload certificates on their own (reference §2.1): every application using these certificates must get the new files and reconnect.${extra}`,
    commands: [
      ...leaves.map((l) => `copy ${[l.file.path, l.keyPath, l.pkcs8, l.pkcs8Pem, l.pkcs12].filter((f): f is string => f !== null).join(', ')} to every application that logs in as ${l.user}, then restart or reconnect it`),
      markDone(req, n),
    ],
    equivalent: [],
    changes: ['application configuration (outside crdb-tls)'],
    verify: leaves.map((l) => `crdb-tls test-connection ${sh(`postgresql://${l.user}@${target}/defaultdb?sslmode=verify-full${caPath ? `&sslrootcert=${caPath}` : ''}&sslcert=${l.file.path}&sslkey=${l.keyPath}`)}`),
    rollback: ['Give the applications their previous files back (roll back the reissue steps first to get them).'],
    blast_radius: { stops_trusted: [], summary: 'Nothing stops being trusted; applications switch certificates.' },
    action: null,
    tool: null,
    files: [],
  }));
}

/** A node certificate seen only on the wire (no local file serves it): reissued on that node by a person. */
export function manualReissueStep(env: PlanEnv, hostKey: string, served: { subject: string; sha256_fingerprint: string; not_after: string; sans: { dns: string[]; ip: string[] } }, caKey: string | null): PlanStep {
  const { req } = env;
  const hosts = [...served.sans.dns, ...served.sans.ip];
  return env.list.add((n) => ({
    kind: 'manual_reissue',
    title: `Reissue the node certificate served by ${hostKey} (on that node)`,
    mode: 'manual',
    severity: 'high',
    why: `${hostKey} serves ${served.subject} [SHA-256 ${served.sha256_fingerprint.slice(0, 23)}…], expiring ${served.not_after.slice(0, 10)}, and no certs dir given to this plan holds it.`,
    commands: [
      `cockroach cert create-node ${hosts.map(sh).join(' ') || '<hosts...>'} --certs-dir=<that node's certs dir> --ca-key=${(caKey ? sh(caKey) : '<ca.key>')} --overwrite`,
      `copy node.crt and node.key to ${hostKey}'s certs dir (keep node.key mode 0600, owned by the user cockroach runs as)`,
      `ssh ${sh(hostKey.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''))} pkill -SIGHUP -x cockroach`,
      markDone(req, n),
    ],
    equivalent: [],
    changes: [`node.crt and node.key on ${hostKey}`],
    verify: [`crdb-tls probe ${hostKey}${req.probeCa ? ` --ca ${sh(req.probeCa)}` : ''} (a new fingerprint and expiry)`],
    rollback: ['Put the previous node.crt/node.key back on the node and send SIGHUP again.'],
    blast_radius: { stops_trusted: [], summary: 'Nothing stops being trusted when the new certificate is signed by the same CA.' },
    action: null,
    tool: null,
    files: [],
  }));
}
