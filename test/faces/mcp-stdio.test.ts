// The MCP face as a real client sees it: the bundled `crdb-tls mcp` runs as a child process and
// the MCP SDK client talks to it over stdio. Nothing is mocked; every file is written for real
// into a temporary certs dir that is also the only allowed root (CRDB_TLS_ROOTS).
//
// Schema snapshot: test/__snapshots__/tools.json holds what tools/list answers (name, title,
// annotations, inputSchema, outputSchema per tool, keys sorted). Regenerate it after an intended
// change with: UPDATE_SNAPSHOTS=1 node --import tsx --test test/faces/mcp-stdio.test.ts
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { catalog } from '../../tools/catalog.js';
import { requireSystemTool } from '../support/system-tools.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLE = path.join(REPO, 'dist', 'crdb-tls.mjs');
const SNAPSHOT = path.join(REPO, 'test', '__snapshots__', 'tools.json');
const SNAPSHOT_LABEL = 'test/__snapshots__/tools.json';

const READ_TOOLS = ['list_certs', 'inspect_certificate', 'audit_log', 'diagnose_error', 'connection_string', 'encode_changefeed_uri', 'decode_changefeed_uri', 'get_client_ca', 'probe_server', 'test_connection', 'check_expiry', 'plan_rotation', 'get_rotation_plan'];
const CREATE_TOOLS = ['create_ca', 'create_client_ca', 'create_node_cert', 'create_client_cert', 'download_ca', 'set_client_ca', 'remove_client_ca', 'apply_rotation_step', 'rollback_rotation_step', 'prune_rotation_backups', 'reload_node_certs'];
const ANNOTATION_KEYS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;
const ENVELOPE_STATUSES = ['done', 'dry_run', 'confirmation_required', 'refused'];
// pkg/security/username/username.go (reference §1.2): the hint CockroachDB gives for a bad user name.
const COCKROACH_USERNAME_HINT = 'Usernames are case insensitive, must start with a letter, digit or underscore';

// ---- shapes of the answers this file reads (the SDK client already validated them against outputSchema)

interface CertInfo {
  subject: string;
  common_name: string;
  is_ca: boolean;
  days_left: number;
  ext_key_usage: string[];
  sans: { dns: string[]; ip: string[]; uri: string[] };
}
interface Assessment { severity: string; impact: string; changes: string[]; rollback: string }
interface Envelope<R> { status: string; result?: R; assessment?: Assessment }
interface CaResult { certificate_file: string; key_file: string; key_reused: boolean; bundle: CertInfo[] }
interface LeafResult { certificate_file: string; key_file?: string; signed_by: string; certificate: CertInfo }
interface ListRow { usage: string; certificate_file: string; key_file: string; days_left: number | null; notes: string; error: string }
interface Listing { rows: ListRow[] }
interface Inspection { certificates: CertInfo[]; chain: { verified: boolean; path: string[]; error?: string } | null }

interface CallRecord { name: string; args: Record<string, unknown>; isError: boolean; text: string; structured: unknown }

type JsonObject = { [key: string]: unknown };
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Object keys sorted at every depth, array order kept: a stable text for the snapshot. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (isObject(value)) return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical(value[key])]));
  return value;
}

/** JSON paths where `expected` and `actual` differ, for a readable failure. */
function differences(expected: unknown, actual: unknown, at = '$'): string[] {
  const brief = (v: unknown) => {
    const text = v === undefined ? '(absent)' : JSON.stringify(v);
    return text.length > 100 ? `${text.slice(0, 97)}...` : text;
  };
  if (isObject(expected) && isObject(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
    return keys.flatMap((key) => differences(expected[key], actual[key], `${at}.${key}`));
  }
  if (Array.isArray(expected) && Array.isArray(actual) && expected.length === actual.length) {
    return expected.flatMap((item, i) => differences(item, actual[i], `${at}[${i}]`));
  }
  return JSON.stringify(expected) === JSON.stringify(actual) ? [] : [`${at}: snapshot ${brief(expected)}, live ${brief(actual)}`];
}

function snapshotOf(tools: Tool[]): unknown {
  return canonical(tools.map((tool) => ({
    name: tool.name,
    title: tool.title,
    annotations: tool.annotations,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema,
  })));
}

/** Every file under `dir`, relative, sorted: to prove a dry run wrote nothing. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((rel) => fs.statSync(path.join(dir, rel)).isFile())
    .sort();
}

/** The base64 body of a PEM private key, joined and line by line. */
function keyBodyFragments(pem: string): string[] {
  const lines = pem.split(/\r?\n/).filter((line) => line && !line.startsWith('-----'));
  return [lines.join(''), ...lines.filter((line) => line.length >= 40)];
}

describe('crdb-tls mcp served over stdio to the MCP SDK client', () => {
  let tmp = '';
  let client: Client;
  let transport: StdioClientTransport;
  let listed: Tool[] = [];
  const stderrChunks: Buffer[] = [];
  let stderrEnded: Promise<void> = Promise.resolve();
  let clientClosed = false;
  const protocolErrors: Error[] = [];
  const calls: CallRecord[] = [];
  const inTmp = (...parts: string[]) => path.join(tmp, ...parts);
  const certsDir = () => inTmp('certs');
  const caKey = () => inTmp('safe', 'ca.key');

  /** tools/call through the SDK client; records the answer for the secrets check. */
  async function call(name: string, args: Record<string, unknown>): Promise<CallRecord> {
    const result = await client.callTool({ name, arguments: args });
    const content = (result.content ?? []) as Array<{ type: string; text?: string }>;
    const record: CallRecord = {
      name,
      args,
      isError: result.isError === true,
      text: content.filter((c) => c.type === 'text').map((c) => c.text ?? '').join('\n'),
      structured: result.structuredContent,
    };
    calls.push(record);
    return record;
  }

  async function callOk<T>(name: string, args: Record<string, unknown>): Promise<{ text: string; out: T }> {
    const record = await call(name, args);
    assert.equal(record.isError, false, `${name} failed: ${record.text}`);
    assert.ok(record.structured, `${name} returned no structuredContent`);
    assert.ok(record.text.trim().length > 0, `${name} returned an empty text summary`);
    return { text: record.text, out: record.structured as T };
  }

  async function assertStillServing(after: string) {
    const again = await client.listTools();
    assert.deepEqual(again.tools.map((t) => t.name), catalog.map((t) => t.name), `tools/list after ${after} no longer lists the catalog`);
  }

  before(async () => {
    assert.ok(fs.existsSync(BUNDLE), `${BUNDLE} is missing: run \`npm run build\` first`);
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-mcp-')));
    // The docs' recipe: mkdir certs my-safe-directory (the CA key lives outside the certs dir).
    fs.mkdirSync(inTmp('certs'), { mode: 0o700 });
    fs.mkdirSync(inTmp('safe'), { mode: 0o700 });

    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
    delete env.COCKROACH_CERTS_DIR;
    delete env.COCKROACH_CA_KEY;
    Object.assign(env, { CRDB_TLS_ROOTS: tmp, CRDB_TLS_LOG_LEVEL: 'debug', CRDB_TLS_STATE_DIR: inTmp('state') });

    transport = new StdioClientTransport({ command: process.execPath, args: [BUNDLE, 'mcp'], cwd: tmp, env, stderr: 'pipe' });
    const stderr = transport.stderr;
    assert.ok(stderr, 'stderr: pipe gives the client a stderr stream');
    stderr.on('data', (chunk: Buffer | string) => { stderrChunks.push(Buffer.from(chunk)); });
    stderrEnded = new Promise((resolve) => stderr.once('end', () => resolve()));

    client = new Client({ name: 'test', version: '1' });
    // A stdout line that is not JSON-RPC does not fail a request: the transport reports it here.
    client.onerror = (error) => { protocolErrors.push(error); };
    await client.connect(transport);
    // listTools also makes the client cache every outputSchema; from then on callTool throws
    // when a tool's structuredContent does not match its schema.
    listed = (await client.listTools()).tools;
  });

  after(async () => {
    if (!clientClosed) await client?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  // ---- tools/list ---------------------------------------------------------------------------

  test('tools/list offers exactly the tools of the catalog, in catalog order', () => {
    assert.deepEqual(listed.map((t) => t.name), catalog.map((t) => t.name));
    assert.deepEqual([...listed.map((t) => t.name)].sort(), [...READ_TOOLS, ...CREATE_TOOLS].sort());
  });

  test('every tool has a title, a description, object input and output schemas and all four annotations as booleans', () => {
    for (const tool of listed) {
      assert.ok(tool.title && tool.title.trim(), `${tool.name} has no title`);
      assert.ok(tool.description && tool.description.trim().length > 20, `${tool.name} has no real description`);
      assert.equal(tool.inputSchema.type, 'object', `${tool.name} inputSchema`);
      assert.equal(tool.outputSchema?.type, 'object', `${tool.name} outputSchema`);
      const annotations = (tool.annotations ?? {}) as Record<string, unknown>;
      for (const key of ANNOTATION_KEYS) {
        assert.equal(typeof annotations[key], 'boolean', `${tool.name}: annotation ${key} is not set explicitly (got ${JSON.stringify(annotations[key])})`);
      }
      const declared = catalog.find((t) => t.name === tool.name)!.annotations;
      for (const key of ANNOTATION_KEYS) assert.equal(annotations[key], declared[key], `${tool.name}: ${key} on the wire differs from the catalog`);
    }
  });

  test('reading tools are read-only and not destructive; create tools are not read-only; plan_rotation says it saves its plan', () => {
    for (const name of READ_TOOLS) {
      const annotations = listed.find((t) => t.name === name)?.annotations;
      // plan_rotation saves the plan it makes in the store: truthfully not read-only, though ungated.
      assert.equal(annotations?.readOnlyHint, name !== 'plan_rotation', `${name} readOnlyHint`);
      assert.equal(annotations?.destructiveHint, false, `${name} destructiveHint`);
    }
    for (const name of CREATE_TOOLS) {
      assert.equal(listed.find((t) => t.name === name)?.annotations?.readOnlyHint, false, `${name} readOnlyHint`);
    }
  });

  test('mutating tools take confirmation_id and dry_run and answer with a status envelope; reading tools do not', () => {
    for (const name of CREATE_TOOLS) {
      const tool = listed.find((t) => t.name === name)!;
      const input = tool.inputSchema.properties ?? {};
      assert.ok('confirmation_id' in input, `${name} input has no confirmation_id`);
      assert.ok('dry_run' in input, `${name} input has no dry_run`);
      const status = (tool.outputSchema?.properties ?? {}).status as { enum?: string[] } | undefined;
      assert.ok(status?.enum, `${name} output has no status enum`);
      for (const value of ENVELOPE_STATUSES) assert.ok(status.enum.includes(value), `${name} status enum lacks ${value}: ${JSON.stringify(status.enum)}`);
    }
    for (const name of READ_TOOLS) {
      const input = listed.find((t) => t.name === name)!.inputSchema.properties ?? {};
      assert.ok(!('dry_run' in input) && !('confirmation_id' in input), `${name} is read-only but offers gate fields`);
    }
  });

  test(`the tool schemas match the committed snapshot ${SNAPSHOT_LABEL}`, (t) => {
    const live = snapshotOf(listed);
    const liveText = `${JSON.stringify(live, null, 2)}\n`;
    if (process.env.UPDATE_SNAPSHOTS === '1') {
      fs.mkdirSync(path.dirname(SNAPSHOT), { recursive: true });
      fs.writeFileSync(SNAPSHOT, liveText);
      t.diagnostic(`wrote ${SNAPSHOT_LABEL} (${listed.length} tools)`);
      return;
    }
    const regenerate = 'If the change is intended, regenerate it with `UPDATE_SNAPSHOTS=1 node --import tsx --test test/faces/mcp-stdio.test.ts`, review the diff and commit it.';
    assert.ok(fs.existsSync(SNAPSHOT), `${SNAPSHOT_LABEL} does not exist: create it with \`UPDATE_SNAPSHOTS=1 node --import tsx --test test/faces/mcp-stdio.test.ts\` and commit it.`);
    const stored = JSON.parse(fs.readFileSync(SNAPSHOT, 'utf8')) as unknown;
    const storedNames = Array.isArray(stored) ? stored.map((s) => (isObject(s) ? s.name : undefined)) : [];
    const liveNames = listed.map((tool) => tool.name);
    const added = liveNames.filter((n) => !storedNames.includes(n));
    const removed = storedNames.filter((n) => !liveNames.includes(n as string));
    if (added.length || removed.length) {
      assert.fail(`tools/list differs from ${SNAPSHOT_LABEL}: added ${JSON.stringify(added)}, removed ${JSON.stringify(removed)}. ${regenerate}`);
    }
    // Same tools: compare each by name so that a failure names the tool, not an index.
    const storedByName = new Map((stored as JsonObject[]).map((s) => [s.name, s]));
    const diffs = (live as JsonObject[]).flatMap((tool) => differences(storedByName.get(tool.name), tool, String(tool.name)));
    if (JSON.stringify(storedNames) !== JSON.stringify(liveNames)) diffs.push(`tool order: snapshot ${JSON.stringify(storedNames)}, live ${JSON.stringify(liveNames)}`);
    if (diffs.length) {
      const shown = diffs.slice(0, 25).map((d) => `  ${d}`).join('\n');
      assert.fail(`tools/list differs from ${SNAPSHOT_LABEL} in ${diffs.length} place(s):\n${shown}${diffs.length > 25 ? '\n  ...' : ''}\n${regenerate}`);
    }
    assert.equal(liveText, fs.readFileSync(SNAPSHOT, 'utf8'), `${SNAPSHOT_LABEL} is not in canonical form. ${regenerate}`);
  });

  // ---- calls that write certificates ----------------------------------------------------------

  test('create_ca writes ca.crt with the Cockroach CA and a new CA key, and says which file it wrote', async () => {
    const { text, out } = await callOk<Envelope<CaResult>>('create_ca', { certs_dir: 'certs', ca_key: 'safe/ca.key' });
    assert.equal(out.status, 'done');
    const first = out.result?.bundle[0];
    assert.ok(first, 'the bundle holds the new CA');
    assert.match(first.subject, /CN=Cockroach CA/);
    assert.match(first.subject, /O=Cockroach/);
    assert.equal(first.is_ca, true);
    assert.equal(out.result?.key_reused, false);
    assert.ok(text.includes(path.join(certsDir(), 'ca.crt')), `summary does not name ca.crt: ${text}`);
    // reference §1.3: certs 0644, keys 0600.
    assert.equal(fs.statSync(path.join(certsDir(), 'ca.crt')).mode & 0o777, 0o644);
    assert.equal(fs.statSync(caKey()).mode & 0o777, 0o600);
  });

  test('create_node_cert issues node.crt for localhost and 127.0.0.1 signed by the new CA', async () => {
    const { text, out } = await callOk<Envelope<LeafResult>>('create_node_cert', { hosts: ['localhost', '127.0.0.1'], certs_dir: 'certs', ca_key: 'safe/ca.key' });
    assert.equal(out.status, 'done');
    const cert = out.result!.certificate;
    assert.equal(cert.common_name, 'node');
    assert.deepEqual(cert.sans.dns, ['localhost']);
    assert.deepEqual(cert.sans.ip, ['127.0.0.1']);
    assert.deepEqual([...cert.ext_key_usage].sort(), ['clientAuth', 'serverAuth']);
    assert.ok(text.includes(path.join(certsDir(), 'node.crt')), `summary does not name node.crt: ${text}`);
    assert.ok(fs.existsSync(path.join(certsDir(), 'node.crt')));
    assert.equal(fs.statSync(path.join(certsDir(), 'node.key')).mode & 0o777, 0o600);
  });

  test('create_client_cert for alice writes client.alice.crt and client.alice.key', async () => {
    const { text, out } = await callOk<Envelope<LeafResult>>('create_client_cert', { user: 'alice', certs_dir: 'certs', ca_key: 'safe/ca.key' });
    assert.equal(out.status, 'done');
    assert.equal(out.result!.certificate.common_name, 'alice');
    assert.deepEqual(out.result!.certificate.ext_key_usage, ['clientAuth']);
    assert.ok(text.includes(path.join(certsDir(), 'client.alice.crt')), `summary does not name client.alice.crt: ${text}`);
    assert.ok(fs.existsSync(path.join(certsDir(), 'client.alice.crt')));
    assert.equal(fs.statSync(path.join(certsDir(), 'client.alice.key')).mode & 0o777, 0o600);
  });

  // ---- reading tools ----------------------------------------------------------------------------

  test('list_certs shows the CA, Node and Client rows with years left', async () => {
    const { out } = await callOk<Listing>('list_certs', { certs_dir: 'certs' });
    const row = (usage: string) => {
      const found = out.rows.find((r) => r.usage === usage);
      assert.ok(found, `no ${usage} row in ${JSON.stringify(out.rows.map((r) => r.usage))}`);
      return found;
    };
    const ca = row('CA');
    const node = row('Node');
    const client = row('Client');
    assert.equal(ca.certificate_file, 'ca.crt');
    assert.equal(node.certificate_file, 'node.crt');
    assert.equal(node.key_file, 'node.key');
    assert.equal(client.certificate_file, 'client.alice.crt');
    assert.equal(client.notes, 'user: alice');
    for (const r of [ca, node, client]) {
      assert.ok(r.days_left !== null && r.days_left > 1000, `${r.certificate_file}: days_left ${r.days_left}`);
      assert.equal(r.error, '', `${r.certificate_file}: ${r.error}`);
    }
  });

  test('inspect_certificate verifies node.crt against ca.crt, and openssl agrees', async (t) => {
    const { out } = await callOk<Inspection>('inspect_certificate', { certificate: 'certs/node.crt', ca: 'certs/ca.crt' });
    assert.equal(out.certificates[0]?.common_name, 'node');
    assert.ok(out.chain, 'a chain result is given when ca is passed');
    assert.equal(out.chain.verified, true, `chain not verified: ${out.chain.error}`);
    const openssl = requireSystemTool(t, 'openssl');
    if (!openssl) return;
    const verdict = execFileSync(openssl, ['verify', '-CAfile', path.join(certsDir(), 'ca.crt'), path.join(certsDir(), 'node.crt')], { encoding: 'utf8' });
    assert.match(verdict, /: OK/);
  });

  // ---- dry runs ---------------------------------------------------------------------------------

  test('a dry run of a client certificate for bob is low severity, lists both files and writes nothing', async () => {
    const before = filesUnder(tmp);
    const { out } = await callOk<Envelope<LeafResult>>('create_client_cert', { user: 'bob', certs_dir: 'certs', ca_key: 'safe/ca.key', dry_run: true });
    assert.equal(out.status, 'dry_run');
    assert.equal(out.result, undefined, 'a dry run has no result');
    assert.equal(out.assessment?.severity, 'low');
    const changes = out.assessment!.changes;
    for (const file of ['client.bob.crt', 'client.bob.key']) {
      assert.ok(changes.some((c) => c.includes(path.join(certsDir(), file))), `${file} not in changes: ${JSON.stringify(changes)}`);
    }
    assert.deepEqual(filesUnder(tmp), before, 'the dry run wrote or removed files');
    assert.ok(!fs.existsSync(path.join(certsDir(), 'client.bob.crt')));
  });

  test('a dry run of a client certificate for root is high severity and writes nothing', async () => {
    const before = filesUnder(tmp);
    const { out } = await callOk<Envelope<LeafResult>>('create_client_cert', { user: 'root', certs_dir: 'certs', ca_key: 'safe/ca.key', dry_run: true });
    assert.equal(out.status, 'dry_run');
    assert.equal(out.assessment?.severity, 'high');
    assert.deepEqual(filesUnder(tmp), before, 'the dry run wrote or removed files');
  });

  test('a dry run of a CA rotation over the existing ca.crt is high severity and leaves ca.crt and the key untouched', async () => {
    const caCrt = path.join(certsDir(), 'ca.crt');
    const crtBefore = fs.readFileSync(caCrt);
    const keyBefore = fs.readFileSync(caKey());
    const files = filesUnder(tmp);
    const { out } = await callOk<Envelope<CaResult>>('create_ca', { certs_dir: 'certs', ca_key: 'safe/ca.key', overwrite: true, allow_ca_key_reuse: true, dry_run: true });
    assert.equal(out.status, 'dry_run');
    assert.equal(out.assessment?.severity, 'high');
    assert.ok(out.assessment!.changes.some((c) => c.includes(caCrt)), `ca.crt not in changes: ${JSON.stringify(out.assessment!.changes)}`);
    assert.ok(fs.readFileSync(caCrt).equals(crtBefore), 'ca.crt changed during a dry run');
    assert.ok(fs.readFileSync(caKey()).equals(keyBefore), 'the CA key changed during a dry run');
    assert.deepEqual(filesUnder(tmp), files);
  });

  // ---- errors -----------------------------------------------------------------------------------

  test('listing /etc, outside CRDB_TLS_ROOTS, is refused and the server keeps serving', async () => {
    const record = await call('list_certs', { certs_dir: '/etc' });
    assert.equal(record.isError, true, `list_certs /etc did not fail: ${record.text.slice(0, 200)}`);
    assert.match(record.text, /outside the allowed directories/);
    await assertStillServing('an outside-roots error');
  });

  test('a key_size that is not a number is rejected as invalid input and the server keeps serving', async () => {
    const files = filesUnder(tmp);
    const record = await call('create_client_cert', { user: 'carol', certs_dir: 'certs', ca_key: 'safe/ca.key', key_size: 'big' });
    assert.equal(record.isError, true);
    assert.match(record.text, /key_size/);
    assert.deepEqual(filesUnder(tmp), files, 'an invalid call wrote files');
    await assertStillServing('an input validation error');
  });

  test('a user name with a space is refused with CockroachDB\'s user name hint and the server keeps serving', async () => {
    const files = filesUnder(tmp);
    const record = await call('create_client_cert', { user: 'bad user', certs_dir: 'certs', ca_key: 'safe/ca.key' });
    assert.equal(record.isError, true);
    assert.match(record.text, /username is invalid/);
    assert.ok(record.text.includes(COCKROACH_USERNAME_HINT), `no user name hint in: ${record.text}`);
    assert.deepEqual(filesUnder(tmp), files, 'a refused call wrote files');
    await assertStillServing('an invalid user name');
  });

  // ---- secrets and stream hygiene -------------------------------------------------------------------

  test('no answer of any call carries a private key or the body of a generated key file', () => {
    const keyFiles = [caKey(), path.join(certsDir(), 'node.key'), path.join(certsDir(), 'client.alice.key')];
    const fragments = keyFiles.flatMap((file) => {
      const pem = fs.readFileSync(file, 'utf8');
      assert.match(pem, /PRIVATE KEY/, `${file} is not a PEM private key, so this check would prove nothing`);
      return keyBodyFragments(pem).map((fragment) => ({ file, fragment }));
    });
    assert.ok(calls.length >= 11, `only ${calls.length} calls were recorded: the tests above did not all run`);
    for (const record of calls) {
      const answer = `${record.text}\n${JSON.stringify(record.structured ?? null)}`;
      assert.ok(!answer.includes('PRIVATE KEY'), `${record.name} ${JSON.stringify(record.args)} answered with a private key`);
      for (const { file, fragment } of fragments) {
        assert.ok(!answer.includes(fragment), `${record.name} ${JSON.stringify(record.args)} answered with part of ${file}`);
      }
    }
  });

  test('stdout carries only the protocol and stderr only JSON log lines without keys', async () => {
    // Every call above went through while the server logged at debug level; one more round trip
    // after them, then the transport must not have seen a single unparsable stdout line.
    await assertStillServing('all the calls above');
    assert.deepEqual(protocolErrors.map((e) => e.message), [], 'the client transport reported errors (a non-JSON-RPC line on stdout?)');

    await client.close();
    clientClosed = true;
    await Promise.race([stderrEnded, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);

    const stderrText = Buffer.concat(stderrChunks).toString('utf8');
    const lines = stderrText.split('\n').filter((line) => line.trim() !== '');
    assert.ok(lines.length > 0, 'with CRDB_TLS_LOG_LEVEL=debug the server logged nothing on stderr, so this check proves nothing');
    for (const line of lines) {
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        assert.fail(`stderr line is not a JSON log line: ${line.slice(0, 200)}`);
      }
      assert.ok(isObject(entry) && typeof entry.level === 'number' && typeof entry.msg === 'string', `stderr line is not a pino entry: ${line.slice(0, 200)}`);
    }
    assert.ok(!stderrText.includes('PRIVATE KEY'), 'a private key reached stderr');
    const keyFiles = [caKey(), path.join(certsDir(), 'node.key'), path.join(certsDir(), 'client.alice.key')];
    for (const file of keyFiles) {
      for (const fragment of keyBodyFragments(fs.readFileSync(file, 'utf8'))) {
        assert.ok(!stderrText.includes(fragment), `part of ${file} reached stderr`);
      }
    }
  });
});
