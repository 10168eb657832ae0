import * as z from 'zod';
import { ClientId, DiagnosisCode, FixStep } from '../../diagnose/index.js';
import { CertificateInfo } from '../../pki/schemas.js';
import type { NetworkPolicy } from '../policy.js';

/** What probe_server takes and gives back; every phase of the probe fills a part of ProbeReport. */

export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

export const Finding = z.object({
  code: DiagnosisCode,
  severity: z.enum(['error', 'warning', 'info']),
  phase: z.enum(['local', 'connect', 'ssl_request', 'handshake', 'verify', 'hostname', 'login']),
  message: z.string(),
  fix_steps: z.array(FixStep).describe('The fix steps diagnose_error gives for this code'),
});
export type Finding = z.infer<typeof Finding>;

export const ChainCertificate = CertificateInfo.extend({
  position: z.number().int().describe('0 = the server certificate'),
  sha1_fingerprint: z.string(),
});

const PgwireAnswer = z.enum(['S', 'N', 'E', 'other', 'closed', 'no_answer', 'unreachable']);

export const ProbeReport = z.object({
  target: z.object({ host: z.string(), port: z.number().int(), servername: z.string().nullable().describe('SNI sent (none for an IP address)'), address: z.string().nullable().describe('The IP address connected to') }),
  ok: z.boolean().describe('TLS works, the chain verifies, the host name matches and (if given) the client certificate was accepted'),
  code: DiagnosisCode.nullable().describe('The first error finding\'s code; null when ok'),
  summary: z.string(),
  pgwire: z.object({
    answer: PgwireAnswer.describe('S = TLS offered, N = no TLS, E = error (server too old for SSL), other = not pgwire, closed / no_answer / unreachable'),
    speaks_pgwire: z.boolean().nullable(),
    tls_offered: z.boolean().nullable(),
    detail: z.string().nullable().describe('What came back instead (first bytes, an error), or why nothing did'),
  }),
  tls: z.object({ protocol: z.string(), cipher: z.string(), cipher_standard_name: z.string().nullable() }).nullable(),
  chain: z.array(ChainCertificate).describe('The server\'s chain as the TLS library reports it (what the server sent, completed from the trusted CAs), or as read from TLS 1.2 handshake records when the handshake failed'),
  chain_source: z.enum(['tls', 'handshake_records', 'none']),
  verification: z.object({
    trust: z.enum(['ca_file', 'system_store']),
    ca_source: z.string().nullable(),
    verified: z.boolean().nullable().describe('null when the chain could not be checked'),
    error_code: z.string().nullable(),
    error: z.string().nullable(),
  }).nullable(),
  hostname: z.object({ name: z.string(), matches: z.boolean(), error: z.string().nullable() }).nullable(),
  client_certificate: z.object({
    sent: z.boolean(),
    subject: z.string().nullable(),
    login_user: z.string().nullable().describe('The user of the StartupMessage'),
    accepted: z.boolean().nullable().describe('null when no certificate was sent or the answer does not tell'),
    server_answer: z.enum(['authenticated', 'password_requested', 'other_auth_requested', 'error', 'tls_alert', 'closed', 'no_answer', 'not_tried']),
    detail: z.string().nullable(),
  }),
  client_ca_names: z.object({
    source: z.enum(['handshake_records', 'openssl', 'none']),
    protocol: z.string().nullable().describe('The protocol of the handshake the names were read from'),
    requested_client_certificate: z.boolean().nullable(),
    names: z.array(z.string()),
    note: z.string().nullable(),
  }).nullable(),
  findings: z.array(Finding),
  timings_ms: z.object({
    connect: z.number().nullable(),
    ssl_request: z.number().nullable(),
    handshake: z.number().nullable(),
    login: z.number().nullable(),
    client_ca_names: z.number().nullable(),
    total: z.number(),
  }),
  timeout_ms: z.number().int(),
});
export type ProbeReport = z.infer<typeof ProbeReport>;

/** A file the caller named: its contents, or why it could not be read. */
export interface Material {
  path: string | null;
  contents?: Buffer;
  readError?: string;
  /** File mode and owner, for the key permission check libpq does. */
  mode?: number;
  uid?: number;
}

export interface ProbeOptions {
  host: string;
  port: number;
  /** Which targets this face may reach: checked (after name resolution) before the TCP connect. */
  network: NetworkPolicy;
  ca?: Material;
  cert?: Material;
  key?: Material;
  servername?: string;
  user?: string;
  database?: string;
  timeoutMs?: number;
  /** Read the client-CA names of the CertificateRequest (may cost a second handshake). Default true. */
  clientCaNames?: boolean;
  /**
   * Send a StartupMessage after the handshake (default true). false: the handshake only, for a
   * caller that needs just the served chain (reload_node_certs), so that probing leaves no login
   * attempt in the server's log.
   */
  login?: boolean;
  /** The client the fix steps are written for. */
  client?: ClientId;
  signal?: AbortSignal;
  progress?: (message: string, fraction?: number) => void;
  /** `openssl` binary for the TLS-1.3-only fallback; default: found on PATH; null: never. */
  openssl?: string | null;
}
