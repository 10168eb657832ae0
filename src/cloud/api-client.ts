import { setTimeout as sleep } from 'node:timers/promises';
import { ToolError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { ApiKey } from './credentials.js';
import { cloudHttpError, cloudTransportError } from './errors.js';

/**
 * The API version we speak: the `info.version` of the published spec
 * (cockroach-cloud-sdk-go internal/spec/openapi.json), sent as `Cc-Version` like the SDK does
 * (pkg/client/configuration.go). Without it the API answers as version 2022-03-31
 * (cockroachcloud/cloud-api.md "Set the API version").
 */
const CC_VERSION = '2024-09-16';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails instead. */
  maxRetryAfterMs: number;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 300, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 };
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_BODY_BYTES = 1_048_576;

export interface CloudApiClientOptions {
  /** Base URL without a trailing slash (COCKROACH_SERVER). */
  server: string;
  /** Needed for /api/v1 calls; the cluster CA download needs none. */
  apiKey?: ApiKey | undefined;
  /** Per request, headers and body included. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** The caller's cancellation (the MCP request's signal). */
  signal?: AbortSignal | undefined;
  log?: Logger | undefined;
  /** Jitter source; tests may pin it. */
  random?: () => number;
}

export interface RequestOptions {
  /** Send the API key (default true); false for the public CA endpoint. */
  auth?: boolean;
  /** For error messages: "no cluster X", "the Cluster Admin role on cluster X". */
  clusterId?: string;
  accept?: string;
}

export interface WriteOptions extends RequestOptions {
  /**
   * Reads the state after a write whose answer was lost (timeout, connection reset, 5xx, 429) and
   * says whether the write took effect. A write is resent only when this says it did not.
   */
  tookEffect: () => Promise<boolean>;
}

export interface WriteOutcome<T> {
  /** The API's answer, or undefined when the write was confirmed by `tookEffect` instead. */
  body: T | undefined;
  /** How many times the request was sent (1 unless a failed attempt was checked and found not applied). */
  sent: number;
  confirmedByCheck: boolean;
}

type Attempt =
  | { kind: 'response'; status: number; body: string; retryAfterMs: number | undefined }
  | { kind: 'transport'; error: unknown; timedOut: boolean };

const retryable = (a: Attempt) => a.kind === 'transport' || a.status === 429 || a.status >= 500;

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3). */
function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * A small client for the CockroachDB Cloud API on Node's fetch. Reads are retried with
 * exponential backoff and full jitter on 5xx, 429 (honouring Retry-After), timeouts and connection
 * errors. Writes are never resent blindly: after a failure the caller's `tookEffect` reads the
 * state, and the write is sent again only if it did not take. The key goes into the
 * Authorization header and nowhere else; nothing here logs headers or bodies.
 */
export class CloudApiClient {
  readonly server: string;
  private readonly apiKey: ApiKey | undefined;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly signal: AbortSignal | undefined;
  private readonly log: Logger | undefined;
  private readonly random: () => number;

  constructor(options: CloudApiClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.signal = options.signal;
    this.log = options.log;
    this.random = options.random ?? Math.random;
  }

  /** GET, retried on transient failures; the body of a 2xx answer, else a ToolError. */
  async read(path: string, options: RequestOptions = {}): Promise<string> {
    let attempt: Attempt | undefined;
    for (let n = 1; n <= this.retry.attempts; n++) {
      attempt = await this.send('GET', path, undefined, options, n);
      if (attempt.kind === 'response' && attempt.status >= 200 && attempt.status < 300) return attempt.body;
      if (!retryable(attempt) || n === this.retry.attempts) break;
      await this.pause(n, attempt, `GET ${path}`);
    }
    throw this.failure('GET', path, attempt!, options);
  }

  async readJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.parseJson<T>(await this.read(path, options), 'GET', path);
  }

  /**
   * POST, PATCH or DELETE. Sent once; when its answer is lost or transient (timeout, connection
   * error, 5xx, 429), `tookEffect` reads the state first and the request is sent again only when
   * the change did not take.
   */
  async write<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body: unknown, options: WriteOptions): Promise<WriteOutcome<T>> {
    const what = `${method} ${path}`;
    let attempt: Attempt | undefined;
    for (let n = 1; n <= this.retry.attempts; n++) {
      attempt = await this.send(method, path, body, options, n);
      if (attempt.kind === 'response' && attempt.status >= 200 && attempt.status < 300) {
        return { body: attempt.body.trim() === '' ? undefined : this.parseJson<T>(attempt.body, method, path), sent: n, confirmedByCheck: false };
      }
      if (!retryable(attempt)) throw this.failure(method, path, attempt, options);
      await this.pause(n, attempt, what);
      let took: boolean;
      try {
        took = await options.tookEffect();
      } catch (error) {
        const checkFailure = error instanceof ToolError ? error.message : String(error);
        throw new ToolError(
          'unavailable',
          `${what} failed (${this.describe(attempt)}) and reading the state afterwards failed too (${checkFailure}): it is not known whether the change took effect`,
          'Read the current state (crdb-tls cloud client-ca get CLUSTER_ID) before trying again.',
        );
      }
      if (took) {
        this.log?.info({ method, path, attempt: n }, 'cloud api write confirmed by reading the state after a lost answer');
        return { body: undefined, sent: n, confirmedByCheck: true };
      }
      this.log?.info({ method, path, attempt: n }, 'cloud api write did not take effect; sending it again');
    }
    const failed = this.failure(method, path, attempt!, options);
    throw new ToolError(failed.code, `${failed.message} (sent ${this.retry.attempts} times; each time the state was read afterwards and the change had not taken effect)`, failed.hint);
  }

  private async send(method: string, path: string, body: unknown, options: RequestOptions, n: number): Promise<Attempt> {
    this.throwIfCancelled();
    const headers: Record<string, string> = { Accept: options.accept ?? 'application/json', 'User-Agent': 'crdb-tls' };
    if (path.startsWith('/api/')) headers['Cc-Version'] = CC_VERSION;
    if (options.auth !== false) {
      if (!this.apiKey) throw new ToolError('internal', `${method} ${path} needs the Cloud API key, and the client was built without one`);
      headers.Authorization = this.apiKey.authorization();
    }
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = this.signal ? AbortSignal.any([this.signal, timeout]) : timeout;
    const started = Date.now();
    try {
      const response = await fetch(`${this.server}${path}`, { method, headers, signal, redirect: 'error', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await response.text();
      if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new ToolError('unavailable', `the Cloud API answered ${method} ${path} with more than 1 MB`, 'Check COCKROACH_SERVER: it should be the Cloud API.');
      this.log?.debug({ method, path, status: response.status, attempt: n, ms: Date.now() - started }, 'cloud api request');
      return { kind: 'response', status: response.status, body: text, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) };
    } catch (error) {
      if (error instanceof ToolError) throw error;
      this.throwIfCancelled();
      const timedOut = timeout.aborted;
      this.log?.debug({ method, path, attempt: n, ms: Date.now() - started, timedOut }, 'cloud api request got no answer');
      return { kind: 'transport', error, timedOut };
    }
  }

  /** Exponential backoff with full jitter, or the server's Retry-After when it gave one. */
  private async pause(n: number, attempt: Attempt, what: string): Promise<void> {
    const retryAfter = attempt.kind === 'response' ? attempt.retryAfterMs : undefined;
    if (retryAfter !== undefined && retryAfter > this.retry.maxRetryAfterMs) {
      throw new ToolError('unavailable', `the Cloud API asked to wait ${Math.ceil(retryAfter / 1000)} s before retrying ${what}`, 'Try again later.');
    }
    const backoff = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (n - 1));
    const delay = retryAfter ?? Math.floor(this.random() * backoff);
    this.log?.debug({ what, attempt: n, delayMs: delay, reason: this.describe(attempt) }, 'cloud api retry after a transient failure');
    try {
      await sleep(delay, undefined, this.signal ? { signal: this.signal } : {});
    } catch {
      this.throwIfCancelled();
    }
  }

  private describe(attempt: Attempt): string {
    if (attempt.kind === 'response') return `HTTP ${attempt.status}`;
    return attempt.timedOut ? `no answer within ${Math.round(this.timeoutMs / 1000)} s` : 'connection failed';
  }

  private failure(method: string, path: string, attempt: Attempt, options: RequestOptions): ToolError {
    if (attempt.kind === 'transport') return cloudTransportError(`${method} ${path}`, this.server, attempt.error, attempt.timedOut, this.apiKey);
    return cloudHttpError({ status: attempt.status, body: attempt.body, method, path, ...(options.clusterId ? { clusterId: options.clusterId } : {}) }, this.apiKey);
  }

  private parseJson<T>(text: string, method: string, path: string): T {
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ToolError('unavailable', `the Cloud API answered ${method} ${path} with something that is not JSON`, 'Check COCKROACH_SERVER: it should be the Cloud API (https://cockroachlabs.cloud).');
    }
  }

  private throwIfCancelled(): void {
    if (this.signal?.aborted) throw new ToolError('refused', 'the call was cancelled before the Cloud API answered', 'Nothing more is sent; read the current state before trying again.');
  }
}

/** /api/v1/clusters/{cluster_id}{suffix}, the id escaped so that it stays one path segment. */
export function clusterPath(clusterId: string, suffix = ''): string {
  return `/api/v1/clusters/${encodeURIComponent(clusterId)}${suffix}`;
}
