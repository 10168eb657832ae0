// A confirmation is bound to the face and principal that asked and to the rule of that face
// (issue 13), checked in the runner with the embedded store: the state dir is shared the way an
// MCP server and `crdb-tls confirm` share it. A tool that counts its runs shows "nothing changed".
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countedAction } from '../support/counted-action.js';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/log.js';
import { AllowedPaths } from '../../src/core/paths.js';
import { Runner } from '../../src/core/runner.js';
import type { ToolContext } from '../../src/core/tool.js';
import { approve } from '../../src/gate/approval.js';
import type { GatePolicy } from '../../src/gate/policy.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import type { Store } from '../../src/store/types.js';

const POLICY: GatePolicy = { threshold: 'medium', readOnly: false, confirmationTtlMs: 600_000 };
const counted = countedAction();
const action = counted.tool;

let state = '';
let store: Store;
before(() => {
  state = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-binding-'));
  store = new EmbeddedStore(state);
});
after(() => fs.rmSync(state, { recursive: true, force: true }));

const ctx = (requester: string, extra: Partial<ToolContext> = {}): ToolContext => ({ config: loadConfig('mcp'), paths: new AllowedPaths([state]), log: createLogger('silent'), store, requester, ...extra });
const mcp = () => new Runner(POLICY, store, undefined, { face: 'mcp' });
const slack = () => new Runner(POLICY, store, undefined, { face: 'slack' });

async function ask(runner: Runner, requester: string, target: string): Promise<string> {
  const asked = await runner.run(action, { target }, ctx(requester));
  assert.ok(asked.ok && asked.output.status === 'confirmation_required', JSON.stringify(asked));
  return (asked.output.confirmation as { id: string }).id;
}

async function status(runner: Runner, target: string, id: string, c: ToolContext): Promise<string> {
  const out = await runner.run(action, { target, confirmation_id: id }, c);
  assert.ok(out.ok, JSON.stringify(out));
  return `${String(out.output.status)}: ${String(out.output.reason ?? '')}`;
}

describe('redemption follows the rule of the face that asked', () => {
  test('a Slack-issued confirmation is refused over MCP and by a Slack call that is not a checked click, and stays usable for one', async () => {
    const id = await ask(slack(), 'slack:U0ALICE', 'ca.crt');
    const before = counted.runs();
    assert.match(await status(mcp(), 'ca.crt', id, ctx('root via some-client')), /^refused: .*asked for in Slack/);
    assert.match(await status(mcp(), 'ca.crt', id, ctx('root via some-client', { confirmedInSlackBy: 'slack:U0BOB' })), /^refused: .*asked for in Slack/, 'the click marker means nothing outside the Slack face');
    assert.match(await status(slack(), 'ca.crt', id, ctx('slack:U0BOB')), /^refused: .*asked for in Slack/);
    assert.match(await status(slack(), 'ca.crt', id, ctx('slack:U0ALICE', { confirmedInSlackBy: 'slack:U0ALICE' })), /^refused: four-eyes/);
    assert.equal(counted.runs(), before);
    assert.match(await status(slack(), 'ca.crt', id, ctx('slack:U0BOB', { confirmedInSlackBy: 'slack:U0BOB' })), /^done/);
    assert.equal(counted.runs(), before + 1);
  });

  test('an MCP-issued confirmation waits for a person, is refused to another requester and to a Slack click, and runs once after approval', async () => {
    const id = await ask(mcp(), 'root via client-a', 'node.key');
    const before = counted.runs();
    assert.match(await status(mcp(), 'node.key', id, ctx('root via client-a')), /^refused: no person has approved/);
    assert.match(await status(mcp(), 'node.key', id, ctx('root via client-b')), /^refused: .*only that requester/);
    assert.match(await status(slack(), 'node.key', id, ctx('slack:U0BOB', { confirmedInSlackBy: 'slack:U0BOB' })), /^refused: .*only that requester/);
    assert.equal(counted.runs(), before);
    const c = (await store.getConfirmation(id))!;
    assert.ok(await approve(store, c, { channel: 'terminal', by: 'root', at: new Date().toISOString() }, new Date()));
    assert.equal(await approve(store, c, { channel: 'terminal', by: 'root', at: new Date().toISOString() }, new Date()), false, 'approved once');
    assert.match(await status(mcp(), 'node.key', id, ctx('root via client-b')), /^refused: .*only that requester/, 'approval does not open it to another requester');
    assert.match(await status(mcp(), 'node.key', id, ctx('root via client-a')), /^done/);
    assert.match(await status(mcp(), 'node.key', id, ctx('root via client-a')), /^refused: .*already used/);
    assert.equal(counted.runs(), before + 1);
  });

  test('ids that are not ids name no file: unknown, nothing read or written outside the state dir', async () => {
    for (const id of ['../../etc/passwd', 'cf_../../x', '', 'cf_' + 'a'.repeat(200), 'cf_AAAA']) {
      assert.match(await status(mcp(), 'x', id, ctx('root via client-a')), /^refused: no such confirmation/);
    }
  });
});

describe('the embedded store purges', () => {
  test('a confirmation expired more than an hour ago is removed from disk when the next one is saved', async () => {
    const old = new Runner({ ...POLICY, confirmationTtlMs: 1_000 }, store, () => new Date(Date.now() - 2 * 3_600_000), { face: 'mcp' });
    const oldId = await ask(old, 'root via client-a', 'old.key');
    const file = path.join(state, 'confirmations', `${oldId}.json`);
    assert.ok(fs.existsSync(file));
    assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
    assert.equal((fs.statSync(path.dirname(file)).mode & 0o777).toString(8), '700');
    const freshId = await ask(mcp(), 'root via client-a', 'fresh.key');
    assert.ok(!fs.existsSync(file), 'the expired confirmation is still on disk');
    assert.equal(await store.getConfirmation(oldId), undefined);
    assert.equal((await store.getConfirmation(freshId))?.state, 'pending');
  });
});
