import crypto from 'node:crypto';
import { hostLabel, isDue, type InventoryItem } from './inventory.js';
import { buildModel, nodeIdentities } from './model.js';
import { serverKindOf } from './server-kind.js';
import { RotationPlan, StepList, sh, type Scope } from './steps.js';
import { describeCert, isDueCert, label, markDone, type PlanEnv, type PlanRequest } from './templates/context.js';
import { manualReissueStep, moveClientsStep, reissueClientStep, reissueNodeStep, reloadSteps } from './templates/leaves.js';
import { trustRotation } from './templates/trust.js';

export type { PlanRequest } from './templates/context.js';

/** Plan ids: short enough to type, random enough that nobody guesses another person's plan. */
export const newPlanId = () => `rp_${crypto.randomBytes(9).toString('base64url')}`;

const covers = (scope: Scope, part: Exclude<Scope, 'all'>) => scope === 'all' || scope === part;

/**
 * From the inventory to an ordered, resumable plan. What is due (expiring within the window) and
 * in scope decides which templates run: a CA rotation by overlap when the signing CA is due (it
 * reissues every certificate that CA signed), a client CA or Cloud Client CA rotation likewise,
 * else node and client certificates reissued by the CA they already trust.
 */
export async function planRotation(req: PlanRequest): Promise<RotationPlan> {
  const { inventory } = req;
  const model = await buildModel(inventory.entries, req.certsDirs, req.nodeFiles, req.trustFiles);
  const env: PlanEnv = { req, model, list: new StepList(), notes: [], covered: new Set(), server: await serverKindOf(req.pidfile), served: new Map() };
  for (const probe of inventory.probes) {
    const cert = probe.report?.chain.find((c) => c.position === 0);
    const leaf = cert ? model.nodeLeaves.find((l) => l.cert.info.sha256_fingerprint === cert.sha256_fingerprint) : undefined;
    env.served.set(hostLabel(probe.target), { cert, leaf });
  }
  const due = inventory.inventory.items.filter((item) => isDue(item, req.withinDays) && inScope(item, req.scope));

  // CA and client CA rotations first: they reissue what their CA signed.
  const primaryCa = model.caBundles[0];
  if (covers(req.scope, 'ca') && primaryCa && isDueCert(primaryCa.certs[0]!, req)) {
    trustRotation(env, { kind: 'ca', bundle: primaryCa, currentKey: req.caKey, newKey: req.newCaKey, cloudCluster: null });
  }
  if (covers(req.scope, 'client-ca')) {
    const cloudItems = inventory.inventory.items.filter((i) => i.source === 'cloud_client_ca' && i.sha256_fingerprint);
    const cloudTrusts = new Set(cloudItems.map((i) => i.sha256_fingerprint!));
    const cloudDue = cloudItems.some((i) => isDue(i, req.withinDays));
    const clientCa = model.clientCaBundles[0];
    if (req.cloudCluster && cloudDue) {
      const local = [...model.clientCaBundles, ...model.caBundles].find((f) => cloudTrusts.has(f.certs[0]!.info.sha256_fingerprint));
      if (local) {
        trustRotation(env, { kind: 'client-ca', bundle: local, currentKey: req.clientCaKey ?? req.caKey, newKey: req.newClientCaKey, cloudCluster: req.cloudCluster, cloudTrusts });
      } else {
        cloudWithoutLocalCa(env, req.cloudCluster, cloudItems.filter((i) => isDue(i, req.withinDays)));
      }
    } else if (clientCa && isDueCert(clientCa.certs[0]!, req)) {
      trustRotation(env, { kind: 'client-ca', bundle: clientCa, currentKey: req.clientCaKey ?? req.caKey, newKey: req.newClientCaKey, cloudCluster: null });
    }
  }

  // Node certificates due and not already reissued by a CA rotation.
  if (covers(req.scope, 'node')) {
    const leaves = model.nodeLeaves.filter((l) => !env.covered.has(l.file.path) && isDueCert(l.cert, req));
    if (leaves.length > 0 && !primaryCa) env.notes.push(`No ca.crt in ${req.certsDirs.join(', ') || 'the certs dirs given'}: node certificates cannot be reissued here; give the certs dir holding the CA.`);
    if (primaryCa) {
      for (const identity of nodeIdentities(leaves)) reissueNodeStep(env, identity, { bundle: primaryCa, key: req.caKey }, `${describeCert(identity.primary.cert)} expires within ${req.withinDays} days.`);
      if (leaves.length > 0) reloadSteps(env, { reason: 'Nodes serve a new certificate only after a reload (SIGHUP; reference §2.1).', caPath: req.probeCa ?? primaryCa.path, certChanges: true });
    }
    for (const [hostKey, served] of env.served) {
      if (!served.cert || served.leaf || !isDueCert(served.cert, req)) continue;
      manualReissueStep(env, hostKey, served.cert, req.caKey);
    }
  }

  // Client certificates due and not already reissued.
  if (covers(req.scope, 'client')) {
    const leaves = model.clientLeaves.filter((l) => !env.covered.has(l.file.path) && isDueCert(l.cert, req));
    const reissued = [];
    for (const leaf of leaves) {
      const signerFile = model.clientCaBundles.find((f) => f.dir === leaf.file.dir) ?? model.caBundles.find((f) => f.dir === leaf.file.dir) ?? model.clientCaBundles[0] ?? primaryCa;
      if (!signerFile) {
        env.notes.push(`${leaf.file.path} is due but no ca.crt / ca-client.crt was found to sign its successor.`);
        continue;
      }
      const key = signerFile.name === 'ca-client.crt' ? (req.clientCaKey ?? null) : req.caKey;
      reissueClientStep(env, leaf, { bundle: signerFile, key }, `${describeCert(leaf.cert)} expires within ${req.withinDays} days.`);
      reissued.push(leaf);
    }
    if (reissued.length > 0) moveClientsStep(env, reissued, req.probeCa ?? primaryCa?.path ?? null);
  }

  sqlSteps(env, due);
  if (env.list.steps.length > 0) verifyStep(env);

  const unreadable = inventory.inventory.items.filter((i) => i.status === 'error');
  if (unreadable.length > 0) env.notes.push(`${unreadable.length} certificate(s) or source(s) could not be read and are not in this plan: ${unreadable.slice(0, 3).map((i) => `${i.path ?? i.location}: ${i.error}`).join('; ')}${unreadable.length > 3 ? '; ...' : ''}`);
  const steps = env.list.steps;
  const summary = steps.length === 0
    ? `Nothing in scope ${req.scope} expires within ${req.withinDays} days; no steps.`
    : `${steps.length} step(s) for ${due.length} certificate(s) expiring within ${req.withinDays} days (scope ${req.scope}): ${steps.filter((s) => s.mode === 'local').length} carried out by crdb-tls rotate apply, ${steps.filter((s) => s.mode === 'tool').length} by another crdb-tls tool, ${steps.filter((s) => s.mode === 'manual').length} by hand.`;
  return RotationPlan.parse({
    id: req.id,
    created_at: req.now.toISOString(),
    created_by: req.createdBy,
    scope: req.scope,
    within_days: req.withinDays,
    thresholds: req.thresholds,
    summary,
    sources: { certs_dirs: req.certsDirs, files: [...req.nodeFiles.map((f) => f.cert), ...req.trustFiles], hosts: req.hosts.map(label), sql: req.sqlRedacted, cloud_cluster: req.cloudCluster },
    due,
    notes: env.notes,
    steps,
  });
}

function inScope(item: InventoryItem, scope: Scope): boolean {
  if (scope === 'all') return true;
  const usage = item.usage ?? '';
  if (item.source === 'cloud_client_ca') return scope === 'client-ca';
  if (usage === 'Client CA' || usage === 'Tenant Client CA') return scope === 'client-ca';
  if (usage.endsWith('CA')) return scope === 'ca';
  if (usage === 'Node' || usage === 'UI' || usage === 'Server') return scope === 'node';
  if (usage === 'Client' || usage === 'Tenant Client') return scope === 'client';
  return false;
}

/** What only the cluster's metrics show: a person reissues it on that node. */
function sqlSteps(env: PlanEnv, due: InventoryItem[]): void {
  const { req } = env;
  // Soonest first: an expired node certificate before one that has weeks left.
  for (const item of due.filter((i) => i.source === 'sql').sort((a, b) => (a.seconds_left ?? 0) - (b.seconds_left ?? 0))) {
    env.list.add((n) => ({
      kind: 'manual_reissue',
      title: `${item.location}: the ${item.what} expires ${item.not_after?.slice(0, 10)} (${item.days_left} days)`,
      mode: 'manual',
      severity: 'high',
      why: 'crdb_internal.node_metrics of that node reports it; the files are on that node, which this plan cannot see. If a step above already replaces it, mark this one done after that step.',
      commands: [
        item.usage === 'Node' || item.usage === 'UI' ? "on that node: cockroach cert create-node <its hosts> --certs-dir=<its certs dir> --ca-key=<ca.key> --overwrite" : `on that node: reissue the ${item.usage} certificate (cockroach cert create-* ... --overwrite; CA certificates by the overlap procedure of --scope ca)`,
        'on that node: pkill -SIGHUP -x cockroach',
        markDone(req, n),
      ],
      equivalent: [],
      changes: [`the ${item.what} on ${item.location}`],
      verify: [`SELECT name, value FROM crdb_internal.node_metrics WHERE name LIKE 'security.certificate.ttl.%' (on ${item.location})`],
      rollback: ['Put the previous files back on the node and send SIGHUP.'],
      blast_radius: { stops_trusted: [], summary: 'Nothing stops being trusted when the new certificate is signed by a CA the cluster trusts.' },
      action: null,
      tool: null,
      files: [],
    }));
  }
}

function cloudWithoutLocalCa(env: PlanEnv, cluster: string, due: InventoryItem[]): void {
  const { req } = env;
  env.notes.push(`No certs dir given holds the Client CA of ${cluster} (by fingerprint) with its key: the Client CA steps are manual. Give --certs-dir with ca-client.crt and --client-ca-key to let crdb-tls carry them out.`);
  env.list.add((n) => ({
    kind: 'new_ca',
    title: `Rotate the Client CA of Cloud cluster ${cluster} (expiring: ${due.map((i) => i.subject ?? i.what).join(', ')})`,
    mode: 'manual',
    severity: 'high',
    why: 'The Client CA the cluster trusts expires; clients whose certificates it signed will be refused.',
    commands: [
      `crdb-tls cloud client-ca get ${cluster} --json  # save the PEM now set as <dir>/ca-client.crt`,
      'crdb-tls cert create-client-ca --certs-dir <dir> --ca-key <new client CA key> --overwrite  # new CA first, old kept',
      `crdb-tls cloud client-ca set ${cluster} --cert-file <dir>/ca-client.crt  # keeps the old CA: medium`,
      'reissue every client certificate with the new CA and give it to its application',
      `remove the old CA from <dir>/ca-client.crt, then crdb-tls cloud client-ca set ${cluster} --cert-file <dir>/ca-client.crt  # drops the old CA: high`,
      markDone(req, n),
    ],
    equivalent: [`ccloud cluster networking client-ca-cert update ${cluster} --cert-file <dir>/ca-client.crt`],
    changes: [`the Client CA of ${cluster}`],
    verify: [`crdb-tls cloud client-ca get ${cluster}`],
    rollback: [`crdb-tls cloud client-ca set ${cluster} --cert-file <the previous bundle>`],
    blast_radius: { stops_trusted: ['client certificates signed by the old Client CA, at the last upload'], summary: 'Only the last upload (without the old CA) stops anything being trusted.' },
    action: null,
    tool: null,
    files: [],
  }));
}

function verifyStep(env: PlanEnv): void {
  const { req } = env;
  const sources = [
    ...req.certsDirs.map((d) => `--certs-dir ${sh(d)}`),
    ...[...req.nodeFiles.map((f) => f.cert), ...req.trustFiles].map((f) => `--file ${sh(f)}`),
    ...req.hosts.map((h) => `--host ${label(h)}`),
    ...(req.probeCa && req.hosts.length > 0 ? [`--ca ${sh(req.probeCa)}`] : []),
    ...(req.cloudCluster ? [`--cloud-cluster ${req.cloudCluster}`] : []),
  ].join(' ');
  env.list.add((n) => ({
    kind: 'verify',
    title: 'Check that nothing in scope is due any more',
    mode: 'manual',
    severity: 'low',
    why: 'The rotation is over when the inventory shows nothing expiring within the window and every node serves its new certificate.',
    commands: [`crdb-tls rotate check ${sources} --within ${req.withinDays}d`, markDone(req, n)],
    equivalent: req.certsDirs.map((d) => `cockroach cert list --certs-dir=${sh(d)}`),
    changes: [],
    // The host behind a PostgreSQL pid file has no DB Console; every other host is a CockroachDB node.
    verify: [`crdb-tls rotate check ... exits 0`, ...req.hosts.filter((_, i) => !(i === 0 && req.pidfile && env.server === 'postgresql')).map((h) => `DB Console: https://${h.host}:8080/#/reports/certificates/local`)],
    rollback: [],
    blast_radius: { stops_trusted: [], summary: 'A check; it changes nothing.' },
    action: null,
    tool: null,
    files: [],
  }));
}
