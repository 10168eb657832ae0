// A local stand-in for the CockroachDB Cloud API, written from the published contract that
// /work/shared/reference/cockroach-tls.md §4 records (cockroach-cloud-sdk-go
// internal/spec/openapi.json; cockroachcloud docs), not from src/cloud:
//
//   GET    /clusters/{cluster_id}/cert                  public CA, PEM, no authentication (§4.1)
//   GET    /api/v1/clusters/{cluster_id}                `Cluster` {id, name, plan, cloud_provider, state, config: {dedicated|serverless}, regions}
//   GET    /api/v1/clusters/{cluster_id}/client-ca-cert `ClientCACertInfo` {status, x509_pem_cert}
//   POST   same, body {"x509_pem_cert": "<PEM>"} (required)     → ClientCACertInfo, status PENDING
//   PATCH  same, body {"x509_pem_cert": "<PEM>"} (optional)     → ClientCACertInfo, status PENDING
//   DELETE same                                                  → ClientCACertInfo {PENDING, ""}
//
// The change is asynchronous: GET answers PENDING for `pendingPolls` reads, then IS_SET (after POST
// or PATCH) or NOT_SET (after DELETE), or FAILED when the test asks for it. Errors carry the spec's
// `Status {code, message, details}` body with gRPC codes (3 invalid argument, 5 not found,
// 7 permission denied, 14 unavailable, 16 unauthenticated). /api/* needs `Authorization: Bearer
// <key>`. Where the contract is silent, the stand-in's choice is marked "stand-in's choice".
//
// It listens on 127.0.0.1 only and logs every request (method, path, headers without
// Authorization, whether Authorization was absent, right or wrong, and the JSON body) so that
// tests can say "nothing was sent until confirmed" or "POST the first time, PATCH after".
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ClientCaStatus = 'NOT_SET' | 'IS_SET' | 'PENDING' | 'FAILED';
export type Plan = 'BASIC' | 'STANDARD' | 'ADVANCED' | 'DEDICATED' | 'SERVERLESS' | 'CUSTOM';

export interface ClusterSetup {
  id: string;
  name?: string;
  /** null leaves `plan` out of the Cluster object (then only `config` tells the kind). */
  plan: Plan | null;
  /** Which of `config.dedicated` / `config.serverless` the Cluster object holds (default: from the plan). */
  config?: 'dedicated' | 'serverless';
  /** What GET /clusters/{id}/cert serves. */
  caPem: string;
  clientCa?: { status: ClientCaStatus; pem: string };
  /** GETs answered PENDING after each change before it settles (default 2). */
  pendingPolls?: number;
  /** The API's own refusal of Client CA writes on this cluster (400 with this message). */
  refuseClientCa?: string;
}

export interface Fault {
  method?: string;
  /** Matched against the request path (a substring, or a RegExp). */
  path?: string | RegExp;
  status: number;
  body?: unknown;
  /** How many matching requests get this answer. */
  times: number;
  retryAfter?: string;
  /** Process the request first, then answer with the fault instead of the real answer (an answer lost on the way back). */
  afterApply?: boolean;
  /** Wait this long before answering (past the client's timeout); with afterApply, the change is made first. A 2xx status with afterApply sends the real answer, late. */
  delayMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Whether an Authorization header came, and whether it was `Bearer <the key>`. */
  auth: 'none' | 'valid' | 'invalid';
  /** Every header but Authorization, names lower-cased. */
  headers: Record<string, string>;
  body: unknown;
  status: number;
}

interface Pending {
  remaining: number;
  then: { status: ClientCaStatus; pem: string };
}

interface ClusterState {
  setup: ClusterSetup;
  clientCa: { status: ClientCaStatus; pem: string };
  pending: Pending | undefined;
}

const grpc = { invalidArgument: 3, notFound: 5, permissionDenied: 7, unavailable: 14, unauthenticated: 16, internal: 13 };
const statusBody = (code: number, message: string) => ({ code, message, details: [] });

export class CloudApiStandin {
  readonly requests: RecordedRequest[] = [];
  private readonly clusters = new Map<string, ClusterState>();
  private readonly faults: Fault[] = [];
  /** The next change settles as FAILED instead of IS_SET/NOT_SET. */
  failNextChange = false;
  url = '';

  private constructor(readonly apiKey: string, private readonly server: http.Server) {}

  static async start(apiKey: string): Promise<CloudApiStandin> {
    const server = http.createServer((req, res) => void standin.handle(req, res));
    const standin = new CloudApiStandin(apiKey, server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    standin.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return standin;
  }

  addCluster(setup: ClusterSetup): void {
    this.clusters.set(setup.id, { setup, clientCa: { ...(setup.clientCa ?? { status: 'NOT_SET', pem: '' }) }, pending: undefined });
  }

  /** The Client CA as the stand-in holds it now (settled or not). */
  clientCa(id: string): { status: ClientCaStatus; pem: string } {
    return { ...this.clusters.get(id)!.clientCa };
  }

  setClientCa(id: string, state: { status: ClientCaStatus; pem: string }): void {
    const cluster = this.clusters.get(id)!;
    cluster.clientCa = { ...state };
    cluster.pending = undefined;
  }

  fault(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Requests whose method is not GET: what changed (or tried to change) something. */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = raw ? (JSON.parse(raw) as unknown) : undefined;
    } catch {
      body = raw;
    }
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0]!;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (name !== 'authorization' && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    const authorization = req.headers.authorization;
    const auth: RecordedRequest['auth'] = authorization === undefined ? 'none' : authorization === `Bearer ${this.apiKey}` ? 'valid' : 'invalid';
    const record: RecordedRequest = { method, path, auth, headers, body, status: 0 };
    this.requests.push(record);

    const fault = this.faults.find((f) => f.times > 0 && (!f.method || f.method === method) && (!f.path || (typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path))));
    if (fault) fault.times -= 1;
    const delay = () => new Promise((resolve) => setTimeout(resolve, fault?.delayMs ?? 0));
    if (fault && !fault.afterApply) {
      await delay();
      return this.answerFault(res, record, fault);
    }
    const answer = this.route(method, path, auth, body);
    if (fault) {
      await delay();
      // A 2xx fault status means "the real answer, late"; anything else replaces the real answer.
      if (fault.status < 200 || fault.status >= 300) return this.answerFault(res, record, fault);
    }
    if (res.destroyed) return;
    record.status = answer.status;
    if (typeof answer.body === 'string') {
      res.writeHead(answer.status, { 'Content-Type': answer.contentType ?? 'text/plain' });
      res.end(answer.body);
    } else {
      res.writeHead(answer.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    }
  }

  private answerFault(res: http.ServerResponse, record: RecordedRequest, fault: Fault): void {
    record.status = fault.status;
    if (res.destroyed) return;
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (fault.retryAfter !== undefined) headers['Retry-After'] = fault.retryAfter;
    res.writeHead(fault.status, headers);
    res.end(JSON.stringify(fault.body ?? statusBody(fault.status >= 500 ? grpc.unavailable : grpc.invalidArgument, http.STATUS_CODES[fault.status] ?? 'error')));
  }

  private route(method: string, path: string, auth: RecordedRequest['auth'], body: unknown): { status: number; body: unknown; contentType?: string } {
    const publicCa = /^\/clusters\/([^/]+)\/cert$/.exec(path);
    if (publicCa && method === 'GET') {
      const cluster = this.clusters.get(decodeURIComponent(publicCa[1]!));
      // stand-in's choice: the contract does not show the public endpoint's 404 body.
      if (!cluster) return { status: 404, body: statusBody(grpc.notFound, 'cluster not found') };
      return { status: 200, body: cluster.setup.caPem, contentType: 'application/x-pem-file' };
    }
    if (!path.startsWith('/api/')) return { status: 404, body: statusBody(grpc.notFound, 'not found') };
    if (auth !== 'valid') return { status: 401, body: statusBody(grpc.unauthenticated, 'the token bearer cannot be authenticated') };

    const clusterMatch = /^\/api\/v1\/clusters\/([^/]+)(\/client-ca-cert)?$/.exec(path);
    if (!clusterMatch) return { status: 404, body: statusBody(grpc.notFound, 'not found') };
    const cluster = this.clusters.get(decodeURIComponent(clusterMatch[1]!));
    if (!cluster) return { status: 404, body: statusBody(grpc.notFound, 'cluster not found') };
    if (!clusterMatch[2]) return method === 'GET' ? { status: 200, body: this.clusterObject(cluster) } : { status: 404, body: statusBody(grpc.notFound, 'not found') };

    switch (method) {
      case 'GET':
        return { status: 200, body: this.readClientCa(cluster) };
      case 'POST':
      case 'PATCH':
      case 'DELETE':
        return this.changeClientCa(cluster, method, body);
      default:
        return { status: 404, body: statusBody(grpc.notFound, 'not found') };
    }
  }

  private clusterObject(cluster: ClusterState): Record<string, unknown> {
    const { setup } = cluster;
    const shared = setup.config ? setup.config === 'serverless' : setup.plan === 'BASIC' || setup.plan === 'STANDARD' || setup.plan === 'SERVERLESS';
    return {
      id: setup.id,
      name: setup.name ?? 'standin-cluster',
      cockroach_version: 'v25.2.1',
      ...(setup.plan !== null ? { plan: setup.plan } : {}),
      cloud_provider: 'GCP',
      state: 'CREATED',
      creator_id: '00000000-0000-0000-0000-000000000001',
      operation_status: 'CLUSTER_STATUS_UNSPECIFIED',
      config: shared
        ? { serverless: { routing_id: `${setup.name ?? 'standin-cluster'}-1234`, upgrade_type: 'AUTOMATIC' } }
        : { dedicated: { machine_type: 'n2-standard-4', num_virtual_cpus: 4, storage_gib: 15, memory_gib: 16 } },
      regions: [{ name: 'us-central1', sql_dns: 'standin.gcp-us-central1.cockroachlabs.cloud', ui_dns: '', node_count: shared ? 0 : 3 }],
    };
  }

  /** A GET during a change: PENDING `pendingPolls` times, then the settled state. */
  private readClientCa(cluster: ClusterState): { status: ClientCaStatus; x509_pem_cert: string } {
    if (cluster.pending) {
      if (cluster.pending.remaining > 0) {
        cluster.pending.remaining -= 1;
        return { status: 'PENDING', x509_pem_cert: cluster.clientCa.pem };
      }
      cluster.clientCa = cluster.pending.then;
      cluster.pending = undefined;
    }
    return { status: cluster.clientCa.status, x509_pem_cert: cluster.clientCa.pem };
  }

  private changeClientCa(cluster: ClusterState, method: string, body: unknown) {
    if (cluster.setup.refuseClientCa) return { status: 400, body: statusBody(grpc.invalidArgument, cluster.setup.refuseClientCa) };
    if (cluster.pending) return { status: 400, body: statusBody(grpc.invalidArgument, 'a client CA cert update is already in progress') }; // stand-in's choice
    const pem = (body as { x509_pem_cert?: unknown } | undefined)?.x509_pem_cert;
    const status = cluster.clientCa.status;
    let target: { status: ClientCaStatus; pem: string };
    if (method === 'DELETE') {
      if (status === 'NOT_SET') return { status: 200, body: { status: 'NOT_SET', x509_pem_cert: '' } };
      target = { status: 'NOT_SET', pem: '' };
    } else {
      if (method === 'POST' && typeof pem !== 'string') return { status: 400, body: statusBody(grpc.invalidArgument, 'x509_pem_cert is required') };
      if (pem !== undefined && (typeof pem !== 'string' || !pem.includes('-----BEGIN CERTIFICATE-----'))) return { status: 400, body: statusBody(grpc.invalidArgument, 'x509_pem_cert is not a PEM certificate') };
      // stand-in's choice: POST is for the first upload and PATCH for an update (the ccloud set/update pair).
      if (method === 'POST' && status !== 'NOT_SET') return { status: 400, body: statusBody(grpc.invalidArgument, 'a client CA cert is already set; use update (PATCH)') };
      if (method === 'PATCH' && status === 'NOT_SET') return { status: 400, body: statusBody(grpc.invalidArgument, 'no client CA cert is set; use set (POST)') };
      target = { status: 'IS_SET', pem: typeof pem === 'string' ? pem : cluster.clientCa.pem };
    }
    const previousPem = cluster.clientCa.pem;
    if (this.failNextChange) {
      this.failNextChange = false;
      target = { status: 'FAILED', pem: previousPem };
    }
    cluster.pending = { remaining: cluster.setup.pendingPolls ?? 2, then: target };
    const shownPem = method === 'DELETE' ? '' : (pem as string | undefined) ?? previousPem;
    return { status: 200, body: { status: 'PENDING', x509_pem_cert: shownPem } };
  }
}
