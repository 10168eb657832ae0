// CRDB_TLS_NETWORK_ALLOW / CRDB_TLS_PASSWORD_HOSTS: the rule syntax, the matching (names, globs,
// CIDRs, ports, IPv4-mapped IPv6), the check after name resolution, and the faces' defaults. The
// resolver is a stand-in only where DNS itself is the attacker (a name that resolves to loopback or
// to the cloud metadata address, an answer that changes between two lookups).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { ToolError } from '../../src/core/errors.js';
import { HostList, HostListError, NetworkPolicy, type Lookup } from '../../src/net/policy.js';

const list = (value: string) => HostList.parse(value, { kind: 'variable', variable: 'CRDB_TLS_NETWORK_ALLOW' });
const resolver = (answers: Record<string, string[]>): Lookup => async (host) => {
  const addresses = answers[host];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

async function refusal(promise: Promise<unknown>): Promise<ToolError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ToolError, `a ToolError, got ${String(error)}`);
    return error;
  }
  assert.fail('the target was admitted');
}

describe('the rule syntax', () => {
  test('names, globs, IPv4 and IPv6 addresses and networks, each with an optional port', () => {
    const l = list('db.example.com, *.internal:26257, 10.0.0.0/8, 192.168.1.7:5432, ::1, [fd00::/8]:26257, 2001:db8::5');
    assert.equal(l.describe(), 'db.example.com,*.internal:26257,10.0.0.0/8,192.168.1.7:5432,::1,[fd00::/8]:26257,2001:db8::5');
    assert.ok(l.allows('DB.Example.com.', '203.0.113.9', 1234), 'a name is case-insensitive, a trailing dot ignored, any port');
    assert.ok(l.allows('n1.eu.internal', '10.9.9.9', 26257), 'a glob covers several labels');
    assert.ok(!l.allows('n1.eu.internal', '203.0.113.9', 26258), 'a glob rule with a port allows that port only');
    assert.ok(!l.allows('internal', '203.0.113.9', 26257), '*.internal does not cover internal itself');
    assert.ok(l.allows('10.200.1.1', '10.200.1.1', 80), 'an address in 10/8');
    assert.ok(!l.allows('11.0.0.1', '11.0.0.1', 80));
    assert.ok(l.allows('192.168.1.7', '192.168.1.7', 5432) && !l.allows('192.168.1.7', '192.168.1.7', 5433));
    assert.ok(l.allows('fd12::1', 'fd12::1', 26257) && !l.allows('fd12::1', 'fd12::1', 26258));
    assert.ok(l.allows('2001:db8::5', '2001:DB8:0:0:0:0:0:5', 1));
  });

  test('an IPv4-mapped IPv6 address is matched as the IPv4 address it is', () => {
    const l = list('10.0.0.0/8');
    assert.ok(l.allows('::ffff:10.1.2.3', '::ffff:10.1.2.3', 1));
    assert.ok(!list('db.example.com').allows('::ffff:127.0.0.1', '::ffff:127.0.0.1', 26257));
  });

  for (const bad of ['db.example.com:0', 'db.example.com:70000', 'host:port', '10.0.0.0/33', '[fd00::/8', '[fd00::]x', 'a b', 'fd00::/129', 'http://x', '[db.example.com]:1']) {
    test(`${JSON.stringify(bad)} is refused with the variable named`, () => {
      assert.throws(() => list(bad), (error: unknown) => error instanceof HostListError && /CRDB_TLS_NETWORK_ALLOW/.test(error.message));
    });
  }
});

describe('the check after name resolution', () => {
  test('a name rule never reaches loopback, link-local (metadata) or unspecified addresses; an address rule does', async () => {
    const lookup = resolver({ 'evil.example.com': ['127.0.0.1'], 'meta.example.com': ['169.254.169.254'], 'zero.example.com': ['0.0.0.0'], 'v6.example.com': ['::1'], 'ok.example.com': ['203.0.113.5'] });
    const policy = new NetworkPolicy(list('*.example.com'), lookup);
    for (const host of ['evil.example.com', 'meta.example.com', 'zero.example.com', 'v6.example.com']) {
      const error = await refusal(policy.admit(host, 26257));
      assert.equal(error.code, 'refused');
      assert.match(error.message, /it resolves to/);
      assert.match(error.message, /Nothing was sent/);
      assert.match(error.hint ?? '', /CRDB_TLS_NETWORK_ALLOW/);
    }
    assert.deepEqual(await policy.admit('ok.example.com', 26257), { address: '203.0.113.5', family: 4 });
    const withLoopback = new NetworkPolicy(list('*.example.com,127.0.0.1'), lookup);
    assert.deepEqual(await withLoopback.admit('evil.example.com', 26257), { address: '127.0.0.1', family: 4 });
  });

  test('a name outside the names passes only by an address rule, and the address admitted is the one checked', async () => {
    const policy = new NetworkPolicy(list('10.0.0.0/8'), resolver({ 'mixed.example.org': ['203.0.113.1', '10.1.1.1'], 'outside.example.org': ['203.0.113.1'] }));
    assert.deepEqual(await policy.admit('mixed.example.org', 26257), { address: '10.1.1.1', family: 4 });
    await refusal(policy.admit('outside.example.org', 26257));
  });

  test('DNS rebinding: the second answer of a name is never used without being checked', async () => {
    let calls = 0;
    const rebinding: Lookup = async () => (calls++ === 0 ? [{ address: '203.0.113.7', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
    const policy = new NetworkPolicy(list('rebind.example.com'), rebinding);
    assert.deepEqual(await policy.admit('rebind.example.com', 26257), { address: '203.0.113.7', family: 4 });
    await refusal(policy.admit('rebind.example.com', 26257));
  });

  test('numeric forms libc reads as loopback (127.1, 2130706433) are names that resolve to loopback: refused by a name glob', async () => {
    const policy = new NetworkPolicy(list('*'));
    for (const host of ['127.1', '2130706433', '0x7f.1']) await refusal(policy.admit(host, 26257));
  });

  test('admitAll stops at the first refused target and leaves an unresolvable name to the probe', async () => {
    const policy = new NetworkPolicy(list('ok.example.com'), resolver({ 'ok.example.com': ['203.0.113.5'], 'no.example.com': ['203.0.113.6'] }));
    await policy.admitAll([{ host: 'ok.example.com', port: 1 }, { host: 'missing.example.com', port: 1 }]);
    await refusal(policy.admitAll([{ host: 'ok.example.com', port: 1 }, { host: 'no.example.com', port: 1 }]));
  });
});

describe('the defaults of each face', () => {
  test('CLI unrestricted; MCP stdio loopback and Cloud; MCP HTTP and Slack loopback only; the variable replaces the default everywhere', async () => {
    assert.equal(await loadConfig('cli', {}).network.admit('203.0.113.1', 26257), null);
    const stdio = loadConfig('mcp', {}).network;
    assert.deepEqual(await stdio.admit('127.0.0.1', 26257), { address: '127.0.0.1', family: 4 });
    assert.deepEqual(await stdio.admit('::1', 26257), { address: '::1', family: 6 });
    assert.ok(stdio.list.allows('my-cluster-123.5xj.cockroachlabs.cloud', '34.1.2.3', 26257));
    assert.ok(!stdio.list.allows('my-cluster-123.5xj.cockroachlabs.cloud', '34.1.2.3', 8080));
    for (const face of ['mcp-http', 'slack'] as const) {
      const policy = loadConfig(face, {}).network;
      assert.deepEqual(await policy.admit('127.0.0.2', 5432), { address: '127.0.0.2', family: 4 });
      const error = await refusal(policy.admit('10.0.0.1', 26257));
      assert.match(error.message, /CRDB_TLS_NETWORK_ALLOW is unset/);
      assert.equal(loadConfig(face, {}).passwordHosts.allows('127.0.0.1', '127.0.0.1', 26257), false, 'no host gets the environment password by default');
    }
    const set = loadConfig('cli', { CRDB_TLS_NETWORK_ALLOW: '127.0.0.1:26257' }).network;
    await refusal(set.admit('127.0.0.1', 26258));
    assert.throws(() => loadConfig('slack', { CRDB_TLS_NETWORK_ALLOW: 'db:99999' }), (error: unknown) => error instanceof ToolError && error.code === 'invalid_input');
  });
});
