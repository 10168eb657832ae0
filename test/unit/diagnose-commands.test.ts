// Every shell command diagnose_error prints must run as printed: one complete command for bash
// (`bash -n`), no <placeholder> (a shell redirection when pasted), values quoted, and a reissued
// node certificate keeps every name of the certificate it replaces. Checked over every text we
// have: the real-client corpus (each text alone, its server log alone, and both together), the
// reference cases and the message catalog; plus the cases of
// issue 16 one by one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CATALOGS } from '../../src/diagnose/catalog/index.js';
import { diagnose, type DiagnoseEnvironment } from '../../src/diagnose/engine.js';
import type { Diagnosis, DiagnoseInput } from '../../src/diagnose/schema.js';

const CORPUS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'corpus');

function texts(): string[] {
  const out: string[] = [];
  for (const file of fs.readdirSync(path.join(CORPUS, 'clients'))) {
    const body = JSON.parse(fs.readFileSync(path.join(CORPUS, 'clients', file), 'utf8')) as { entries: Array<{ text: string; server_log?: string[] }> };
    for (const e of body.entries) {
      out.push(e.text);
      // What the server logged for the same attempt, alone and pasted with the client's text.
      if (e.server_log?.length) out.push(e.server_log.join('\n'), `${e.text}\n${e.server_log.join('\n')}`);
    }
  }
  const reference = JSON.parse(fs.readFileSync(path.join(CORPUS, 'reference', 'diagnose-cases.json'), 'utf8')) as { cases: Array<{ text: string }> };
  for (const c of reference.cases) out.push(c.text);
  for (const file of CATALOGS) for (const m of file.messages) out.push(m.example ?? m.message);
  return out;
}

function commandsOf(d: Diagnosis): string[] {
  return [...d.fix_steps.map((s) => s.command), ...d.causes.map((c) => c.command)].filter((c): c is string => typeof c === 'string');
}

const PLACEHOLDER = /<[A-Za-z][^<>]*>/;
const parsed = new Map<string, string | null>();
/** null when bash parses it as one complete command, else bash's complaint. */
function bashProblem(command: string): string | null {
  if (!parsed.has(command)) {
    const r = spawnSync('bash', ['-n', '-c', command], { encoding: 'utf8' });
    parsed.set(command, r.status === 0 ? null : (r.stderr.trim() || `exit ${r.status}`));
  }
  return parsed.get(command)!;
}

/** The node-certificate reissue commands keep every name the text lists, or read them from the certificate. */
function reissueProblem(d: Diagnosis, command: string): string | null {
  if (!command.includes('crdb-tls cert create-node')) return null;
  if (command.includes('-ext subjectAltName')) return null;
  const missing = d.facts.certificate_names.filter((name) => !command.split(/\s+/).some((word) => word === name || word === `'${name}'`));
  return missing.length ? `drops ${missing.join(', ')}` : null;
}

function problems(input: DiagnoseInput, environment: DiagnoseEnvironment = {}): string[] {
  const d = diagnose(input, environment);
  const found: string[] = [];
  for (const command of commandsOf(d)) {
    if (command.includes('\n')) found.push(`${command}: spans lines`);
    if (PLACEHOLDER.test(command)) found.push(`${command}: a <placeholder>`);
    const bash = bashProblem(command);
    if (bash) found.push(`${command}: bash -n: ${bash}`);
    const reissue = reissueProblem(d, command);
    if (reissue) found.push(`${command}: ${reissue}`);
  }
  const prose = [d.explanation, ...d.causes.flatMap((c) => [c.cause, c.confirm]), ...d.fix_steps.map((s) => s.action), ...d.alternatives.map((a) => a.tell_apart), d.same_text?.tell_apart ?? '', d.same_text?.source ?? ''].join('\n');
  if (prose.includes('§')) found.push('an internal reference mark (§) in the text');
  return found;
}

describe('the commands diagnose prints run as printed', () => {
  test('over every corpus, reference and catalog text: bash -n, no <placeholder>, every SAN kept, no § marks', () => {
    const all = texts();
    const failures: string[] = [];
    let commands = 0;
    for (const text of all) {
      for (const p of problems({ error_text: text })) failures.push(`${text.slice(0, 80)}… → ${p}`);
      commands += commandsOf(diagnose({ error_text: text })).length;
    }
    process.stdout.write(`# ${all.length} texts, ${commands} commands (${parsed.size} distinct) checked with bash -n\n`);
    assert.ok(parsed.size > 100, 'enough distinct commands were checked');
    assert.deepEqual([...new Set(failures)].slice(0, 20), []);
  });

  test('with the environment and connection strings too', () => {
    const all = texts();
    const failures: string[] = [];
    for (const [i, text] of all.entries()) {
      const env = i % 2 ? { caKey: '/secrets/ca.key', certsDir: '/var/lib/cockroach certs' } : {};
      const connection_string = i % 3 === 0 ? "host=db.internal hostaddr=10.0.0.7 port=26257 user=app sslmode=verify-full sslrootcert='/etc/my certs/ca.crt'" : 'postgresql://app@db.internal:26257/shop?sslmode=verify-full&sslrootcert=/etc/certs/ca.crt&sslcert=/etc/certs/client.app.crt&sslkey=/etc/certs/client.app.key';
      for (const p of problems({ error_text: text, connection_string }, env)) failures.push(`${text.slice(0, 60)}… → ${p}`);
    }
    assert.deepEqual([...new Set(failures)].slice(0, 20), []);
  });
});

const fixCommands = (d: Diagnosis) => d.fix_steps.map((s) => s.command ?? '').join('\n');

describe('issue 16: fixes that can be pasted', () => {
  test("libpq's (and 2 other names): the reissue reads the names from the certificate it replaces and adds the dialled host", () => {
    const d = diagnose({ error_text: 'psql: error: connection to server at "10.0.0.7", port 26257 failed: server certificate for "node1" (and 2 other names) does not match host name "db.internal"' });
    assert.equal(d.code, 'hostname_mismatch');
    const reissue = d.fix_steps.find((s) => s.command?.includes('create-node'))!.command!;
    assert.match(reissue, /openssl x509 -in .*node\.crt"? -noout -ext subjectAltName/);
    assert.match(reissue, / db\.internal /);
    assert.ok(!d.next_tools.some((t) => t.tool === 'create_node_cert'), 'no tool call that would drop the names it does not know');
  });

  test('the subjectAltName reader really yields every name of a certificate (real openssl)', () => {
    const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'crdb-tls-san-'));
    try {
      const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'node.key'), '-out', path.join(dir, 'node.crt'), '-subj', '/O=Cockroach/CN=node', '-days', '1', '-addext', 'subjectAltName=DNS:node1,DNS:localhost,IP:127.0.0.1,IP:::1'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const d = diagnose({ error_text: `server certificate for "node1" (and 3 other names) does not match host name "db.internal"`, connection_string: `host=db.internal sslrootcert=${dir}/ca.crt` }, { caKey: '/secrets/ca.key' });
      const reissue = d.fix_steps.find((s) => s.command?.includes('create-node'))!.command!;
      const echoed = spawnSync('bash', ['-c', reissue.replace('crdb-tls cert create-node', 'printf "%s\\n"').replace(/ --overwrite.*$/, '').replace(/ --certs-dir \S+/g, '')], { encoding: 'utf8' });
      assert.deepEqual(echoed.stdout.trim().split('\n'), ['node1', 'localhost', '127.0.0.1', '0:0:0:0:0:0:0:1', 'db.internal']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('hostaddr=127.0.0.1 host=db.internal: the name libpq checks (host) is the one added; the cause names hostaddr', () => {
    const d = diagnose({ error_text: 'connection to server at "127.0.0.1", port 26257 failed: server certificate for "node1" does not match host name "db.internal"', connection_string: 'hostaddr=127.0.0.1 host=db.internal port=26257 user=app sslmode=verify-full sslrootcert=certs/ca.crt' });
    const reissue = d.fix_steps.find((s) => s.command?.includes('create-node'))!.command!;
    assert.match(reissue, /create-node node1 db\.internal /);
    assert.ok(!reissue.includes('127.0.0.1'));
    assert.ok(d.causes.some((c) => c.cause.includes('hostaddr=127.0.0.1') && c.cause.includes('host=db.internal')));
  });

  test('a pasted node-pg ERR_TLS_CERT_ALTNAME_INVALID object: clean names, balanced quotes', () => {
    const text = `Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: db.internal. is not in the cert's altnames: DNS:node1, IP Address:127.0.0.1\n    at Object.checkServerIdentity (node:tls:316:12) {\n  code: 'ERR_TLS_CERT_ALTNAME_INVALID',\n  reason: "Host: db.internal. is not in the cert's altnames: DNS:node1, IP Address:127.0.0.1",\n  host: 'db.internal',\n  cert: {\n    subjectaltname: 'DNS:node1, IP Address:127.0.0.1',\n  }\n}`;
    const d = diagnose({ error_text: text });
    assert.deepEqual(d.facts.certificate_names, ['node1', '127.0.0.1']);
    assert.deepEqual(problems({ error_text: text }), []);
    assert.match(fixCommands(d), /create-node node1 127\.0\.0\.1 db\.internal /);
  });

  test('COCKROACH_CA_KEY / COCKROACH_CERTS_DIR set: no made-up --ca-key; unset: an expansion that asks for it, explained', () => {
    const text = 'x509: certificate is valid for node1, not db.internal';
    const withEnv = diagnose({ error_text: text }, { caKey: '/secrets/ca.key', certsDir: '/data/certs' });
    assert.ok(!fixCommands(withEnv).includes('--ca-key'), fixCommands(withEnv));
    assert.ok(!fixCommands(withEnv).includes('my-safe-directory'));
    const without = diagnose({ error_text: text });
    const step = without.fix_steps.find((s) => s.command?.includes('create-node'))!;
    assert.match(step.command!, /--ca-key "\$\{COCKROACH_CA_KEY:\?the CA private key file\}"/);
    assert.match(step.action, /set COCKROACH_CA_KEY/);
    const gone = spawnSync('bash', ['-c', step.command!.replace('crdb-tls', 'true')], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    assert.notEqual(gone.status, 0);
    assert.match(gone.stderr, /COCKROACH_CA_KEY: the CA private key file/);
  });

  test('paths with spaces and quotes from the connection string are quoted', () => {
    const d = diagnose({ error_text: 'x509: certificate signed by unknown authority', connection_string: "host=db.internal sslrootcert='/etc/it\\'s certs/ca.crt' sslmode=verify-full" });
    const cmd = d.fix_steps.map((s) => s.command).find((c) => c?.includes('-CAfile'))!;
    assert.equal(bashProblem(cmd), null);
    const words = spawnSync('bash', ['-c', `set -- ${cmd.replace(/ <\/dev\/null$/, '')}; for w; do echo "$w"; done`], { encoding: 'utf8' }).stdout.split('\n');
    assert.ok(words.includes("/etc/it's certs/ca.crt"), words.join('|'));
  });

  test("client vocabulary: node-pg is told about ssl.ca, not sslrootcert", () => {
    const d = diagnose({ error_text: "Error: self-signed certificate in certificate chain\n    at TLSSocket.onConnectSecure (node:_tls_wrap:1679:34) {\n  code: 'SELF_SIGNED_CERT_IN_CHAIN'\n}", client: 'node-pg' });
    const cause = d.causes.find((c) => c.cause.includes('does not use the cluster CA'))!;
    assert.match(cause.cause, /ssl\.ca is missing/);
  });

  test('a wrong CA with the standard cockroach name is "same name, another key", and the fix does not repeat the settings', () => {
    for (const text of ['x509: certificate signed by unknown authority (possibly because of "crypto/rsa: verification error" while trying to verify candidate authority certificate "Cockroach CA")', "Error: certificate signature failure\n    at TLSSocket.onConnectSecure (node:_tls_wrap:1679:34) {\n  code: 'CERT_SIGNATURE_FAILURE'\n}"]) {
      const d = diagnose({ error_text: text, connection_string: 'postgresql://app@db.internal:26257/shop?sslmode=verify-full&sslrootcert=/etc/certs/ca.crt' });
      assert.equal(d.code, 'untrusted_server_ca');
      assert.match(d.explanation, /right name but another key/);
      assert.ok(d.fix_steps.some((s) => s.action.includes('Replace the content')));
      assert.ok(!d.fix_steps.some((s) => s.snippet), 'no snippet repeating the same sslrootcert');
    }
  });

  test('client has run out of available brokers alone: reachability first; with an x509 error: the sink TLS', () => {
    const alone = diagnose({ error_text: 'changefeed job 1001 failed: kafka: client has run out of available brokers to talk to' });
    assert.equal(alone.code, 'connection_dropped');
    assert.ok(alone.alternatives.some((a) => a.code === 'changefeed_sink_tls'));
    assert.ok(alone.causes.some((c) => c.cause.includes('advertised.listeners')), alone.causes.map((c) => c.cause).join('\n'));
    const tls = diagnose({ error_text: 'changefeed job 1001 failed: kafka: client has run out of available brokers to talk to: x509: certificate signed by unknown authority' });
    assert.equal(tls.code, 'changefeed_sink_tls');
  });

  test('connection refused is "nothing is listening"', () => {
    const d = diagnose({ error_text: 'dial tcp 127.0.0.1:26257: connect: connection refused' });
    assert.equal(d.code, 'connection_dropped');
    assert.match(d.explanation, /nothing is listening/i);
  });
});
