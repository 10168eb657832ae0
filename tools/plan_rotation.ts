import * as z from 'zod';
import { defineTool } from '../src/core/tool.js';
import { parseConnectionString } from '../src/diagnose/index.js';
import { Inventory, takeInventory } from '../src/rotation/inventory.js';
import { newPlanId, planRotation } from '../src/rotation/plan.js';
import { renderPlan } from '../src/rotation/render.js';
import { savePlan, viewOf } from '../src/rotation/saved.js';
import { PlanView, Scope } from '../src/rotation/steps.js';
import { chartField, days, inventoryRequest, resolveSources, sourceFields, withinField } from './rotation-inputs.js';
import { timelinePicture } from '../src/rotation/timeline-picture.js';

const optionalPath = (what: string) => z.string().min(1).max(4096).optional().describe(what);

export default defineTool({
  name: 'plan_rotation',
  title: 'Plan a certificate rotation',
  description:
    'Takes the expiry inventory (certs dirs — every certificate of every bundle —, what live nodes serve, crdb_internal.node_metrics over SQL, a Cloud cluster\'s Client CA) and makes an ordered, resumable rotation plan for what expires within the window: ' +
    'node and client certificates reissued by their CA; a CA rotated by overlap (new CA first in a combined bundle, distributed and reloaded everywhere, node then client certificates reissued, the old CA removed only when nothing signed by it is still valid or in use); ' +
    'a Cloud Client CA rotated by uploading a bundle that keeps the old CA, moving clients, then dropping the old CA. Each step says what to run (exact paths), what it changes, its severity, how to verify and roll it back, and which certificates stop being trusted. ' +
    'The plan is saved in the store with an id; nothing on the cluster or on disk changes (so the tool is read-only). Carry out local steps with apply_rotation_step. ' +
    'Example: { "certs_dirs": ["certs"], "ca_key": "my-safe-directory/ca.key", "hosts": ["node1:26257"], "within": "90d", "scope": "all" }',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  effects: 'network',
  input: z.object({
    ...sourceFields,
    within: withinField,
    chart: chartField,
    scope: Scope.default('all').describe('What to rotate: client, node, ca, client-ca (a separate client CA, or a Cloud Client CA), or all'),
    ca_key: optionalPath('The CA key (default COCKROACH_CA_KEY): lets crdb-tls reissue node and client certificates itself; without it those steps are manual'),
    client_ca_key: optionalPath('The key of ca-client.crt (or of the Cloud Client CA), when client certificates have their own CA'),
    new_ca_key: optionalPath('Where a CA rotation creates the new CA key (default: beside ca_key, named ca.YYYYMMDD.key); never an existing file'),
    new_client_ca_key: optionalPath('Where a client CA rotation creates the new key (default: beside client_ca_key)'),
    node_files: z.array(z.object({ cert: z.string().min(1).max(4096), key: z.string().min(1).max(4096) })).max(50).default([]).describe('Node certificate/key pairs outside a certs dir, replaced in place (e.g. a PostgreSQL data dir\'s server.crt / server.key)'),
    trust_files: z.array(z.string().min(1).max(4096)).max(50).default([]).describe('Other copies of ca.crt a CA rotation must update (e.g. the ssl_ca_file of a server)'),
    pidfile: optionalPath('Pid file of the node process on this machine (it serves the first host): its reload steps become reload_node_certs calls'),
    leaf_lifetime: z.string().default('43920h').describe('Lifetime of reissued node and client certificates (cut to the CA\'s remaining life)'),
    ca_lifetime: z.string().default('87840h').describe('Lifetime of a new CA'),
  }),
  output: z.object({ plan: PlanView, inventory: Inventory }),
  run: async (input, ctx) => {
    const now = new Date();
    const resolve = (p: string | undefined, what: string) => (p === undefined ? null : ctx.paths.resolve(p, what));
    const nodeFiles = input.node_files.map((f) => ({ cert: ctx.paths.resolve(f.cert, 'node certificate'), key: ctx.paths.resolve(f.key, 'node key') }));
    const trustFiles = input.trust_files.map((f) => ctx.paths.resolve(f, 'trust file'));
    const sources = resolveSources(input, ctx, [...nodeFiles.map((f) => f.cert), ...trustFiles]);
    const taken = await takeInventory(await inventoryRequest(input, sources, ctx, now));
    const id = newPlanId();
    const plan = await planRotation({
      id,
      createdBy: ctx.requester,
      now,
      scope: input.scope,
      withinDays: days(input.within, 'within'),
      thresholds: taken.inventory.thresholds,
      certsDirs: sources.certsDirs,
      nodeFiles,
      trustFiles,
      hosts: sources.hosts,
      probeCa: sources.caPath,
      pidfile: resolve(input.pidfile, 'pid file'),
      sqlRedacted: input.sql_urls.map((url) => parseConnectionString(url).redacted),
      cloudCluster: input.cloud_cluster ?? null,
      caKey: resolve(input.ca_key ?? ctx.config.defaultCaKey, 'CA key'),
      clientCaKey: resolve(input.client_ca_key, 'client CA key'),
      newCaKey: resolve(input.new_ca_key, 'new CA key'),
      newClientCaKey: resolve(input.new_client_ca_key, 'new client CA key'),
      leafLifetimeHours: Math.floor(days(input.leaf_lifetime, 'leaf_lifetime') * 24),
      caLifetimeHours: Math.floor(days(input.ca_lifetime, 'ca_lifetime') * 24),
      inventory: taken,
    });
    // Saving the plan changes nothing on the cluster or on disk beside the state: the tool stays read-only (DESIGN.md §2).
    await savePlan(ctx.store, plan);
    return { plan: viewOf(plan, [], ctx.store.kind), inventory: taken.inventory };
  },
  summary: (out) => renderPlan(out.plan),
  picture: { wanted: (input) => input.chart, draw: (out) => timelinePicture({ inventory: out.inventory, plan: out.plan }) },
});
