// `crdb-tls config check` as a person runs it (the bundled CLI in a child process with exactly the
// environment given): every variable of DESIGN.md §6 judged, what each face would do, exit 0 when
// valid and 2 when not, and no secret ever printed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { catalog } from '../../tools/catalog.js';
import { runCli } from '../support/cli.js';

interface Report {
  valid: boolean;
  variables: Array<{ name: string; status: 'ok' | 'default' | 'warning' | 'invalid'; shown: string; message: string }>;
  faces: Array<{ face: 'cli' | 'mcp_stdio' | 'mcp_http' | 'slack'; would_start: boolean; lines: string[] }>;
}

/** DESIGN.md §6, every variable, plus the ones the code reads besides (log level, TTL, token label, origins). */
const DESIGN_VARIABLES = [
  'CRDB_TLS_STATE_DIR', 'CRDB_TLS_DATABASE_URL', 'CRDB_TLS_ROOTS', 'CRDB_TLS_READ_ONLY', 'CRDB_TLS_CONFIRM_THRESHOLD',
  'COCKROACH_CERTS_DIR', 'COCKROACH_CA_KEY', 'COCKROACH_API_KEY', 'COCKROACH_API_KEY_FILE', 'COCKROACH_SERVER',
  'CRDB_TLS_HTTP_TOKEN', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'SLACK_API_URL',
  'CRDB_TLS_SLACK_CONFIRMERS', 'CRDB_TLS_FOUR_EYES', 'CRDB_TLS_SLACK_ISSUERS',
];
const MUTATING_EFFECTS = new Set(['writes-files', 'cloud-write', 'signals-process']);

let base = '';
/** A minimal environment: PATH and a HOME of its own, nothing of the developer's configuration. */
const envWith = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: path.join(base, 'home'), CRDB_TLS_STATE_DIR: path.join(base, 'state'), ...extra });

function check(extra: Record<string, string> = {}, args: string[] = []) {
  return runCli(['config', 'check', ...args], { env: envWith(extra), cwd: base });
}
function checkJson(extra: Record<string, string> = {}): { status: number; report: Report; stdout: string } {
  const result = check(extra, ['--json']);
  return { status: result.status, report: JSON.parse(result.stdout) as Report, stdout: result.stdout };
}
const variable = (report: Report, name: string) => report.variables.find((v) => v.name === name)!;
const face = (report: Report, name: Report['faces'][number]['face']) => report.faces.find((f) => f.face === name)!;

before(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-config-check-')));
  fs.mkdirSync(path.join(base, 'home'), { recursive: true });
  fs.mkdirSync(path.join(base, 'certs'), { recursive: true });
});

after(() => {
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

describe('crdb-tls config check', () => {
  test('with nothing set, every variable of DESIGN.md §6 is reported at its default and the configuration is valid (exit 0)', () => {
    const { status, report } = checkJson();
    assert.equal(status, 0);
    assert.equal(report.valid, true);
    for (const name of DESIGN_VARIABLES) {
      const found = variable(report, name);
      assert.ok(found, `${name} is checked`);
      assert.equal(found.status, name === 'CRDB_TLS_STATE_DIR' ? 'ok' : 'default', `${name}: ${JSON.stringify(found)}`);
    }
    assert.equal(face(report, 'mcp_stdio').would_start, true);
    assert.equal(face(report, 'mcp_http').would_start, false, 'no token: MCP over HTTP would not start');
    assert.equal(face(report, 'slack').would_start, false, 'no Slack bot token');
    assert.match(face(report, 'mcp_stdio').lines.join('\n'), new RegExp(`tools: ${catalog.length} of ${catalog.length} offered`));
  });

  test('a read-only switch that is not a boolean, an unknown threshold and a short HTTP token make it invalid (exit 2), each named', () => {
    const { status, report } = checkJson({ CRDB_TLS_READ_ONLY: 'maybe', CRDB_TLS_CONFIRM_THRESHOLD: 'sometimes', CRDB_TLS_HTTP_TOKEN: 't'.repeat(31) });
    assert.equal(status, 2);
    assert.equal(report.valid, false);
    assert.equal(variable(report, 'CRDB_TLS_READ_ONLY').status, 'invalid');
    assert.equal(variable(report, 'CRDB_TLS_CONFIRM_THRESHOLD').status, 'invalid');
    assert.equal(variable(report, 'CRDB_TLS_HTTP_TOKEN').status, 'invalid');
    assert.match(variable(report, 'CRDB_TLS_HTTP_TOKEN').message, /31 characters long; it must be at least 32/);
    assert.equal(face(report, 'mcp_http').would_start, false);
    const text = check({ CRDB_TLS_READ_ONLY: 'maybe' });
    assert.equal(text.status, 2);
    assert.match(text.stdout, /INVALID\s+CRDB_TLS_READ_ONLY/);
    assert.match(text.stdout, /The configuration is NOT valid: fix CRDB_TLS_READ_ONLY\./);
  });

  test('CRDB_TLS_RELOAD_PROCESSES: a list of names is shown; a value that is no list of file names makes it invalid, named, without a crash', () => {
    assert.match(variable(checkJson({ CRDB_TLS_RELOAD_PROCESSES: 'cockroach,cockroach-v24' }).report, 'CRDB_TLS_RELOAD_PROCESSES').message, /signals only a process running cockroach, cockroach-v24/);
    const { status, report } = checkJson({ CRDB_TLS_RELOAD_PROCESSES: 'cockroach, /bin/sh' });
    assert.equal(status, 2);
    assert.equal(variable(report, 'CRDB_TLS_RELOAD_PROCESSES').status, 'invalid');
    assert.match(variable(report, 'CRDB_TLS_RELOAD_PROCESSES').message, /"\/bin\/sh" is not a file name/);
  });

  test('secrets are shown only as their length: the Cloud API key, the HTTP token, the Slack tokens, the database password', () => {
    const secrets = {
      COCKROACH_API_KEY: 'CCDB1_cloudkeysecretvalue0123456789',
      CRDB_TLS_HTTP_TOKEN: 'httptokensecret-0123456789abcdefghijkl',
      SLACK_BOT_TOKEN: 'xoxb-111-222-botsecretvalue',
      SLACK_APP_TOKEN: 'xapp-1-A111-appsecretvalue',
      SLACK_SIGNING_SECRET: 'signingsecretvalue0123456789abcdef',
    };
    const databasePassword = 'dbpassw0rdsecret';
    const env = { ...secrets, CRDB_TLS_DATABASE_URL: `postgresql://crdb:${databasePassword}@db.example.com:26257/tls?sslmode=verify-full` };
    for (const args of [[], ['--json']]) {
      const result = check(env, args);
      assert.equal(result.status, 0, result.stdout + result.stderr);
      for (const secret of [...Object.values(secrets), databasePassword]) {
        assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret), `${secret.slice(0, 8)}… is printed (${args.join(' ') || 'text'})`);
      }
      for (const [name, value] of Object.entries(secrets)) {
        const shown = args.length ? variable(JSON.parse(result.stdout) as Report, name).shown : new RegExp(`${name} +(.*?)(  —|$)`, 'm').exec(result.stdout)?.[1];
        assert.equal(shown, `set (${value.length} chars)`, `${name} (${args.join(' ') || 'text'})`);
      }
    }
    const { report } = checkJson(env);
    assert.match(variable(report, 'CRDB_TLS_DATABASE_URL').shown, /^postgresql:\/\/crdb:\*\*\*@db\.example\.com:26257\/tls/);
  });

  test('read-only mode: each MCP face offers only the tools that change nothing', () => {
    const { report } = checkJson({ CRDB_TLS_READ_ONLY: 'true' });
    const readOnly = catalog.filter((t) => !MUTATING_EFFECTS.has(t.effects)).length;
    const line = face(report, 'mcp_stdio').lines.find((l) => l.includes('tools:'))!;
    assert.match(line, new RegExp(`tools: ${readOnly} of ${catalog.length} offered \\(read-only hides `));
    for (const tool of catalog.filter((t) => MUTATING_EFFECTS.has(t.effects))) assert.ok(line.includes(tool.name), `${tool.name} is named as hidden`);
  });

  test('Slack: with an app token it runs in Socket Mode; with only a bot token and no signing secret it cannot start', () => {
    const socket = checkJson({ SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_APP_TOKEN: 'xapp-1-A1-def' });
    assert.equal(face(socket.report, 'slack').would_start, true);
    assert.match(face(socket.report, 'slack').lines[0]!, /^Socket Mode/);
    const http = checkJson({ SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'abcdef0123456789' });
    assert.equal(face(http.report, 'slack').would_start, true);
    assert.match(face(http.report, 'slack').lines[0]!, /^HTTP \(Events API\)/);
    const broken = checkJson({ SLACK_BOT_TOKEN: 'xoxb-1-2-abc' });
    assert.equal(broken.status, 2);
    assert.equal(variable(broken.report, 'SLACK_SIGNING_SECRET').status, 'invalid');
    assert.equal(face(broken.report, 'slack').would_start, false);
    const wrongPrefix = checkJson({ SLACK_BOT_TOKEN: 'xapp-not-a-bot-token', SLACK_APP_TOKEN: 'xapp-1' });
    assert.equal(variable(wrongPrefix.report, 'SLACK_BOT_TOKEN').status, 'invalid');
  });

  test('the Cloud API key file must be readable and hold one word; COCKROACH_SERVER must be a URL', () => {
    const keyFile = path.join(base, 'cloud.key');
    fs.writeFileSync(keyFile, 'CCDB1_fromfile\n', { mode: 0o600 });
    const good = checkJson({ COCKROACH_API_KEY_FILE: keyFile });
    assert.equal(variable(good.report, 'COCKROACH_API_KEY_FILE').status, 'ok');
    assert.ok(!good.stdout.includes('CCDB1_fromfile'), 'the key read from the file is not printed');
    const missing = checkJson({ COCKROACH_API_KEY_FILE: path.join(base, 'nope.key'), COCKROACH_SERVER: 'not a url' });
    assert.equal(missing.status, 2);
    assert.equal(variable(missing.report, 'COCKROACH_API_KEY_FILE').status, 'invalid');
    assert.equal(variable(missing.report, 'COCKROACH_SERVER').status, 'invalid');
  });

  test('a certs dir outside the MCP roots and a state dir that is a file are called out', () => {
    const stateFile = path.join(base, 'state-is-a-file');
    fs.writeFileSync(stateFile, '');
    const { status, report } = checkJson({ CRDB_TLS_STATE_DIR: stateFile, CRDB_TLS_ROOTS: path.join(base, 'home'), COCKROACH_CERTS_DIR: path.join(base, 'certs') });
    assert.equal(status, 2);
    assert.equal(variable(report, 'CRDB_TLS_STATE_DIR').status, 'invalid');
    assert.equal(variable(report, 'COCKROACH_CERTS_DIR').status, 'warning');
    assert.match(variable(report, 'COCKROACH_CERTS_DIR').message, /outside the MCP\/Slack roots/);
  });
});
