import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import * as z from 'zod';
import { ToolError } from '../core/errors.js';
import { ClientId, DiagnosisCode, diagnose, fixStepsFor, type FixContext } from '../diagnose/index.js';
import { FixStep } from '../diagnose/fixes/context.js';
import { CertificateInfo, parseCertificateDer, parseCertificates, type ParsedCertificate } from '../pki/certificate.js';
import { keyMatches } from '../pki/keys.js';
import { toPem } from '../pki/pem.js';
import { verifyChain } from '../pki/verify.js';
import { SSL_REQUEST, TERMINATE, classifySslAnswer, formatPgError, parseAuthRequest, parseErrorFields, printableBytes, readBackendMessage, startupMessage } from './pgwire.js';
import { TeeSocket, TlsRecordReader } from './tls-records.js';

/**
 * probe_server: what `openssl s_client -starttls postgres` and certigo's postgres probe show, as
 * data. One TCP connection: the pgwire SSLRequest (exactly one byte read back), a TLS handshake
 * that accepts whatever the server presents (so the chain can be shown), verification against the
 * given CA (or Node's bundled store) and the host name done afterwards, then a StartupMessage so
 * that a client certificate refused after a TLS 1.3 handshake (the alert comes after the client's
 * Finished) is seen too. The client-CA names of a TLS 1.2 CertificateRequest are read from the
 * handshake records (tls-records.ts); when the server negotiated TLS 1.3, a second handshake capped
 * at TLS 1.2 reads them, and when the server refuses TLS 1.2, `openssl s_client` (if installed).
 *
 * Every phase has a deadline inside one overall budget (timeout_ms), and the AbortSignal ends it
 * at once. Every fault becomes a finding with a diagnosis code and the SAME fix steps that
 * diagnose_error gives for that code (src/diagnose fixStepsFor).
 */

export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;
const OTHER_BYTES_MAX = 512;
const OTHER_BYTES_QUIET_MS = 150;
const MIN_OPTIONAL_PHASE_MS = 150;

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
  ca?: Material;
  cert?: Material;
  key?: Material;
  servername?: string;
  user?: string;
  database?: string;
  timeoutMs?: number;
  /** Read the client-CA names of the CertificateRequest (may cost a second handshake). Default true. */
  clientCaNames?: boolean;
  /** The client the fix steps are written for. */
  client?: ClientId;
  signal?: AbortSignal;
  progress?: (message: string, fraction?: number) => void;
  /** `openssl` binary for the TLS-1.3-only fallback; default: found on PATH; null: never. */
  openssl?: string | null;
}

class Aborted extends Error {}

/** Runs `setup` until it settles, its deadline passes (→ onTimeout()) or the signal aborts (→ throws Aborted). */
function phase<T>(ms: number, signal: AbortSignal | undefined, onTimeout: () => T, setup: (settle: (value: T) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let cleanup: () => void = () => {};
    const finish = (action: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      cleanup();
      action();
    };
    const onAbort = () => finish(() => reject(new Aborted('aborted')));
    const timer = setTimeout(() => finish(() => resolve(onTimeout())), Math.max(0, ms));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    cleanup = setup((value) => finish(() => resolve(value)));
    if (done) cleanup();
  });
}

const errorText = (error: unknown): string => {
  const e = error as NodeJS.ErrnoException & { reason?: string };
  const message = (e?.message ?? String(error)).trim();
  return e?.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
};

const ALERT_GRACE_MS = 150;

/** An error that carries a TLS alert or an OpenSSL reason (more telling than a reset). */
const isTlsAlert = (error: Error | undefined): boolean => {
  if (!error) return false;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return code.startsWith('ERR_SSL') || /alert|ssl routines/i.test(error.message);
};

/** The first TLS alert among the errors, else the first error. */
const bestError = (errors: Error[]): Error | undefined => errors.find(isTlsAlert) ?? errors[0];

/** The OpenSSL verify codes Node reports in authorizationError, mapped like diagnose_error maps their text. */
const VERIFY_CODES: Record<string, DiagnosisCode> = {
  CERT_HAS_EXPIRED: 'server_cert_expired',
  CERT_NOT_YET_VALID: 'cert_not_yet_valid',
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted_server_ca',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted_server_ca',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted_server_ca',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted_server_ca',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted_server_ca',
  CERT_SIGNATURE_FAILURE: 'untrusted_server_ca',
  CERT_UNTRUSTED: 'untrusted_server_ca',
  CERT_REJECTED: 'untrusted_server_ca',
  INVALID_PURPOSE: 'cert_wrong_usage',
  INVALID_CA: 'cert_wrong_usage',
};

const VERIFY_MESSAGES: Record<string, string> = {
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get issuer certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  CERT_SIGNATURE_FAILURE: 'certificate signature failure',
  INVALID_PURPOSE: 'unsupported certificate purpose',
  INVALID_CA: 'invalid CA certificate',
};

/** A code for a free-form error text, through the same knowledge base as diagnose_error. */
function codeForText(text: string, fallback: DiagnosisCode, client?: ClientId): DiagnosisCode {
  const d = diagnose({ error_text: text.slice(0, 65_536), ...(client ? { client } : {}) });
  return d.code === 'unknown' ? fallback : d.code;
}

function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return null;
}

function chainEntry(parsed: ParsedCertificate, position: number): z.infer<typeof ChainCertificate> {
  return { ...parsed.info, position, sha1_fingerprint: parsed.x509.fingerprint };
}

/** The DER chain Node reports: the peer's certificates, each followed by its issuer, until a self-signed one. */
function peerChainDers(socket: tls.TLSSocket): Buffer[] {
  const ders: Buffer[] = [];
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (cert && cert.raw && ders.length < 10) {
    const key = cert.fingerprint256;
    if (seen.has(key)) break;
    seen.add(key);
    ders.push(cert.raw);
    if (!cert.issuerCertificate || cert.issuerCertificate === cert) break;
    cert = cert.issuerCertificate;
  }
  return ders;
}

/** tls.checkServerIdentity on our parsed certificate (the same rules node-postgres applies). */
function checkHostname(name: string, leaf: ParsedCertificate): string | null {
  const peer = { subject: { CN: leaf.info.common_name }, subjectaltname: leaf.x509.subjectAltName ?? undefined } as unknown as tls.PeerCertificate;
  const error = tls.checkServerIdentity(name, peer);
  return error ? error.message : null;
}

interface OpensslNames {
  names: string[];
  requested: boolean;
  protocol: string | null;
}

/** `openssl s_client -starttls postgres`'s "Acceptable client certificate CA names" section. */
export function parseOpensslCaNames(output: string): OpensslNames {
  const lines = output.split('\n');
  const names: string[] = [];
  let requested = false;
  const start = lines.findIndex((l) => l.startsWith('Acceptable client certificate CA names'));
  if (start >= 0) {
    requested = true;
    for (const line of lines.slice(start + 1)) {
      if (!line.trim() || /^(Requested Signature Algorithms|Client Certificate Types|Shared Requested|Peer signing|Peer signature|Server Temp Key|---|SSL handshake)/.test(line)) break;
      names.push(line.trim().replace(/\s*=\s*/g, '='));
    }
  } else if (output.includes('No client certificate CA names sent')) {
    requested = true;
  }
  const protocol = /^\s*Protocol\s*:\s*(\S+)/m.exec(output)?.[1] ?? /New, (TLSv[\d.]+),/.exec(output)?.[1] ?? null;
  return { names, requested, protocol };
}

export async function probeServer(options: ProbeOptions): Promise<ProbeReport> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const deadline = started + timeoutMs;
  const remaining = () => Math.max(0, Math.floor(deadline - performance.now()));
  const { host, port, signal } = options;
  const progress = (message: string, fraction: number) => options.progress?.(message, fraction);
  const name = options.servername ?? host;
  const servername = net.isIP(name) ? null : name;

  const fixContext: Partial<FixContext> = {
    host,
    port,
    user: options.user ?? null,
    database: options.database ?? null,
    caPath: options.ca?.path ?? null,
    certPath: options.cert?.path ?? null,
    keyPath: options.key?.path ?? null,
  };
  const findings: Finding[] = [];
  const add = (code: DiagnosisCode, severity: Finding['severity'], phaseName: Finding['phase'], message: string) => {
    findings.push({ code, severity, phase: phaseName, message, fix_steps: fixStepsFor(code, options.client ?? null, fixContext) });
  };

  const report: ProbeReport = {
    target: { host, port, servername, address: null },
    ok: false,
    code: null,
    summary: '',
    pgwire: { answer: 'unreachable', speaks_pgwire: null, tls_offered: null, detail: null },
    tls: null,
    chain: [],
    chain_source: 'none',
    verification: null,
    hostname: null,
    client_certificate: { sent: false, subject: null, login_user: null, accepted: null, server_answer: 'not_tried', detail: null },
    client_ca_names: null,
    findings,
    timings_ms: { connect: null, ssl_request: null, handshake: null, login: null, client_ca_names: null, total: 0 },
    timeout_ms: timeoutMs,
  };

  // ---- local checks: the files we were given
  const trusted: ParsedCertificate[] = [];
  if (options.ca) {
    if (options.ca.readError !== undefined) {
      add('ca_file_missing', 'error', 'local', `CA file ${options.ca.path}: ${options.ca.readError}; the chain is checked against Node's bundled public CAs instead`);
    } else {
      trusted.push(...parseCertificates(options.ca.contents!, options.ca.path ?? 'CA'));
    }
  }
  let clientCert: ParsedCertificate | undefined;
  let clientKey: crypto.KeyObject | undefined;
  if (options.cert || options.key) {
    if (!options.cert || !options.key) throw new ToolError('invalid_input', 'a client certificate needs its key, and a key its certificate', 'Give both cert and key (--cert and --key).');
    for (const [what, material] of [['certificate', options.cert], ['key', options.key]] as const) {
      if (material.readError !== undefined) add('client_cert_file_missing', 'error', 'local', `client ${what} ${material.path}: ${material.readError}; probing without a client certificate`);
    }
    if (options.cert.readError === undefined && options.key.readError === undefined) {
      clientCert = parseCertificates(options.cert.contents!, options.cert.path ?? 'client certificate')[0];
      const keyBytes = options.key.contents!;
      const isPem = keyBytes.includes('-----BEGIN');
      try {
        clientKey = isPem ? crypto.createPrivateKey(keyBytes) : crypto.createPrivateKey({ key: keyBytes, format: 'der', type: 'pkcs8' });
        if (!isPem) add('client_key_format', 'warning', 'local', `client key ${options.key.path} is DER (PKCS#8), which pgJDBC wants; libpq, node-postgres, Go and Python need PEM. The probe converted it to send the certificate.`);
      } catch (error) {
        add('client_key_format', 'error', 'local', `client key ${options.key.path} cannot be read as a private key (${(error as Error).message}); probing without a client certificate`);
      }
      if (clientKey && clientCert && !keyMatches(clientKey, clientCert.x509.publicKey)) {
        add('client_key_mismatch', 'error', 'local', `the key ${options.key.path} does not belong to the certificate ${options.cert.path} (key values mismatch); probing without a client certificate`);
        clientKey = undefined;
      }
      const { mode, uid } = options.key;
      if (mode !== undefined && (mode & 0o077) !== 0 && !(uid === 0 && (mode & 0o037) === 0)) {
        add('client_key_permissions', 'warning', 'local', `client key ${options.key.path} has mode ${(mode & 0o777).toString(8).padStart(4, '0')}: libpq (psql, psycopg) and cockroach refuse a key readable by group or others; chmod 600 it`);
      }
      if (clientCert && clientCert.notAfter.getTime() < Date.now()) add('client_cert_expired', 'warning', 'local', `client certificate ${options.cert.path} expired on ${clientCert.info.not_after}`);
      if (clientCert && clientCert.info.ext_key_usage.length > 0 && !clientCert.info.ext_key_usage.includes('clientAuth')) {
        add('cert_wrong_usage', 'warning', 'local', `client certificate ${options.cert.path} has no clientAuth extended key usage (${clientCert.info.ext_key_usage.join(', ')}): CockroachDB (Go) refuses it`);
      }
    }
  }
  const sendCert = Boolean(clientCert && clientKey);
  const loginUser = options.user ?? (clientCert?.info.common_name || 'root');
  fixContext.user = loginUser;
  report.client_certificate.sent = sendCert;
  report.client_certificate.subject = sendCert ? clientCert!.info.subject : null;

  const sockets: net.Socket[] = [];
  const finalize = (): ProbeReport => {
    for (const s of sockets) s.destroy();
    const firstError = findings.find((f) => f.severity === 'error');
    report.code = firstError?.code ?? null;
    report.ok = !firstError && report.tls !== null && report.verification?.verified === true && report.hostname?.matches === true && report.client_certificate.accepted !== false;
    report.timings_ms.total = Math.round(performance.now() - started);
    report.summary = summarize(report);
    return report;
  };

  try {
    // ---- TCP connect
    progress(`connecting to ${host}:${port}`, 0.05);
    let t0 = performance.now();
    const connected = await phase<{ socket?: net.Socket; error?: string; code?: string }>(remaining(), signal, () => ({ error: `no TCP connection within ${timeoutMs} ms`, code: 'timeout' }), (settle) => {
      const socket = net.connect({ host, port });
      sockets.push(socket);
      socket.setNoDelay(true);
      const onError = (error: NodeJS.ErrnoException) => settle({ error: errorText(error), ...(error.code ? { code: error.code } : {}) });
      socket.once('connect', () => settle({ socket }));
      socket.once('error', onError);
      return () => socket.removeListener('error', onError);
    });
    report.timings_ms.connect = Math.round(performance.now() - t0);
    if (!connected.socket) {
      report.pgwire = { answer: 'unreachable', speaks_pgwire: null, tls_offered: null, detail: connected.error ?? null };
      const unresolved = connected.code === 'ENOTFOUND' || connected.code === 'EAI_AGAIN';
      add(unresolved ? 'unknown' : 'connection_dropped', 'error', 'connect', unresolved ? `cannot resolve ${host}: ${connected.error}` : `cannot connect to ${host}:${port}: ${connected.error}`);
      return finalize();
    }
    const socket = connected.socket;
    socket.on('error', () => {}); // errors are read per phase; never an unhandled 'error'
    report.target.address = socket.remoteAddress ?? null;

    // ---- SSLRequest: read exactly one byte (and what follows, only to describe a non-pgwire answer)
    progress('sending the pgwire SSLRequest', 0.15);
    t0 = performance.now();
    type SslOutcome = { answer: 'S' | 'N' | 'E' | 'other' | 'closed' | 'no_answer'; bytes: Buffer; detail?: string };
    const ssl = await phase<SslOutcome>(remaining(), signal, () => ({ answer: 'no_answer', bytes: Buffer.alloc(0) }), (settle) => {
      let bytes: Buffer = Buffer.alloc(0);
      let quiet: NodeJS.Timeout | undefined;
      const onData = (chunk: Buffer) => {
        bytes = bytes.length ? Buffer.concat([bytes, chunk]) : chunk;
        const answer = classifySslAnswer(bytes[0]!);
        if (answer === 'S' || answer === 'N') {
          socket.pause();
          return settle({ answer, bytes });
        }
        if (answer === 'E') {
          try {
            if (readBackendMessage(bytes) || bytes.length > OTHER_BYTES_MAX * 8) settle({ answer, bytes });
          } catch {
            settle({ answer: 'other', bytes });
          }
          return;
        }
        if (bytes.length >= OTHER_BYTES_MAX) return settle({ answer: 'other', bytes });
        clearTimeout(quiet);
        quiet = setTimeout(() => settle({ answer: 'other', bytes }), OTHER_BYTES_QUIET_MS);
      };
      const onEnd = () => settle(bytes.length ? { answer: bytes[0] === 0x45 ? 'E' : 'other', bytes } : { answer: 'closed', bytes, detail: 'the server closed the connection without answering the SSLRequest' });
      const onError = (error: Error) => settle(bytes.length ? { answer: 'other', bytes } : { answer: 'closed', bytes, detail: errorText(error) });
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.once('close', onEnd);
      socket.once('error', onError);
      socket.write(SSL_REQUEST);
      return () => {
        clearTimeout(quiet);
        socket.removeListener('data', onData);
        socket.removeListener('end', onEnd);
        socket.removeListener('close', onEnd);
        socket.removeListener('error', onError);
      };
    });
    report.timings_ms.ssl_request = Math.round(performance.now() - t0);
    switch (ssl.answer) {
      case 'no_answer':
        report.pgwire = { answer: 'no_answer', speaks_pgwire: null, tls_offered: null, detail: `the port accepted the connection but sent nothing within ${timeoutMs} ms` };
        add('connection_dropped', 'error', 'ssl_request', `${host}:${port} accepted the TCP connection but never answered the SSLRequest (${timeoutMs} ms): a stalled server, a proxy holding the connection, or a service that waits for the client`);
        return finalize();
      case 'closed':
        report.pgwire = { answer: 'closed', speaks_pgwire: null, tls_offered: null, detail: ssl.detail ?? null };
        add('connection_dropped', 'error', 'ssl_request', `${host}:${port} closed the connection without answering the SSLRequest (${ssl.detail ?? 'EOF'})`);
        return finalize();
      case 'N':
        report.pgwire = { answer: 'N', speaks_pgwire: true, tls_offered: false, detail: 'the server answered "N": it does not do TLS' };
        add('server_tls_disabled', 'error', 'ssl_request', `${host}:${port} speaks pgwire but answered the SSLRequest with "N": the server does not support SSL (an insecure node, or PostgreSQL with ssl=off)`);
        return finalize();
      case 'E': {
        let detail = printableBytes(ssl.bytes);
        try {
          const message = readBackendMessage(ssl.bytes);
          if (message) detail = formatPgError(parseErrorFields(message.body));
        } catch {
          // keep the printable bytes
        }
        report.pgwire = { answer: 'E', speaks_pgwire: true, tls_offered: false, detail };
        add('server_tls_disabled', 'error', 'ssl_request', `${host}:${port} answered the SSLRequest with an error (a server without SSL support): ${detail}`);
        return finalize();
      }
      case 'other': {
        const first = ssl.bytes[0]!;
        const text = printableBytes(ssl.bytes);
        const kind = ssl.bytes.subarray(0, 5).toString('latin1') === 'HTTP/' ? 'an HTTP server' : first === 0x15 || first === 0x16 ? 'a TLS server that expects TLS from the first byte (no pgwire SSLRequest)' : 'something that is not a PostgreSQL server';
        report.pgwire = { answer: 'other', speaks_pgwire: false, tls_offered: null, detail: text };
        add('not_tls_endpoint', 'error', 'ssl_request', `${host}:${port} is ${kind}: it answered the SSLRequest with ${JSON.stringify(text.slice(0, 80))}`);
        return finalize();
      }
      case 'S':
        break;
    }
    if (ssl.bytes.length > 1) {
      report.pgwire = { answer: 'S', speaks_pgwire: true, tls_offered: true, detail: `the server sent ${ssl.bytes.length - 1} unencrypted byte(s) after "S"` };
      add('not_tls_endpoint', 'error', 'ssl_request', `${host}:${port} answered "S" and then sent unencrypted data before the TLS handshake (libpq refuses this: "received unencrypted data after SSL response")`);
      return finalize();
    }
    report.pgwire = { answer: 'S', speaks_pgwire: true, tls_offered: true, detail: null };

    // ---- TLS handshake (everything accepted here; verification follows)
    progress('TLS handshake', 0.35);
    t0 = performance.now();
    const reader = new TlsRecordReader();
    const tee = new TeeSocket(socket, (chunk) => reader.push(chunk));
    tee.on('error', () => {});
    const tlsOptions: tls.ConnectionOptions = {
      socket: tee,
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      ...(servername ? { servername } : {}),
      ...(trusted.length ? { ca: trusted.map((c) => toPem('CERTIFICATE', c.der)) } : {}),
      ...(sendCert ? { cert: toPem('CERTIFICATE', clientCert!.der), key: clientKey!.export({ format: 'pem', type: 'pkcs8' }) as string } : {}),
    };
    let secure: tls.TLSSocket | undefined;
    const tlsErrors: Error[] = [];
    const handshake = await phase<{ ok?: true; error?: string; closed?: true; timeout?: true }>(remaining(), signal, () => ({ timeout: true }), (settle) => {
      let tlsSocket: tls.TLSSocket;
      try {
        tlsSocket = tls.connect(tlsOptions);
      } catch (error) {
        settle({ error: errorText(error) });
        return () => {};
      }
      secure = tlsSocket;
      // Kept for the whole session: an alert read together with the server's Finished is emitted
      // (on nextTick) before this phase's caller runs again, and the login phase must still see it.
      tlsSocket.on('error', (error) => {
        tlsErrors.push(error);
      });
      const onError = (error: Error) => settle({ error: errorText(error) });
      const onClose = () => settle({ closed: true });
      tlsSocket.once('secureConnect', () => settle({ ok: true }));
      tlsSocket.once('error', onError);
      tlsSocket.once('close', onClose);
      return () => {
        tlsSocket.removeListener('error', onError);
        tlsSocket.removeListener('close', onClose);
      };
    });
    report.timings_ms.handshake = Math.round(performance.now() - t0);
    if (secure) sockets.push(secure);

    // The chain: from the TLS layer when the handshake completed, else from the plaintext records.
    let chainDers: Buffer[] = [];
    if (handshake.ok && secure) {
      chainDers = peerChainDers(secure);
      report.chain_source = 'tls';
      const cipher = secure.getCipher();
      report.tls = { protocol: secure.getProtocol() ?? 'unknown', cipher: cipher.name, cipher_standard_name: cipher.standardName ?? null };
    } else if (reader.observation.server_certificates.length) {
      chainDers = reader.observation.server_certificates;
      report.chain_source = 'handshake_records';
    }
    const chain = chainDers.map((der, i) => parseCertificateDer(der, `server certificate #${i + 1}`));
    report.chain = chain.map(chainEntry);

    if (!handshake.ok) {
      const version = reader.observation.version;
      if (handshake.timeout) {
        add('connection_dropped', 'error', 'handshake', `the server answered "S" but the TLS handshake did not finish within ${timeoutMs} ms (a stalled server or proxy)`);
      } else if (handshake.closed) {
        add('connection_dropped', 'error', 'handshake', `the server closed the connection during the TLS handshake${version ? ` (${version})` : ''}: its log says why`);
      } else {
        const text = handshake.error ?? 'TLS handshake failed';
        const alert = reader.observation.alert;
        const fallback: DiagnosisCode = alert?.name === 'protocol_version' ? 'tls_version_mismatch' : 'connection_dropped';
        const code = codeForText(text, fallback, options.client);
        add(code, 'error', 'handshake', `TLS handshake failed: ${text}${alert ? ` (server alert: ${alert.name})` : ''}`);
        if (sendCert && (code === 'client_cert_untrusted' || code === 'client_cert_expired' || code === 'cert_wrong_usage')) {
          report.client_certificate.accepted = false;
          report.client_certificate.server_answer = 'tls_alert';
          report.client_certificate.detail = text;
        }
      }
    }

    // ---- verification and host name
    progress('verifying the chain and the host name', 0.55);
    const leaf = chain[0];
    if (leaf) {
      const trust = trusted.length ? 'ca_file' : 'system_store';
      const caSource = trusted.length ? options.ca?.path ?? 'CA (pasted)' : null;
      if (handshake.ok && secure) {
        const codeName = secure.authorizationError ? String(secure.authorizationError) : null;
        const message = codeName ? VERIFY_MESSAGES[codeName] ?? codeName : null;
        report.verification = { trust, ca_source: caSource, verified: secure.authorized, error_code: codeName, error: message };
        if (!secure.authorized) {
          const code = (codeName ? VERIFY_CODES[codeName] : undefined) ?? codeForText(`${codeName ?? ''} ${message ?? ''}`, 'untrusted_server_ca', options.client);
          add(code, 'error', 'verify', `the server certificate does not verify against ${trusted.length ? `the CA in ${caSource}` : "Node's bundled public CAs (no CA given)"}: ${message}${codeName && codeName !== message ? ` (${codeName})` : ''}`);
        }
      } else if (trusted.length) {
        const result = verifyChain(leaf, chain.slice(1), trusted);
        report.verification = { trust, ca_source: caSource, verified: result.verified, error_code: null, error: result.error ?? null };
        if (!result.verified) add(codeForText(result.error ?? '', 'untrusted_server_ca', options.client), 'error', 'verify', `the server certificate does not verify against the CA in ${caSource}: ${result.error}`);
      } else {
        report.verification = { trust, ca_source: null, verified: null, error_code: null, error: 'the handshake did not complete, so the chain was not verified against the system store' };
      }
      if (leaf.notAfter.getTime() < Date.now() && !findings.some((f) => f.code === 'server_cert_expired')) {
        add('server_cert_expired', 'warning', 'verify', `the server certificate expired on ${leaf.info.not_after}`);
      }
      if (leaf.notBefore.getTime() > Date.now() && !findings.some((f) => f.code === 'cert_not_yet_valid')) {
        add('cert_not_yet_valid', 'warning', 'verify', `the server certificate is valid only from ${leaf.info.not_before}`);
      }
      const mismatch = checkHostname(name, leaf);
      report.hostname = { name, matches: mismatch === null, error: mismatch };
      if (mismatch) add('hostname_mismatch', 'error', 'hostname', `the server certificate does not cover ${name}: ${mismatch}`);
    }

    // ---- login: a StartupMessage, to see whether the client certificate (or its absence) is accepted
    if (handshake.ok && secure && remaining() > 0) {
      progress('sending a StartupMessage', 0.7);
      t0 = performance.now();
      const tlsSocket = secure;
      const user = loginUser;
      report.client_certificate.login_user = user;
      if (sendCert && report.tls?.protocol === 'TLSv1.3' && tlsErrors.length === 0) {
        // TLS 1.3: the server judges our certificate after our Finished and answers with an alert
        // about one round trip later. A StartupMessage sent before that lands on a closed socket,
        // the server resets the connection and the reset can swallow the alert: wait for it a
        // little (three TCP-connect round trips, 20–500 ms).
        const wait = Math.min(remaining(), Math.max(20, Math.min(500, 3 * (report.timings_ms.connect ?? 0) + 20)));
        await phase<void>(wait, signal, () => undefined, (settle) => {
          const onAny = () => settle();
          tlsSocket.once('error', onAny);
          tlsSocket.once('session', onAny);
          tlsSocket.once('close', onAny);
          return () => {
            tlsSocket.removeListener('error', onAny);
            tlsSocket.removeListener('session', onAny);
            tlsSocket.removeListener('close', onAny);
          };
        });
      }
      type LoginOutcome = { kind: 'auth'; auth: ReturnType<typeof parseAuthRequest> } | { kind: 'error'; text: string; sqlstate: string } | { kind: 'alert'; text: string } | { kind: 'closed' } | { kind: 'no_answer' } | { kind: 'garbage'; text: string };
      const login = await phase<LoginOutcome>(remaining(), signal, () => ({ kind: 'no_answer' }), (settle) => {
        let bytes: Buffer = Buffer.alloc(0);
        const onData = (chunk: Buffer) => {
          bytes = bytes.length ? Buffer.concat([bytes, chunk]) : chunk;
          try {
            const message = readBackendMessage(bytes);
            if (!message) return;
            if (message.type === 'R') settle({ kind: 'auth', auth: parseAuthRequest(message.body) });
            else if (message.type === 'E') {
              const error = parseErrorFields(message.body);
              settle({ kind: 'error', text: formatPgError(error), sqlstate: error.code });
            } else settle({ kind: 'garbage', text: `unexpected message ${JSON.stringify(message.type)}` });
          } catch (error) {
            settle({ kind: 'garbage', text: (error as Error).message });
          }
        };
        // A refused client certificate arrives as an alert ('error'), possibly with (or just after)
        // ECONNRESET: the server closed with our StartupMessage unread. The alert says why; prefer it.
        let grace: NodeJS.Timeout | undefined;
        const fromErrors = (): LoginOutcome => {
          const best = bestError(tlsErrors);
          return best ? { kind: 'alert', text: errorText(best) } : { kind: 'closed' };
        };
        const onError = () => {
          if (isTlsAlert(bestError(tlsErrors))) return settle(fromErrors());
          grace ??= setTimeout(() => settle(fromErrors()), Math.min(ALERT_GRACE_MS, remaining()));
        };
        const onClose = () => {
          if (tlsErrors.length && !isTlsAlert(bestError(tlsErrors))) return onError();
          settle(fromErrors());
        };
        const onEnd = () => setImmediate(onClose);
        if (tlsErrors.length || tlsSocket.destroyed) {
          onClose();
          return () => clearTimeout(grace);
        }
        tlsSocket.on('data', onData);
        tlsSocket.on('error', onError);
        tlsSocket.once('end', onEnd);
        tlsSocket.once('close', onClose);
        tlsSocket.write(startupMessage({ user, database: options.database ?? 'defaultdb', application_name: 'crdb-tls probe' }));
        return () => {
          clearTimeout(grace);
          tlsSocket.removeListener('data', onData);
          tlsSocket.removeListener('error', onError);
          tlsSocket.removeListener('end', onEnd);
          tlsSocket.removeListener('close', onClose);
        };
      });
      report.timings_ms.login = Math.round(performance.now() - t0);
      const cc = report.client_certificate;
      const severity: Finding['severity'] = sendCert ? 'error' : 'info';
      const withoutCert = sendCert ? '' : ' (no client certificate was given: pass cert and key to test yours)';
      switch (login.kind) {
        case 'auth':
          if (login.auth === 'ok') {
            cc.server_answer = 'authenticated';
            cc.accepted = sendCert ? true : null;
            cc.detail = `logged in as ${user}`;
          } else if (login.auth === 'cleartext_password' || login.auth === 'md5_password' || login.auth === 'sasl') {
            cc.server_answer = 'password_requested';
            cc.detail = `the server asks ${user} for a password (${login.auth})${sendCert ? ': it did not use the client certificate to log in (HBA method password / cert-password fallback)' : ''}`;
          } else {
            cc.server_answer = 'other_auth_requested';
            cc.detail = `the server asks for ${login.auth} authentication`;
          }
          tlsSocket.write(TERMINATE);
          break;
        case 'error': {
          cc.server_answer = 'error';
          cc.detail = login.text;
          if (login.sqlstate === '3D000') {
            // "database ... does not exist" comes after authentication: the login itself worked.
            cc.accepted = sendCert ? true : null;
            findings.push({ code: 'unknown', severity: 'info', phase: 'login', message: `logged in as ${user}, but ${login.text.split('\n')[0]} (pass database to pick one)`, fix_steps: [] });
            break;
          }
          const code = codeForText(login.text, 'unknown', options.client);
          if (sendCert && (code.startsWith('client_cert') || code === 'client_key_format')) cc.accepted = false;
          add(code, code === 'unknown' && sendCert ? 'warning' : severity, 'login', `the server refused the login of ${user}: ${login.text}${withoutCert}`);
          break;
        }
        case 'alert': {
          cc.server_answer = 'tls_alert';
          cc.detail = login.text;
          const code = codeForText(login.text, 'connection_dropped', options.client);
          if (sendCert) cc.accepted = false;
          add(code, 'error', 'login', `the server ended the TLS session after the handshake (TLS 1.3 reports a refused client certificate this way): ${login.text}`);
          break;
        }
        case 'closed':
          cc.server_answer = 'closed';
          add('connection_dropped', severity === 'info' ? 'warning' : 'error', 'login', `the server closed the connection after the TLS handshake without answering the StartupMessage${withoutCert}`);
          break;
        case 'no_answer':
          cc.server_answer = 'no_answer';
          add('connection_dropped', 'warning', 'login', `no answer to the StartupMessage within the time left of ${timeoutMs} ms`);
          break;
        case 'garbage':
          cc.server_answer = 'error';
          cc.detail = login.text;
          add('not_tls_endpoint', 'warning', 'login', `the answer to the StartupMessage is not pgwire: ${login.text}`);
          break;
      }
      tlsSocket.end();
    }

    // ---- the client-CA names of the CertificateRequest
    if (options.clientCaNames !== false && reader.observation.version) {
      progress('reading the client-CA names', 0.85);
      t0 = performance.now();
      report.client_ca_names = await clientCaNames(options, reader, remaining, servername, signal, sockets);
      report.timings_ms.client_ca_names = Math.round(performance.now() - t0);
    }
    progress('done', 1);
    return finalize();
  } catch (error) {
    for (const s of sockets) s.destroy();
    if (error instanceof Aborted) throw new ToolError('unavailable', `the probe of ${host}:${port} was cancelled`);
    throw error;
  }
}

type CaNames = NonNullable<ProbeReport['client_ca_names']>;

function fromReader(reader: TlsRecordReader, note: string | null): CaNames {
  const request = reader.observation.certificate_request;
  return {
    source: 'handshake_records',
    protocol: reader.observation.version,
    requested_client_certificate: request !== null,
    names: request?.authorities ?? [],
    note: request ? note : `the server did not ask for a client certificate in the ${reader.observation.version} handshake`,
  };
}

async function clientCaNames(options: ProbeOptions, mainReader: TlsRecordReader, remaining: () => number, servername: string | null, signal: AbortSignal | undefined, sockets: net.Socket[]): Promise<CaNames> {
  if (!mainReader.observation.tls13 && mainReader.observation.server_hello_done) return fromReader(mainReader, null);
  if (!mainReader.observation.tls13) {
    return { source: 'none', protocol: mainReader.observation.version, requested_client_certificate: null, names: [], note: `the handshake records ended early (${mainReader.observation.stopped ?? 'incomplete'})` };
  }
  if (remaining() < MIN_OPTIONAL_PHASE_MS) return { source: 'none', protocol: 'TLSv1.3', requested_client_certificate: null, names: [], note: 'not read: the time budget was used up' };

  // TLS 1.3 hides the CertificateRequest: a second handshake, capped at TLS 1.2, stopped at ServerHelloDone.
  const reader = new TlsRecordReader();
  const outcome = await phase<'done' | 'failed' | 'timeout'>(remaining(), signal, () => 'timeout', (settle) => {
    const socket = net.connect({ host: options.host, port: options.port });
    sockets.push(socket);
    socket.on('error', () => settle('failed'));
    let tlsSocket: tls.TLSSocket | undefined;
    socket.once('connect', () => socket.write(SSL_REQUEST));
    socket.once('data', (chunk: Buffer) => {
      if (chunk[0] !== 0x53 || chunk.length !== 1) return settle('failed');
      socket.pause();
      const tee = new TeeSocket(socket, (bytes) => {
        reader.push(bytes);
        if (reader.done) settle('done');
      });
      tee.on('error', () => settle(reader.done ? 'done' : 'failed'));
      tlsSocket = tls.connect({ socket: tee, rejectUnauthorized: false, checkServerIdentity: () => undefined, maxVersion: 'TLSv1.2', ...(servername ? { servername } : {}) });
      tlsSocket.on('error', () => settle(reader.done ? 'done' : 'failed'));
      tlsSocket.once('secureConnect', () => settle('done'));
      tlsSocket.once('close', () => settle(reader.done ? 'done' : 'failed'));
    });
    return () => {
      tlsSocket?.destroy();
      socket.destroy();
    };
  });
  if (outcome === 'done' && reader.observation.version === 'TLSv1.2' && reader.observation.server_hello_done) {
    return fromReader(reader, 'read from a second handshake capped at TLS 1.2 (the main one negotiated TLS 1.3, which encrypts the CertificateRequest)');
  }
  const refused = reader.observation.alert?.name === 'protocol_version' || reader.observation.alert?.name === 'handshake_failure';
  const opensslBinary = options.openssl === undefined ? findOnPath('openssl') : options.openssl;
  if (opensslBinary && remaining() >= MIN_OPTIONAL_PHASE_MS) {
    const names = await opensslCaNames(opensslBinary, options.host, options.port, servername, remaining(), signal);
    if (names) {
      return {
        source: 'openssl',
        protocol: names.protocol,
        requested_client_certificate: names.requested,
        names: names.names,
        note: `${refused ? 'the server refuses TLS 1.2' : 'the TLS 1.2 handshake could not be read'}; read with openssl s_client -starttls postgres`,
      };
    }
  }
  return {
    source: 'none',
    protocol: 'TLSv1.3',
    requested_client_certificate: null,
    names: [],
    note: `${refused ? 'the server refuses TLS 1.2' : outcome === 'timeout' ? 'no TLS 1.2 handshake within the time budget' : 'the TLS 1.2 handshake failed'} and TLS 1.3 encrypts the CertificateRequest${opensslBinary ? '' : '; install openssl to read the names through openssl s_client'}`,
  };
}

function opensslCaNames(binary: string, host: string, port: number, servername: string | null, timeoutMs: number, signal: AbortSignal | undefined): Promise<OpensslNames | null> {
  const connect = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const args = ['s_client', '-starttls', 'postgres', '-connect', connect, ...(servername ? ['-servername', servername] : ['-noservername'])];
  return new Promise((resolve) => {
    const child = execFile(binary, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1_048_576, ...(signal ? { signal } : {}) }, (error, stdout) => {
      const parsed = parseOpensslCaNames(stdout);
      resolve(parsed.requested || parsed.names.length || !error ? parsed : null);
    });
    child.stdin?.end();
  });
}

function summarize(report: ProbeReport): string {
  const target = `${report.target.host}:${report.target.port}`;
  if (report.ok) {
    const cert = report.client_certificate;
    return `${target}: ${report.tls?.protocol} ${report.tls?.cipher}, chain verified, host name matches${cert.accepted ? `, client certificate accepted (logged in as ${cert.login_user})` : ''}`;
  }
  const first = report.findings.find((f) => f.severity === 'error');
  return `${target}: ${first ? `${first.code}: ${first.message}` : 'TLS could not be checked'}`;
}

/** The probe as a person reads it (CLI, Slack). */
export function renderProbe(report: ProbeReport): string {
  const lines: string[] = [];
  lines.push(`${report.ok ? 'OK' : 'FAULT'}  ${report.summary}`);
  const p = report.pgwire;
  lines.push(`pgwire SSLRequest: ${p.answer === 'S' ? 'S (TLS offered)' : p.answer === 'N' ? 'N (no TLS)' : p.answer}${p.detail ? ` — ${p.detail}` : ''}`);
  if (report.tls) lines.push(`TLS: ${report.tls.protocol}, ${report.tls.cipher}${report.target.servername ? `, SNI ${report.target.servername}` : ', no SNI (IP address)'}`);
  if (report.chain.length) {
    lines.push(`chain (${report.chain_source === 'tls' ? 'as presented' : 'from the handshake records'}):`);
    for (const c of report.chain) {
      const sans = [...c.sans.dns.map((d) => `DNS:${d}`), ...c.sans.ip.map((i) => `IP:${i}`)].join(', ');
      lines.push(`  ${c.position}: ${c.subject}`);
      lines.push(`     issuer ${c.issuer}; valid ${c.not_before} → ${c.not_after} (${c.days_left} days left)${sans ? `; SANs ${sans}` : ''}`);
      lines.push(`     SHA-256 ${c.sha256_fingerprint}`);
    }
  }
  if (report.verification) {
    const v = report.verification;
    const against = v.trust === 'ca_file' ? `CA ${v.ca_source}` : "Node's bundled public CAs";
    lines.push(`verification against ${against}: ${v.verified === null ? 'not checked' : v.verified ? 'OK' : `FAILED (${v.error})`}`);
  }
  if (report.hostname) lines.push(`host name ${report.hostname.name}: ${report.hostname.matches ? 'matches' : `does NOT match (${report.hostname.error})`}`);
  const cc = report.client_certificate;
  if (cc.server_answer !== 'not_tried' || cc.sent) {
    const verdict = cc.accepted === true ? 'accepted' : cc.accepted === false ? 'REFUSED' : cc.sent ? 'not decided' : 'none sent';
    lines.push(`client certificate: ${verdict}${cc.subject ? ` (${cc.subject})` : ''}${cc.login_user ? `; login as ${cc.login_user}: ${cc.server_answer}` : ''}${cc.detail ? ` — ${cc.detail.split('\n')[0]}` : ''}`);
  }
  if (report.client_ca_names) {
    const n = report.client_ca_names;
    const source = n.source === 'handshake_records' ? 'from the TLS 1.2 handshake records' : n.source === 'openssl' ? 'from openssl s_client' : 'not read';
    lines.push(`client-CA names the server accepts (${source}${n.protocol ? `, ${n.protocol}` : ''}): ${n.names.length ? n.names.join('; ') : n.requested_client_certificate === false ? 'the server did not ask for a client certificate' : '—'}${n.note ? ` (${n.note})` : ''}`);
  }
  const shown = report.findings.filter((f) => f.code !== 'unknown' || f.severity !== 'info');
  if (shown.length) {
    lines.push('', 'findings:');
    for (const f of shown) lines.push(`  [${f.severity}] ${f.code}: ${f.message}`);
  }
  const first = report.findings.find((f) => f.severity === 'error' && f.fix_steps.length);
  if (first) {
    lines.push('', `how to fix ${first.code}:`);
    for (const s of first.fix_steps) {
      lines.push(`  ${s.step}. ${s.action}`);
      if (s.command) lines.push(`     $ ${s.command}`);
    }
  }
  lines.push('', `time: ${report.timings_ms.total} ms (timeout ${report.timeout_ms} ms)`);
  return lines.join('\n');
}
