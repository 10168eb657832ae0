import { ToolError } from '../core/errors.js';
import type { ApiKey } from './credentials.js';

/** What the Cloud API said when it refused: the HTTP status and its `Status {code, message, details}` body. */
export interface CloudFailure {
  status: number;
  /** Raw response body (JSON `Status` per the OpenAPI spec, or anything a proxy put there). */
  body: string;
  method: string;
  /** Path of the request, e.g. /api/v1/clusters/ID/client-ca-cert (never the query or headers). */
  path: string;
  clusterId?: string;
}

const MAX_MESSAGE = 300;

/**
 * The `message` of the spec's `Status` body (internal/spec/openapi.json: every operation's
 * default response is `Status {code: int32, message: string, details: Any[]}`), else the body
 * text itself when it is short and printable (a proxy's plain-text page), else nothing.
 */
function apiMessage(body: string, key?: ApiKey): string | undefined {
  let message: string | undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as { message?: unknown }).message === 'string') message = (parsed as { message: string }).message;
  } catch {
    const text = body.trim();
    if (text && text.length <= MAX_MESSAGE && !/[<>]/.test(text)) message = text;
  }
  if (message === undefined || message.trim() === '') return undefined;
  const clean = message.replace(/\s+/g, ' ').trim();
  const short = clean.length > MAX_MESSAGE ? `${clean.slice(0, MAX_MESSAGE - 1)}…` : clean;
  return key ? key.redact(short) : short;
}

/**
 * Whether a refusal is the API saying that this cluster's plan has no Client CA. The spec does
 * not document the wording (UNCONFIRMED); Terraform's own check says "only available for
 * dedicated clusters" (terraform-provider-cockroach client_ca_cert_resource.go), so a 4xx whose
 * message names a plan of clusters and says "only" / "not supported" / "not available" is taken
 * as that refusal.
 */
function isPlanRefusal(status: number, message: string | undefined): boolean {
  if (status < 400 || status >= 500 || status === 401 || status === 404 || !message) return false;
  const namesPlan = /\b(serverless|dedicated|advanced|standard|basic)\b[^.]*\b(clusters?|plans?|tiers?)\b/i.test(message);
  const refuses = /\b(only|not supported|unsupported|not available|unavailable|not allowed)\b/i.test(message);
  return namesPlan && refuses;
}

export function planRefusal(clusterId: string, plan: string | undefined, apiSaid?: string): ToolError {
  const which = plan ? `a ${plan} cluster` : 'a cluster whose plan has no Client CA';
  return new ToolError(
    'refused',
    `cluster ${clusterId} is ${which}: a Client CA (client-certificate authentication) is only available on CockroachDB Cloud Advanced (formerly Dedicated) clusters${apiSaid ? ` — the Cloud API said: ${apiSaid}` : ''}`,
    'On Basic and Standard clusters, log in with a password (or SSO for the Console); move to an Advanced cluster to authenticate SQL clients with certificates.',
  );
}

const looksLikeUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

/** Maps a refusal of the Cloud API to an error a person can act on; the key never appears in it. */
export function cloudHttpError(failure: CloudFailure, key?: ApiKey): ToolError {
  const said = apiMessage(failure.body, key);
  const what = `${failure.method} ${failure.path}`;
  const saidSuffix = said ? ` — the Cloud API said: ${said}` : '';
  const cluster = failure.clusterId;
  if (cluster && isPlanRefusal(failure.status, said)) return planRefusal(cluster, undefined, said);
  switch (failure.status) {
    case 400:
      return new ToolError('invalid_input', `the Cloud API rejected ${what} (400)${said ? `: ${said}` : ''}`, 'Fix what the message names; for a Client CA, give PEM CA certificates separated by a blank line.');
    case 401:
      return new ToolError(
        'permission_denied',
        `the Cloud API did not accept the API key (401): the key is wrong, expired or revoked${saidSuffix}`,
        'Create a new secret key for the service account in the Cloud Console (Organization → Access Management → Service Accounts → API Keys) and set COCKROACH_API_KEY or COCKROACH_API_KEY_FILE to it.',
      );
    case 403:
      return new ToolError(
        'permission_denied',
        `the service account of this API key may not do ${what} (403): it lacks the Cluster Admin or Cluster Operator role${cluster ? ` on cluster ${cluster}` : ''}${saidSuffix}`,
        'Give the service account the Cluster Admin or Cluster Operator role on this cluster, its folder or the organization (Cloud Console → Access Management), then try again.',
      );
    case 404:
      return new ToolError(
        'not_found',
        cluster ? `no cluster ${cluster} is visible to this API key (404)${saidSuffix}` : `the Cloud API has nothing at ${failure.path} (404)${saidSuffix}`,
        cluster && !looksLikeUuid(cluster)
          ? `"${cluster}" is not a cluster ID: the Cloud API takes the UUID shown in the Console URL (…/cluster/<id>/overview), not the routing ID (name-1234) used in connection strings.`
          : 'Check the cluster ID (the UUID in the Console URL) and that the service account belongs to the cluster\'s organization.',
      );
    case 429:
      return new ToolError('unavailable', `the Cloud API kept answering ${what} with 429 Too Many Requests${saidSuffix}`, 'Wait a minute and try again; other tools using the same service account share its rate limit.');
    default:
      if (failure.status >= 500) {
        return new ToolError('unavailable', `the Cloud API failed ${what} with ${failure.status}${saidSuffix}`, 'The Cloud API had a problem on its side; try again in a few minutes, and check https://status.cockroachlabs.cloud.');
      }
      return new ToolError('invalid_input', `the Cloud API refused ${what} with ${failure.status}${saidSuffix}`);
  }
}

/** A request that got no HTTP answer: timed out, or the connection failed. */
export function cloudTransportError(what: string, server: string, cause: unknown, timedOut: boolean, key?: ApiKey): ToolError {
  if (timedOut) {
    return new ToolError('unavailable', `the Cloud API at ${server} did not answer ${what} in time`, 'Check the network (proxy, firewall) and COCKROACH_SERVER, then try again.');
  }
  const detail = (cause as { cause?: { code?: string; message?: string }; message?: string } | undefined);
  const reason = detail?.cause?.code ?? detail?.cause?.message ?? detail?.message ?? String(cause);
  return new ToolError('unavailable', `cannot reach the Cloud API at ${server} for ${what}: ${key ? key.redact(reason) : reason}`, 'Check the network (proxy, firewall, DNS) and COCKROACH_SERVER, then try again.');
}
