// probe_server against a real TLS PostgreSQL (the stand-in for a CockroachDB node's pgwire port)
// and against loopback servers that play what PostgreSQL cannot: an HTTP port, a closed port, a
// port that never answers, one that answers "S" and stalls, a TLS 1.0/1.1-only server. Every
// scenario checks what is reported (pgwire answer, chain, verification, host name, client
// certificate, diagnosis code) against facts known independently of the probe (the files we
// issued, OpenSSL's own output), and that the answer came within the timeout (+1 s margin: the
// correctness bound of "answers within the timeout", not a performance threshold).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { findTool } from '../../tools/catalog.js';
import { createRuntime, type Runtime } from '../../src/core/runtime.js';
import type { ToolContext } from '../../src/core/tool.js';
import { parseOpensslCaNames, type ProbeReport } from '../../src/net/probe.js';
import { createRoles, startTlsPostgres, type TlsPostgres } from '../support/postgres.js';
import { requireSystemTool } from '../support/system-tools.js';
import { closedPort, makeFaultPki, startClosingListener, startHttpListener, startOldTlsServer, startSilentListener, startStallAfterSListener, type FaultPki, type FaultServer, type Pair } from '../support/tls-faults.js';

let pki: FaultPki;
let server: TlsPostgres;
let runtime: Runtime;

/** The CA's subject in the probe's `O=..., CN=...` form, from Node's own parse of the file. */
const subjectOf = (file: string) => new crypto.X509Certificate(fs.readFileSync(file)).subject.split('\n').join(', ');
const sha256Of = (file: string) => new crypto.X509Certificate(fs.readFileSync(file)).fingerprint256;

/** probe_server through the runner, as every face calls it; returns the report and the wall time. */
async function probe(input: Record<string, unknown>, signal?: AbortSignal): Promise<{ report: ProbeReport; ms: number; text: string }> {
  const tool = findTool('probe_server');
  assert.ok(tool, 'probe_server is not in the catalog');
  const ctx: ToolContext = { config: runtime.config, paths: runtime.paths, log: runtime.log, store: runtime.runner.store, requester: 'test', ...(signal ? { signal } : {}) };
  const started = performance.now();
  const outcome = await runtime.runner.run(tool, { host: '127.0.0.1', ...input }, ctx);
  const ms = performance.now() - started;
  assert.ok(outcome.ok, `probe_server failed: ${JSON.stringify(!outcome.ok && outcome.error)}`);
  return { report: outcome.output as unknown as ProbeReport, ms, text: outcome.text };
}

/**
 * A hang guard for probes that end by their own timeout (no wall-time threshold: the answer says how
 * the probe ended — "unreachable", "closed", "other" come before any timeout, "no_answer" and a
 * handshake-phase error only from it). How fast a probe answers is `npm run bench`'s business.
 */
const HANG_GUARD = { timeout: 60_000 };

/** Serves another certificate: PostgreSQL re-reads server.crt/server.key on reload. */
function serve(pair: Pair) {
  fs.copyFileSync(pair.crt, path.join(server.dataDir, 'server.crt'));
  fs.copyFileSync(pair.key, path.join(server.dataDir, 'server.key'));
  server.reload();
}

/** Appends settings to postgresql.conf (a later line wins) and reloads. */
function configure(lines: string[], hba?: string) {
  fs.appendFileSync(path.join(server.dataDir, 'postgresql.conf'), `\n${lines.join('\n')}\n`);
  if (hba !== undefined) fs.writeFileSync(path.join(server.dataDir, 'pg_hba.conf'), `local all all trust\n${hba}\n`);
  server.reload();
}

before(async () => {
  pki = await makeFaultPki();
  server = await startTlsPostgres({ serverCert: pki.node.crt, serverKey: pki.node.key, ca: pki.ca });
  await createRoles(server, ['alice']);
  runtime = await createRuntime('cli', { CRDB_TLS_STATE_DIR: path.join(pki.dir, 'state'), CRDB_TLS_ROOTS: pki.dir }, pino({ level: 'silent' }));
});

after(async () => {
  await server?.stop();
  await runtime?.close();
  pki?.dispose();
});

describe('probe_server against a TLS PostgreSQL with a good chain', () => {
  test('reports S, TLS 1.3, the chain we issued, a verified chain, a matching host name and an accepted client certificate', async () => {
    const { report } = await probe({ port: server.port, ca: pki.ca, cert: pki.root.crt, key: pki.root.key, database: 'postgres' });
    assert.equal(report.pgwire.answer, 'S');
    assert.equal(report.tls?.protocol, 'TLSv1.3');
    assert.equal(report.chain[0]?.sha256_fingerprint, sha256Of(pki.node.crt));
    assert.deepEqual(report.chain[0]?.sans.ip, ['127.0.0.1']);
    assert.equal(report.chain[0]?.issuer, subjectOf(pki.ca));
    assert.equal(report.verification?.verified, true);
    assert.equal(report.hostname?.matches, true);
    assert.equal(report.client_certificate.accepted, true);
    assert.equal(report.client_certificate.login_user, 'root');
    assert.equal(report.ok, true);
    assert.equal(report.code, null);
    assert.deepEqual(report.findings.filter((f) => f.severity === 'error'), []);
  });

  test('lists the client-CA names of the TLS 1.2 CertificateRequest: the cluster CA, read from the handshake records', async () => {
    const { report } = await probe({ port: server.port, ca: pki.ca });
    assert.equal(report.client_ca_names?.source, 'handshake_records');
    assert.equal(report.client_ca_names?.protocol, 'TLSv1.2');
    assert.deepEqual(report.client_ca_names?.names, [subjectOf(pki.ca)]);
  });

  test('the client-CA names match what openssl s_client -starttls postgres prints', async (t) => {
    const openssl = requireSystemTool(t, 'openssl');
    if (!openssl) return;
    const out = spawnSync(openssl, ['s_client', '-starttls', 'postgres', '-connect', `127.0.0.1:${server.port}`, '-tls1_2'], { input: '', encoding: 'utf8', timeout: 10_000 });
    const fromOpenssl = parseOpensslCaNames(out.stdout);
    assert.ok(fromOpenssl.names.length > 0, `openssl printed no CA names:\n${out.stdout}`);
    const { report } = await probe({ port: server.port, ca: pki.ca });
    assert.deepEqual(report.client_ca_names?.names, fromOpenssl.names);
  });

  test('a client certificate for alice is refused when logging in as root: client_cert_user_mismatch', async () => {
    const { report } = await probe({ port: server.port, ca: pki.ca, cert: pki.alice.crt, key: pki.alice.key, user: 'root' });
    assert.equal(report.verification?.verified, true);
    assert.equal(report.client_certificate.accepted, false);
    assert.equal(report.code, 'client_cert_user_mismatch');
    assert.match(report.client_certificate.detail ?? '', /certificate authentication failed for user "root"/);
  });

  test('a client certificate from another CA is refused after the TLS 1.3 handshake: client_cert_untrusted', async () => {
    const { report } = await probe({ port: server.port, ca: pki.ca, cert: pki.rootOtherCa.crt, key: pki.rootOtherCa.key });
    assert.equal(report.tls?.protocol, 'TLSv1.3');
    assert.equal(report.client_certificate.server_answer, 'tls_alert');
    assert.equal(report.client_certificate.accepted, false);
    assert.equal(report.code, 'client_cert_untrusted');
    assert.ok(report.findings.some((f) => f.code === 'client_cert_untrusted' && f.fix_steps.length > 0), 'the finding carries fix steps');
  });

  test('a missing CA file is a ca_file_missing finding and the chain is checked against the public CAs instead', async () => {
    const { report } = await probe({ port: server.port, ca: path.join(pki.dir, 'nope', 'ca.crt') });
    assert.equal(report.code, 'ca_file_missing');
    assert.equal(report.verification?.trust, 'system_store');
    assert.equal(report.verification?.verified, false);
  });
});

describe('probe_server finds a server certificate fault', () => {
  after(() => serve(pki.node));

  test('a CA the server certificate does not chain to: untrusted_server_ca, with the chain still shown', async () => {
    const { report } = await probe({ port: server.port, ca: pki.otherCa });
    assert.equal(report.code, 'untrusted_server_ca');
    assert.equal(report.verification?.verified, false);
    assert.equal(report.chain[0]?.sha256_fingerprint, sha256Of(pki.node.crt));
    assert.equal(report.ok, false);
  });

  test('a certificate for db.example.invalid dialled as 127.0.0.1: hostname_mismatch while the chain verifies', async () => {
    serve(pki.nodeWrongHost);
    const { report } = await probe({ port: server.port, ca: pki.ca });
    assert.equal(report.verification?.verified, true);
    assert.equal(report.hostname?.matches, false);
    assert.equal(report.code, 'hostname_mismatch');
    assert.deepEqual(report.chain[0]?.sans.dns, ['db.example.invalid']);
  });

  test('an expired server certificate: server_cert_expired (CERT_HAS_EXPIRED)', async () => {
    serve(pki.nodeExpired);
    const { report } = await probe({ port: server.port, ca: pki.ca });
    assert.equal(report.code, 'server_cert_expired');
    assert.equal(report.verification?.error_code, 'CERT_HAS_EXPIRED');
    assert.ok(report.chain[0]!.days_left < 0);
  });

  test('a server certificate valid only from next month: cert_not_yet_valid', async () => {
    serve(pki.nodeNotYetValid);
    const { report } = await probe({ port: server.port, ca: pki.ca });
    assert.equal(report.code, 'cert_not_yet_valid');
    assert.equal(report.verification?.error_code, 'CERT_NOT_YET_VALID');
  });
});

describe('probe_server against a TLS PostgreSQL limited to one protocol version', () => {
  after(() => configure(["ssl_min_protocol_version = 'TLSv1.2'", "ssl_max_protocol_version = ''"]));

  test('TLS 1.2 only: the names come from the main handshake, and a client certificate from another CA fails inside it', async () => {
    configure(["ssl_max_protocol_version = 'TLSv1.2'"]);
    const { report } = await probe({ port: server.port, ca: pki.ca, cert: pki.rootOtherCa.crt, key: pki.rootOtherCa.key });
    assert.equal(report.code, 'client_cert_untrusted');
    assert.equal(report.tls, null, 'the handshake did not complete');
    assert.equal(report.chain_source, 'handshake_records');
    assert.equal(report.chain[0]?.sha256_fingerprint, sha256Of(pki.node.crt));
    assert.equal(report.verification?.verified, true, 'the chain read from the records verifies against the CA');
    assert.deepEqual(report.client_ca_names?.names, [subjectOf(pki.ca)]);
    assert.equal(report.client_ca_names?.protocol, 'TLSv1.2');
  });

  test('TLS 1.3 only: the server refuses TLS 1.2, so the names are read with openssl s_client and the report says so', async (t) => {
    if (!requireSystemTool(t, 'openssl')) return;
    configure(["ssl_max_protocol_version = ''", "ssl_min_protocol_version = 'TLSv1.3'"]);
    const { report } = await probe({ port: server.port, ca: pki.ca });
    assert.equal(report.ok, true);
    assert.equal(report.client_ca_names?.source, 'openssl');
    assert.deepEqual(report.client_ca_names?.names, [subjectOf(pki.ca)]);
    assert.match(report.client_ca_names?.note ?? '', /refuses TLS 1\.2/);
  });
});

describe('probe_server against what is not a TLS pgwire server', () => {
  const servers: FaultServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });

  test('an HTTP listener: not pgwire (answer "other", classified as HTTP, its bytes not shown), not_tls_endpoint', async () => {
    const http = await startHttpListener();
    servers.push(http);
    const { report, text } = await probe({ port: http.port, timeout_ms: 3_000 });
    assert.equal(report.pgwire.answer, 'other');
    assert.equal(report.pgwire.speaks_pgwire, false);
    assert.match(report.pgwire.detail ?? '', /HTTP response \(\d+\+? byte\(s\), not shown\)/);
    // The banner is "HTTP/1.1 400 Bad Request"; match its words, not a bare "400" that a random port can contain.
    assert.doesNotMatch(JSON.stringify(report) + text, /HTTP\/1\.[01] \d{3}|Bad Request/);
    assert.equal(report.code, 'not_tls_endpoint');
  });

  test('a closed port: unreachable, connection_dropped, at once', async () => {
    const port = await closedPort();
    const { report } = await probe({ port, timeout_ms: 3_000 });
    assert.equal(report.pgwire.answer, 'unreachable');
    assert.match(report.pgwire.detail ?? '', /ECONNREFUSED/);
    assert.equal(report.code, 'connection_dropped');
  });

  test('a port that accepts and closes: closed, connection_dropped', async () => {
    const closing = await startClosingListener();
    servers.push(closing);
    const { report } = await probe({ port: closing.port, timeout_ms: 3_000 });
    assert.equal(report.pgwire.answer, 'closed');
    assert.equal(report.code, 'connection_dropped');
  });

  test('a listener that accepts and never writes: no_answer, connection_dropped, answered within the 1.5 s timeout', HANG_GUARD, async () => {
    const silent = await startSilentListener();
    servers.push(silent);
    const { report, ms } = await probe({ port: silent.port, timeout_ms: 1_500 });
    // A lower bound load cannot break (timers never fire early): it waited for its timeout.
    assert.ok(ms >= 1_400, `gave up after ${Math.round(ms)} ms, before the timeout`);
    assert.equal(report.pgwire.answer, 'no_answer');
    assert.equal(report.code, 'connection_dropped');
  });

  test('a listener that answers "S" and stalls: the handshake phase times out, connection_dropped, within the 1.5 s timeout', HANG_GUARD, async () => {
    const stall = await startStallAfterSListener();
    servers.push(stall);
    const { report } = await probe({ port: stall.port, timeout_ms: 1_500 });
    assert.equal(report.pgwire.answer, 'S');
    assert.equal(report.tls, null);
    assert.equal(report.code, 'connection_dropped');
    assert.equal(report.findings.find((f) => f.severity === 'error')?.phase, 'handshake');
  });

  test('the default timeout is 5 s: a silent listener is answered within it', HANG_GUARD, async () => {
    const silent = await startSilentListener();
    servers.push(silent);
    const { report } = await probe({ port: silent.port });
    assert.equal(report.timeout_ms, 5_000);
    assert.equal(report.pgwire.answer, 'no_answer');
  });

  test('a server that speaks only TLS 1.0/1.1: tls_version_mismatch', async () => {
    const old = await startOldTlsServer(pki.node);
    servers.push(old);
    const { report } = await probe({ port: old.port, timeout_ms: 3_000 });
    assert.equal(report.pgwire.answer, 'S');
    assert.equal(report.code, 'tls_version_mismatch');
  });

  test('cancelling (AbortSignal) ends a probe of a silent listener at once', { timeout: 30_000 }, async () => {
    const silent = await startSilentListener();
    servers.push(silent);
    const controller = new AbortController();
    const tool = findTool('probe_server')!;
    // The probe's own timeout (60 s) outlasts the test's hang guard (30 s): only the abort can end it.
    const call = runtime.runner.run(tool, { host: '127.0.0.1', port: silent.port, timeout_ms: 60_000 }, { config: runtime.config, paths: runtime.paths, log: runtime.log, store: runtime.runner.store, requester: 'test', signal: controller.signal });
    for (let i = 0; i < 400 && silent.open() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.ok(silent.open() > 0, 'the probe connected to the silent listener');
    controller.abort();
    const outcome = await call;
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.error.code, 'cancelled');
    assert.match(!outcome.ok ? outcome.error.message : '', /cancelled/);
    for (let i = 0; i < 40 && silent.open() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.equal(silent.open(), 0, 'the probe closed its connection');
  });
});

describe('probe_server against a server without TLS', () => {
  test('PostgreSQL with ssl=off answers "N": server_tls_disabled', async () => {
    configure(['ssl = off'], 'host all all 127.0.0.1/32 trust');
    const { report } = await probe({ port: server.port, ca: pki.ca });
    assert.equal(report.pgwire.answer, 'N');
    assert.equal(report.pgwire.tls_offered, false);
    assert.equal(report.tls, null);
    assert.equal(report.code, 'server_tls_disabled');
  });
});
