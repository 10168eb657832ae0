// `crdb-tls diagnose` as people run it most is answered by a lane that loads neither commander,
// zod, the store nor the runner (src/cli/diagnose-lane.ts, issue 19). What must hold: the lane's
// answer is the full CLI's answer, byte for byte and exit code for exit code, for every text of
// the reference corpus in every form the lane takes (argument, stdin, --json, --client,
// --connection-string, --deployment); it loads none of those libraries; whatever it does not
// take — help, a bad choice, an option it does not know, a bad environment, a text the domain
// refuses — is the full CLI's to answer, with stdin read once between the two. The lane runs in
// the installed command (dist/crdb-tls.cjs, src/cli/launcher.ts) as one CommonJS file, without the
// ES module loader; the full CLI is the ESM bundle, in the same process.
//
// The full CLI is reached with the same words plus `--` (commander's end of options, which the
// lane declines), and the load recorder shows which of the two ran.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import diagnoseError from '../../tools/diagnose_error.js';
import { REPO_ROOT } from '../support/cli.js';
import { diagnoseLaneAnswered, runRecordingLoads, type RecordedRun as Run } from '../support/load-recorder.js';

interface CorpusCase {
  id: string;
  text: string;
  expected_client?: string;
}
const CASES = (JSON.parse(fs.readFileSync(new URL('../corpus/reference/diagnose-cases.json', import.meta.url), 'utf8')) as { cases: CorpusCase[] }).cases;

let base = '';
before(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-diagnose-lane-'));
});
after(() => {
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

const run = (args: string[], input: string, env: NodeJS.ProcessEnv = {}): Promise<Run> => runRecordingLoads(base, args, input, env);

/** Runs the lane's argv and the same argv with `--` before the text; both must answer alike. */
async function assertSameAnswer(options: string[], text: string[], input: string, env: NodeJS.ProcessEnv = {}): Promise<{ lane: Run; full: Run }> {
  const [lane, full] = await Promise.all([run(['diagnose', ...options, ...text], input, env), run(['diagnose', ...options, '--', ...text], input, env)]);
  const what = `diagnose ${options.join(' ')} (text ${JSON.stringify(text.join(' ').slice(0, 60))})`;
  assert.equal(lane.stdout, full.stdout, `${what}: stdout differs`);
  assert.equal(lane.stderr, full.stderr, `${what}: stderr differs`);
  assert.equal(lane.status, full.status, `${what}: exit code differs`);
  assert.ok(full.packages.has('commander'), `${what}: the full CLI must have run for the comparison (commander loaded)`);
  return { lane, full };
}

/** The forms the lane takes, one per case in turn so that every case meets one and each form meets many cases. */
const FORMS: Array<(c: CorpusCase) => { options: string[]; text: string[]; input: string }> = [
  (c) => ({ options: [], text: [c.text], input: '' }),
  (c) => ({ options: ['--json'], text: ['-'], input: c.text }),
  (c) => ({ options: c.expected_client ? [`--client=${c.expected_client}`] : [], text: [], input: c.text }),
  (c) => ({ options: ['--connection-string', 'postgresql://app:hunter2@db.example.com:26257/defaultdb?sslmode=verify-full&sslrootcert=certs/ca.crt', '--json'], text: [c.text], input: '' }),
  (c) => ({ options: ['--deployment', 'cloud', ...(c.expected_client ? ['--client', c.expected_client] : [])], text: c.text.split(' '), input: '' }),
];

describe('crdb-tls diagnose: the lane', () => {
  test('diagnose_error reads nothing and changes nothing: what lets the lane skip the runner (no gate, no audit)', () => {
    assert.equal(diagnoseError.effects, 'none');
    assert.equal(diagnoseError.annotations?.readOnlyHint, true);
  });

  test(`every reference case (${CASES.length}) gets the full CLI's answer, in each form the lane takes, without commander or zod`, async () => {
    let answered = 0;
    // Two children at a time on a 2-core machine; the cases run in turn.
    for (let i = 0; i < CASES.length; i++) {
      const { options, text, input } = FORMS[i % FORMS.length]!(CASES[i]!);
      const { lane } = await assertSameAnswer(options, text, input);
      assert.equal(lane.status, 0, `${CASES[i]!.id}: ${lane.stderr}`);
      assert.ok(diagnoseLaneAnswered(lane), `${CASES[i]!.id}: the lane loaded ${[...lane.packages].join(', ')} (${lane.files.map((f) => f.split('/').pop()).join(', ')})`);
      answered++;
    }
    assert.equal(answered, CASES.length);
  });

  test('the password of a connection string is not printed by the lane either', async () => {
    const { lane } = await assertSameAnswer(['--connection-string', 'postgresql://app:s3cret-pw@db:26257/defaultdb?sslmode=require', '--json'], ['x509: certificate signed by unknown authority'], '');
    assert.ok(diagnoseLaneAnswered(lane));
    assert.doesNotMatch(lane.stdout, /s3cret-pw/);
  });

  // [what, argv after `diagnose`, stdin, the full CLI's exit code (invoke.ts: 2 bad usage or input), environment]
  const declined: Array<[string, string[], string, number, NodeJS.ProcessEnv?]> = [
    ['--help', ['--help'], '', 0],
    ['a client not in the list', ['--client', 'mysql', 'x509: certificate signed by unknown authority'], '', 2],
    ['an unknown option', ['--verbose', 'x509: certificate signed by unknown authority'], '', 2],
    ['an option with no value', ['x509: certificate signed by unknown authority', '--client'], '', 2],
    ['a deployment not in the list', ['--deployment=onprem', 'tls: bad certificate'], '', 2],
    ['a text that starts like an option', ['-----BEGIN CERTIFICATE-----'], '', 2],
    ['an empty pipe', ['-'], '', 2],
    ['a blank text', ['   '], '', 2],
    ['a text over 1 MiB on stdin', ['-'], `x509: certificate signed by unknown authority ${'a'.repeat(1_048_576)}`, 2],
    ['a connection string over its limit', ['--connection-string', `postgresql://db/?${'x'.repeat(20_000)}`, 'tls: bad certificate'], '', 2],
    ['a bad confirmation threshold in the environment', ['tls: bad certificate'], '', 2, { CRDB_TLS_CONFIRM_THRESHOLD: 'whenever' }],
  ];
  for (const [what, args, input, status, env] of declined) {
    test(`${what}: the full CLI answers, as it does without the lane`, async () => {
      const result = await run(['diagnose', ...args], input, env);
      assert.ok(result.packages.has('commander'), `the full CLI must have answered ${what}; loaded: ${[...result.packages].join(', ')}`);
      assert.equal(result.status, status, `${what}: ${result.stderr}`);
      if (status !== 0) assert.equal(result.stdout, '', 'nothing is printed on stdout for a refused input');
    });
  }

  test('a repeated option is for the full CLI to take (commander accepts it), and it answers alike', async () => {
    const result = await run(['diagnose', '--json', '--json', 'x509: certificate signed by unknown authority'], '');
    assert.ok(result.packages.has('commander'));
    assert.equal(result.status, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { code: string }).code, 'untrusted_server_ca');
  });

  test('stdin is read once: the full CLI, after the lane declined, sees the same text the lane read', async () => {
    // Over the limit: the lane reads it, the domain refuses it, and the full CLI must still see every
    // byte (input_too_large), not an empty stdin (no error text).
    const big = await run(['diagnose', '-'], `x509: certificate signed by unknown authority ${'a'.repeat(1_048_576)}`);
    assert.equal(big.status, 2, big.stderr);
    assert.match(big.stderr, /error_text is 1,048,577 bytes; the limit is 1 MiB/);
    const blank = await run(['diagnose'], '  \n');
    assert.equal(blank.status, 2, blank.stderr);
    assert.match(blank.stderr, /no error text \(stdin was empty\)/);
  });

  test('the ESM entry run directly answers diagnose with the full CLI, alike', async () => {
    const text = 'x509: certificate signed by unknown authority';
    const direct = await runRecordingLoads(base, ['diagnose', '--json', text], '', {}, path.join(REPO_ROOT, 'dist', 'crdb-tls.mjs'));
    const lane = await run(['diagnose', '--json', text], '');
    assert.ok(diagnoseLaneAnswered(lane));
    assert.ok(direct.packages.has('commander'), `the full CLI must have answered; loaded: ${[...direct.packages].join(', ')}`);
    assert.equal(direct.status, 0, direct.stderr);
    assert.equal(direct.stdout, lane.stdout);
  });

  test('an unreachable audit database does not stop a diagnosis: the lane opens no store', async () => {
    const result = await run(['diagnose', 'x509: certificate signed by unknown authority'], '', { CRDB_TLS_DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^untrusted_server_ca/);
    assert.ok(diagnoseLaneAnswered(result));
  });
});
