import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import { ToolError } from '../core/errors.js';
import { diagnose } from '../diagnose/index.js';
import { wellFormed } from '../core/unicode.js';
import { pgTarget, type PgTarget } from './pg-target.js';

import { LoginReport } from './login-report.js';
import { readTlsFile, redactedUrl, refuseCaKeyAsClient, resolveSettings, scrub, SettingsError, type LoginDeps, type LoginInput } from './login-settings.js';

/**
 * test_connection: a real login with node-postgres (`pg`, loaded only when a login runs, so the MCP
 * server's cold start does not pay for it), with the TLS settings read the way libpq reads them,
 * then `SELECT version()`. On failure the driver's own error text goes through diagnose_error.
 * The password is taken from the connection string, or from PGPASSWORD / ~/.pgpass for a host the
 * password policy allows (pg-target.ts), and never appears in the result: the settings are shown
 * redacted and every string of the result is scrubbed. The target passes the network policy first.
 */

export const DEFAULT_LOGIN_TIMEOUT_MS = 10_000;

function errorTextOf(error: unknown): { text: string; driverCode: string | null } {
  const e = error as Error & { code?: string; severity?: string; detail?: string; hint?: string };
  if (e && typeof e.severity === 'string') {
    const lines = [`${e.severity}:  ${e.message}${e.code ? ` (SQLSTATE ${e.code})` : ''}`];
    if (e.detail) lines.push(`DETAIL:  ${e.detail}`);
    if (e.hint) lines.push(`HINT:  ${e.hint}`);
    return { text: lines.join('\n'), driverCode: e.code ?? null };
  }
  const message = e?.message ?? String(error);
  return { text: e?.code ? `Error: ${message} { code: '${e.code}' }` : `Error: ${message}`, driverCode: e?.code ?? null };
}

export async function testConnection(input: LoginInput, deps: LoginDeps): Promise<LoginReport> {
  const started = performance.now();
  const timeoutMs = input.timeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
  const r = await resolveSettings(input, deps);
  // A refused target is a structured error before anything is read or sent; a name that does not resolve is the login's failure.
  let target: PgTarget | undefined;
  let unresolved: unknown;
  try {
    target = await pgTarget({ host: r.host, port: r.port, user: r.user, database: r.database, sslmode: r.sslmode, given: r.password, network: deps.network, passwordHosts: deps.passwordHosts, ...(deps.env ? { env: deps.env } : {}) });
    r.notes.push(...target.notes);
  } catch (error) {
    if (error instanceof ToolError) throw error;
    unresolved = error;
  }
  const environmentPassword = (deps.env ?? process.env).PGPASSWORD;
  const secrets = [r.password, environmentPassword].filter((s): s is string => !!s && s.length >= 3).flatMap((s) => [s, encodeURIComponent(wellFormed(s))]);
  const warnings: string[] = [];
  const verification = r.sslmode === 'verify-full' ? 'chain_and_host' : r.sslmode === 'verify-ca' || (r.sslmode === 'require' && r.ca) ? 'chain' : 'none';
  const report: LoginReport = {
    ok: false,
    code: null,
    summary: '',
    server_version: null,
    current_user: null,
    tls: null,
    settings: {
      redacted: redactedUrl(r),
      host: r.host,
      port: r.port,
      user: r.user,
      database: r.database,
      sslmode: r.sslmode,
      server_verification: r.sslmode === 'disable' ? 'none' : verification,
      ca: r.caSystem ? 'system' : r.ca,
      cert: r.cert,
      key: r.key,
      has_password: target ? target.passwordSource !== 'none' : Boolean(r.password),
      notes: r.notes,
    },
    error: null,
    diagnosis: null,
    warnings,
    elapsed_ms: 0,
  };

  const fail = (text: string, driverCode: string | null, origin: 'driver' | 'settings') => {
    report.error = { message: text, driver_code: driverCode, origin };
    const d = diagnose({ error_text: text, client: input.client ?? 'libpq', connection_string: report.settings.redacted });
    report.code = d.code;
    report.diagnosis = {
      code: d.code,
      title: d.title,
      confidence: d.confidence,
      explanation: d.explanation,
      evidence: d.evidence,
      causes: d.causes,
      fix_steps: d.fix_steps,
      alternatives: d.alternatives.map((a) => ({ code: a.code, confidence: a.confidence })),
    };
  };

  const finish = (): LoginReport => {
    report.elapsed_ms = Math.round(performance.now() - started);
    report.summary = report.ok
      ? `logged in to ${r.host}:${r.port} as ${report.current_user}${report.tls ? ` over ${report.tls.protocol}` : ' WITHOUT TLS'}: ${report.server_version}`
      : `login to ${r.host}:${r.port} as ${r.user} failed: ${report.code} — ${report.error?.message.split('\n')[0]}`;
    return scrub(report, secrets);
  };

  if (!target) {
    const { text, driverCode } = errorTextOf(unresolved);
    fail(text, driverCode, 'driver');
    return finish();
  }

  // ---- the TLS material, read like libpq reads it
  let ssl: false | ConnectionOptions = false;
  try {
    if (r.sslmode !== 'disable') {
      const options: ConnectionOptions = { rejectUnauthorized: verification !== 'none' };
      if (verification === 'chain') options.checkServerIdentity = () => undefined;
      if (target.servername) options.servername = target.servername;
      if (r.ca && verification !== 'none') options.ca = (await readTlsFile(r.ca, 'ca')).toString('utf8');
      if (r.cert && r.key) {
        const cert = await readTlsFile(r.cert, 'cert');
        const key = await readTlsFile(r.key, 'key');
        try {
          crypto.createPrivateKey(key);
        } catch (error) {
          throw new SettingsError(`could not load private key file "${r.key}": ${(error as Error).message}`);
        }
        refuseCaKeyAsClient(cert, key, r.ca && verification !== 'none' ? Buffer.from(options.ca as string) : undefined);
        const stat = await fs.stat(r.key);
        if ((stat.mode & 0o077) !== 0 && !(stat.uid === 0 && (stat.mode & 0o037) === 0)) {
          warnings.push(`private key file "${r.key}" has group or world access (mode ${(stat.mode & 0o777).toString(8)}): libpq (psql, psycopg) refuses it; node-postgres does not check. chmod 600 it.`);
        }
        options.cert = cert.toString('utf8');
        options.key = key.toString('utf8');
      }
      ssl = options;
    }
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    fail(error.message, null, 'settings');
    return finish();
  }

  // ---- the login
  deps.progress?.(`logging in to ${r.host}:${r.port} as ${r.user}`, 0.2);
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    host: target.dialHost,
    port: r.port,
    user: r.user,
    database: r.database,
    // A function: pg calls it only when the server asks, and never reads PGPASSWORD or ~/.pgpass itself.
    password: target.password,
    ssl,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'crdb-tls test-connection',
  });
  client.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`timeout expired: no login within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    onAbort = () => reject(new ToolError('cancelled', `the login to ${r.host}:${r.port} was cancelled`));
    deps.signal?.addEventListener('abort', onAbort, { once: true });
    if (deps.signal?.aborted) onAbort();
  });
  stop.catch(() => {});
  try {
    await Promise.race([client.connect(), stop]);
    deps.progress?.('connected; SELECT version()', 0.7);
    const result = await Promise.race([client.query<{ version: string; current_user: string }>('SELECT version() AS version, current_user AS current_user'), stop]);
    report.ok = true;
    report.server_version = result.rows[0]?.version ?? null;
    report.current_user = result.rows[0]?.current_user ?? null;
    const stream = (client as unknown as { connection?: { stream?: { getProtocol?: () => string | null; getCipher?: () => { name: string } } } }).connection?.stream;
    if (stream?.getProtocol) report.tls = { protocol: stream.getProtocol() ?? 'unknown', cipher: stream.getCipher?.().name ?? 'unknown' };
  } catch (error) {
    if (error instanceof ToolError) throw error;
    const { text, driverCode } = errorTextOf(error);
    fail(text, driverCode, 'driver');
  } finally {
    clearTimeout(timer);
    if (onAbort) deps.signal?.removeEventListener('abort', onAbort);
    const ending = client.end().catch(() => {});
    // A stalled server never answers Terminate: do not wait for it.
    await Promise.race([ending, new Promise((resolve) => setTimeout(resolve, 500).unref())]);
    (client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream?.destroy?.();
  }
  return finish();
}

