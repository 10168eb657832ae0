// The built CLI offers its option choices from values scripts/build.mjs prepared (tools/input-choices.ts),
// so that `crdb-tls diagnose` loads no tool listing at start. This holds what the bundle accepts and
// refuses to what the tools' zod enumerations say today, so the two cannot drift apart unnoticed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLIENT_IDS } from '../../src/connection/clients.js';
import { SettingsClient } from '../../src/connection/schemas.js';
import { runCli } from '../support/cli.js';

/** The choices commander lists when it refuses a value, as the bundle printed them. */
function allowedChoices(args: string[]): string[] {
  const r = runCli(args);
  assert.equal(r.status, 2, r.stderr);
  const listed = /Allowed choices are (.*)\. \(see --help\)/.exec(r.stderr);
  assert.ok(listed, r.stderr);
  return listed[1]!.split(', ');
}

describe('the bundle offers CLI choices prepared at build', () => {
  test('diagnose --client refuses an unknown client and lists exactly the clients diagnose_error takes', () => {
    assert.deepEqual(allowedChoices(['diagnose', '--client', 'not-a-client', 'x509: certificate signed by unknown authority']), [...CLIENT_IDS]);
  });

  test('connection-string --client lists exactly the clients connection_string takes', () => {
    assert.deepEqual(allowedChoices(['connection-string', '--client', 'not-a-client', '--host', 'db.internal']), [...SettingsClient.options]);
  });

  test('probe --client lists exactly the clients probe_server takes', () => {
    assert.deepEqual(allowedChoices(['probe', '--client', 'not-a-client', '--host', '127.0.0.1']), [...CLIENT_IDS]);
  });

  test('every prepared choice is accepted: diagnose with each client answers for that client', () => {
    for (const client of CLIENT_IDS) {
      const r = runCli(['diagnose', '--json', '--client', client, 'x509: certificate signed by unknown authority']);
      assert.equal(r.status, 0, `${client}: ${r.stderr}`);
      const diagnosis = JSON.parse(r.stdout) as { code: string; client: { id: string; source: string } };
      assert.deepEqual([diagnosis.client.id, diagnosis.client.source], [client, 'given'], client);
      assert.notEqual(diagnosis.code, 'unknown', client);
    }
  });
});
