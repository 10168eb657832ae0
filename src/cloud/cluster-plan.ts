import { ToolError } from '../core/errors.js';
import { clusterPath, type CloudApiClient } from './api-client.js';
import { planRefusal } from './errors.js';

/**
 * The part of the Cloud API's `Cluster` object (GET /api/v1/clusters/{cluster_id}) we read.
 * Field names per the published spec (cockroach-cloud-sdk-go internal/spec/openapi.json,
 * components.schemas.Cluster): `plan` ($ref Plan.Type), `cloud_provider`, `state`, and `config`
 * ($ref ClusterConfig = {dedicated: DedicatedHardwareConfig, serverless: ServerlessClusterConfig}).
 */
interface CloudCluster {
  id?: string;
  name?: string;
  plan?: string;
  cloud_provider?: string;
  state?: string;
  config?: { dedicated?: unknown; serverless?: unknown };
}

export interface ClusterPlan {
  clusterId: string;
  name: string | undefined;
  /** As the API spells it: BASIC, STANDARD, ADVANCED today; SERVERLESS, DEDICATED, CUSTOM before. */
  plan: string | undefined;
  /** Whether the plan serves certificates signed by a publicly trusted CA (no CA download needed). */
  publiclyTrusted: boolean | undefined;
  /** Whether the plan has a Client CA (client-certificate authentication). */
  clientCaAvailable: boolean | undefined;
}

// `plan` values: the stored spec's Plan.Type enum is DEDICATED | CUSTOM | SERVERLESS (CUSTOM:
// "clusters whose machine configs are not supported in self-service", i.e. dedicated hardware);
// today's API and docs use BASIC | STANDARD | ADVANCED (cockroachcloud/cloud-api.md: "plan is the
// cluster's plan, BASIC, STANDARD, or ADVANCED"). Both are understood. Client CA is an
// Advanced/Dedicated feature (reference §4.2); Basic/Standard (formerly Serverless) servers
// present Let's Encrypt certificates (reference §4.1).
const SHARED_PLANS = new Set(['BASIC', 'STANDARD', 'SERVERLESS']);
const DEDICATED_PLANS = new Set(['ADVANCED', 'DEDICATED', 'CUSTOM']);

/** Judges a Cluster object; an unknown plan falls back to `config.serverless` / `config.dedicated`, as Terraform checks `Config.Serverless != nil`. */
function judgePlan(clusterId: string, cluster: CloudCluster): ClusterPlan {
  const plan = typeof cluster.plan === 'string' && cluster.plan !== '' ? cluster.plan.toUpperCase() : undefined;
  let shared: boolean | undefined;
  if (plan && SHARED_PLANS.has(plan)) shared = true;
  else if (plan && DEDICATED_PLANS.has(plan)) shared = false;
  else if (cluster.config?.serverless != null) shared = true;
  else if (cluster.config?.dedicated != null) shared = false;
  return { clusterId, name: typeof cluster.name === 'string' ? cluster.name : undefined, plan, publiclyTrusted: shared, clientCaAvailable: shared === undefined ? undefined : !shared };
}

export async function readClusterPlan(api: CloudApiClient, clusterId: string): Promise<ClusterPlan> {
  const cluster = await api.readJson<CloudCluster>(clusterPath(clusterId), { clusterId });
  if (!cluster || typeof cluster !== 'object') throw new ToolError('unavailable', `the Cloud API answered GET ${clusterPath(clusterId)} without a cluster object`);
  return judgePlan(clusterId, cluster);
}

/** Refuses, before anything is sent, on a plan without Client CA; an unknown plan is left to the API to refuse. */
export async function requireClientCaPlan(api: CloudApiClient, clusterId: string): Promise<ClusterPlan> {
  const plan = await readClusterPlan(api, clusterId);
  if (plan.clientCaAvailable === false) throw planRefusal(clusterId, plan.plan ?? 'Basic/Standard (serverless)');
  return plan;
}
