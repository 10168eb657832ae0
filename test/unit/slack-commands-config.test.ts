// `/crdb-tls` parsing (the CLI's verbs and flags) and the Slack policy variables (CRDB_TLS_SLACK_*),
// read the way slack/README.md documents them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCommand, SUBCOMMANDS } from '../../src/slack/commands.js';
import { nextDigestRun, parseConfirmers, parseDigestSchedule, parseIssuers, ruleCovers } from '../../src/slack/config.js';

function run(text: string) {
  const parsed = parseCommand(text);
  assert.equal(parsed.kind, 'run', `expected ${JSON.stringify(text)} to run, got ${JSON.stringify(parsed)}`);
  return parsed as Extract<typeof parsed, { kind: 'run' }>;
}

describe('/crdb-tls subcommands', () => {
  test('diagnose keeps the pasted text verbatim after its flags: quotes, dashes and pgx\'s backticks included', () => {
    // pgx prints its connection summary in backticks (reference §6.1): they are part of the error.
    const error = 'failed to connect to `host=db user=app database=`: failed to write startup message (x509: certificate signed by unknown authority) -- see log';
    const r = run(`diagnose --client go-pgx ${error}`);
    assert.equal(r.subcommand.tool, 'diagnose_error');
    assert.deepEqual(r.input, { client: 'go-pgx', error_text: error });
    assert.equal(run(`diagnose \`\`\`\n${error}\n\`\`\``).input.error_text, error, 'a code fence around the paste is not part of it');
  });

  test('probe reads HOST:PORT like the CLI, IPv6 in brackets, and never takes a key', () => {
    assert.deepEqual(run('probe db.example.com:26257 --servername node1').input, { host: 'db.example.com', port: 26257, servername: 'node1' });
    assert.deepEqual(run('probe [::1]:26258').input, { host: '::1', port: 26258 });
    assert.equal(parseCommand('probe db:99999').kind, 'usage');
    const withKey = parseCommand('probe db:26257 --key client.key');
    assert.equal(withKey.kind, 'usage');
    assert.match((withKey as { message: string }).message, /unknown option --key/);
  });

  test('the cloud client-ca verbs take the cluster id, the CLI flags, or a pasted PEM bundle', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmg\nAwIBAgIU=\n-----END CERTIFICATE-----';
    const set = run(`cloud client-ca set 5e6b1f0a --timeout 90s ${pem.replace(/\n/g, ' ')}`);
    assert.equal(set.subcommand.tool, 'set_client_ca');
    assert.equal(set.input.cluster_id, '5e6b1f0a');
    assert.equal(set.input.timeout_seconds, 90);
    assert.equal(set.input.pem, '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU=\n-----END CERTIFICATE-----\n', 'line breaks Slack folded are restored');
    assert.deepEqual(run('cloud client-ca remove 5e6b1f0a --dry-run').input, { cluster_id: '5e6b1f0a', dry_run: true });
    assert.equal(run('cloud ca download 5e6b1f0a --replace').subcommand.tool, 'download_ca');
    assert.equal(parseCommand('cloud client-ca set 5e6b1f0a').kind, 'usage');
  });

  test('a group verb alone says which verbs it has', () => {
    const parsed = parseCommand('cloud client-ca');
    assert.equal(parsed.kind, 'usage');
    assert.match((parsed as { message: string }).message, /cloud client-ca get.*cloud client-ca set.*cloud client-ca remove/);
  });

  test('rotate check and rotate plan take the CLI\'s sources, but never a SQL URL (it may hold a password)', () => {
    assert.equal(run('rotate check').subcommand.tool, 'check_expiry');
    const plan = run('rotate plan --certs-dir certs --certs-dir node2 --host node1:26257 --within 30d --scope node');
    assert.equal(plan.subcommand.tool, 'plan_rotation');
    assert.deepEqual(plan.input, { certs_dirs: ['certs', 'node2'], hosts: ['node1:26257'], within: '30d', scope: 'node' });
    const sql = parseCommand('rotate check --sql postgresql://root:secret@node1:26257/defaultdb');
    assert.equal(sql.kind, 'usage');
    assert.match((sql as { message: string }).message, /unknown option --sql/);
  });

  test('every verb of the table is reachable and help is the empty command', () => {
    assert.equal(parseCommand('').kind, 'help');
    assert.equal(parseCommand('help').kind, 'help');
    const verbs = SUBCOMMANDS.map((s) => s.verb);
    assert.deepEqual(verbs.filter((v, i) => verbs.indexOf(v) !== i), [], 'no verb twice');
  });
});

describe('Slack policy variables', () => {
  test('confirmers are user and user-group ids; a name is refused with how to find the id', () => {
    assert.deepEqual(parseConfirmers(' U0ALICE, W0BOB ,S0ONCALL'), [
      { kind: 'user', id: 'U0ALICE' }, { kind: 'user', id: 'W0BOB' }, { kind: 'group', id: 'S0ONCALL' },
    ]);
    assert.throws(() => parseConfirmers('U0ALICE,bob'), (error: Error & { hint?: string }) =>
      /CRDB_TLS_SLACK_CONFIRMERS: "bob" is not a Slack user id/.test(error.message) && /Copy member ID/.test(error.hint ?? ''));
  });

  test('issuers: * covers ordinary SQL users only; root must be named', () => {
    const rules = parseIssuers('U0ALICE:Alice|root; S0DEVS:*');
    assert.equal(rules.length, 2);
    assert.ok(ruleCovers(rules[0]!, 'alice'), 'names are case-folded like CockroachDB');
    assert.ok(ruleCovers(rules[0]!, 'root'));
    assert.ok(!ruleCovers(rules[0]!, 'bob'));
    assert.ok(ruleCovers(rules[1]!, 'bob'));
    assert.ok(!ruleCovers(rules[1]!, 'root') && !ruleCovers(rules[1]!, 'admin'));
  });

  test('issuers that do not parse are refused with the rule quoted', () => {
    assert.throws(() => parseIssuers('U0ALICE=alice'), /has no ':'/);
    assert.throws(() => parseIssuers('U0ALICE:'), /names no SQL user/);
    assert.throws(() => parseIssuers('U0ALICE:*|root'), /mixes \* with names/);
    assert.throws(() => parseIssuers('U0ALICE:-bad'), /not a valid SQL user name/);
  });

  test('digest schedules are daily, weekly or every, in UTC', () => {
    const now = new Date('2026-03-04T10:30:00Z'); // a Wednesday
    assert.equal(nextDigestRun(parseDigestSchedule('daily 09:00'), now).toISOString(), '2026-03-05T09:00:00.000Z');
    assert.equal(nextDigestRun(parseDigestSchedule('daily 11:15'), now).toISOString(), '2026-03-04T11:15:00.000Z');
    assert.equal(nextDigestRun(parseDigestSchedule('weekly mon 08:00'), now).toISOString(), '2026-03-09T08:00:00.000Z');
    assert.equal(nextDigestRun(parseDigestSchedule('weekly wednesday 10:30'), now).toISOString(), '2026-03-11T10:30:00.000Z');
    assert.equal(nextDigestRun(parseDigestSchedule('every 6h'), now).toISOString(), '2026-03-04T16:30:00.000Z');
    for (const bad of ['hourly', 'daily 25:00', 'weekly 09:00', 'every 10s', 'every soon']) assert.throws(() => parseDigestSchedule(bad), /CRDB_TLS_SLACK_DIGEST_SCHEDULE/);
  });
});
