// Slack approval of MCP confirmations (src/slack/approvals.ts) against the real embedded store and
// the real runner: a requester cannot approve its own call, a Slack-issued confirmation cannot be
// approved this way (only its Confirm button), an approval is given once, and a refusal leaves the
// confirmation waiting. A counted tool shows that approving runs nothing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/log.js';
import { AllowedPaths } from '../../src/core/paths.js';
import { Runner } from '../../src/core/runner.js';
import type { ToolContext } from '../../src/core/tool.js';
import { confirmationRef } from '../../src/gate/gate.js';
import type { GatePolicy } from '../../src/gate/policy.js';
import { McpApprovals, parseApproveCommand } from '../../src/slack/approvals.js';
import type { SlackConfig } from '../../src/slack/config.js';
import { SlackPolicy } from '../../src/slack/policy.js';
import type { SlackApi } from '../../src/slack/reply.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { countedAction } from '../support/counted-action.js';

const POLICY: GatePolicy = { threshold: 'medium', readOnly: false, confirmationTtlMs: 600_000, mcpConfirm: 'slack' };
const counted = countedAction();
let state = '';
let store: EmbeddedStore;
let approvals: McpApprovals;
const said: string[] = [];

before(() => {
  state = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-approvals-'));
  store = new EmbeddedStore(state);
  const config = { confirmers: [{ kind: 'user', id: 'U0BOB' }], fourEyes: true } as unknown as SlackConfig;
  const api = { groupMembers: async () => [] } as unknown as SlackApi;
  approvals = new McpApprovals(store, new SlackPolicy(config, api, createLogger('silent')), createLogger('silent'));
});
after(() => fs.rmSync(state, { recursive: true, force: true }));

const ctx = (requester: string): ToolContext => ({ config: loadConfig('mcp'), paths: new AllowedPaths([state]), log: createLogger('silent'), store, requester });
const request = (ref: string, user: string) => ({ ref, user, channel: 'C0HELP', respond: async (m: { text: string }) => void said.push(m.text) });

async function ask(face: 'mcp' | 'slack', requester: string, target: string): Promise<{ id: string; runner: Runner }> {
  const runner = new Runner(POLICY, store, undefined, { face });
  const asked = await runner.run(counted.tool, { target }, ctx(requester));
  assert.ok(asked.ok && asked.output.status === 'confirmation_required', JSON.stringify(asked));
  return { id: (asked.output.confirmation as { id: string }).id, runner };
}

describe('Slack approval of MCP confirmations', () => {
  test('the command takes a ref or an id and nothing else', () => {
    assert.deepEqual(parseApproveCommand('approve ref_0123456789abcdef'), { ref: 'ref_0123456789abcdef' });
    assert.ok('usage' in parseApproveCommand('approve ; rm -rf /')!);
    assert.equal(parseApproveCommand('diagnose approve'), undefined);
  });

  test('the requester cannot approve its own call (four-eyes), even as an allowed confirmer; the call stays waiting', async () => {
    // An MCP requester that is the same principal as the Slack user (a requester id mapped to a Slack user).
    const { id, runner } = await ask('mcp', 'slack:U0BOB', 'own');
    await approvals.approveClick(request(confirmationRef(id), 'U0BOB'));
    assert.match(said.at(-1)!, /four-eyes/);
    assert.equal((await store.getConfirmation(id))!.state, 'pending');
    const tried = await runner.run(counted.tool, { target: 'own', confirmation_id: id }, ctx('slack:U0BOB'));
    assert.ok(tried.ok && tried.output.status === 'refused');
    assert.equal(counted.runs(), 0);
  });

  test('a Slack-issued confirmation is not approvable this way: only its Confirm button redeems it', async () => {
    const { id } = await ask('slack', 'slack:U0ALICE', 'slack-one');
    await approvals.approveClick(request(id, 'U0BOB'));
    assert.match(said.at(-1)!, /asked for in Slack/);
    assert.equal((await store.getConfirmation(id))!.state, 'pending');
  });

  test('an allowed confirmer approves once; a second click is refused; approving runs nothing; the requester then runs it once', async () => {
    const { id, runner } = await ask('mcp', 'mcp:assistant', 'approved');
    await approvals.approveClick(request(confirmationRef(id), 'U0MALLORY'));
    assert.match(said.at(-1)!, /may not approve/);
    await approvals.approveClick(request(confirmationRef(id), 'U0BOB'));
    assert.match(said.at(-1)!, /approved by U0BOB/);
    await approvals.approveClick(request(confirmationRef(id), 'U0BOB'));
    assert.match(said.at(-1)!, /already approved|no waiting confirmation/);
    assert.equal(counted.runs(), 0);
    const done = await runner.run(counted.tool, { target: 'approved', confirmation_id: id }, ctx('mcp:assistant'));
    assert.ok(done.ok && done.output.status === 'done', JSON.stringify(done));
    assert.equal(counted.runs(), 1);
    const refusals = (await store.recentAudit(100)).filter((e) => e.confirmation_id === id && e.event === 'refused' && e.detail.stage === 'slack_approve_click');
    assert.ok(refusals.some((e) => e.confirmer === 'slack:U0MALLORY'), 'the unauthorised click is audited');
  });

  test('claimOnce: the first caller wins, a live claim refuses, an expired one can be claimed again', async () => {
    const t0 = new Date('2026-12-03T12:00:00Z');
    assert.equal(await store.claimOnce('k', 1_000, t0), true);
    assert.equal(await store.claimOnce('k', 1_000, new Date(t0.getTime() + 999)), false);
    assert.equal(await store.claimOnce('k', 1_000, new Date(t0.getTime() + 1_000)), true);
  });

  test('claimOnce: a short claim made after a longer one still ends on time, and a claim made again is live for its whole TTL', async () => {
    const t0 = new Date('2026-12-04T12:00:00Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    assert.equal(await store.claimOnce('long', 10_000, t0), true);
    assert.equal(await store.claimOnce('short', 1_000, at(1)), true);
    // The sweep stops at the live long claim; the ended short one behind it must not refuse.
    assert.equal(await store.claimOnce('short', 1_000, at(2_000)), true);
    assert.equal(await store.claimOnce('short', 1_000, at(2_500)), false);
    assert.equal(await store.claimOnce('long', 10_000, at(9_999)), false);
    // Both ended: 'long' is claimed again and moves behind 'short', whose claim (made at 2 s) ends at 3 s.
    assert.equal(await store.claimOnce('long', 10_000, at(10_000)), true);
    assert.equal(await store.claimOnce('short', 1_000, at(10_001)), true);
    assert.equal(await store.claimOnce('long', 10_000, at(19_999)), false);
    assert.equal(await store.claimOnce('long', 10_000, at(20_000)), true);
  });
});
