// Every tool of the catalog, fed generated input through the runner (in process, as every face
// calls it): values shaped by the tool's own input schema so that they reach the domain code, with
// hostile strings everywhere (NUL, lone surrogates, invalid UTF-8, 10 MB), paths with `..` and
// symlinks out of the allowed root, a FIFO, certificates cut or bit-flipped, peers that answer junk
// or nothing, wrong types and whole inputs that are not objects.
//
// For each call: a result or a structured error (never a thrown exception, never code `internal`,
// which is how the runner reports an exception a tool did not expect), an answer within HANG_MS
// (each call is cancelled at ABORT_MS), an output that matches the tool's output schema, every file
// a tool wrote inside the root whole (no temp file left, every PEM block parses), and nothing
// outside the root changed. Run counts: see test/support/fuzz.ts (FUZZ_RUNS, FUZZ_SEED).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import * as z from 'zod';
import fc from 'fast-check';
import { catalog } from '../../tools/catalog.js';
import { publicInputSchema, publicOutputSchema } from '../../src/core/envelope.js';
import type { ErrorCode } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/log.js';
import { Runner } from '../../src/core/runner.js';
import { createRuntime, type Runtime } from '../../src/core/runtime.js';
import { isMutating, type ToolContext, type ToolDefinition } from '../../src/core/tool.js';
import { anyValue, brief, brokenFiles, contentSnapshot, fuzzParameters, hostileString, makeMaterial, makeSandbox, mutatedPem, runs, startHostilePeers, type HostilePeers, type Material, type Sandbox } from '../support/fuzz.js';

/** Each call is cancelled (ctx.signal) after this long... */
const ABORT_MS = 1_500;
/** ...and must have answered by this time. */
const HANG_MS = ABORT_MS + 60_000;
const KNOWN_CODES: ErrorCode[] = ['invalid_input', 'not_found', 'already_exists', 'permission_denied', 'outside_roots', 'invalid_certificate', 'invalid_key', 'invalid_csr', 'lifetime_exceeds_ca', 'refused', 'input_too_large', 'unavailable', 'operation_failed', 'cancelled', 'internal'];

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  maxItems?: number;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

let material: Material;
let sandbox: Sandbox;
let peers: HostilePeers;
let runtime: Runtime;
/** The same store under two policies: `never` lets mutating calls run, `low` makes each one ask. */
let runners: { never: Runner; low: Runner };
let outsideBefore: string[] = [];
const originalHome = process.env.HOME;
const originalCwd = process.cwd();

/** Opens every FIFO in the root for writing and closes it: a reader blocked on one gets EOF. */
function releaseFifos(): void {
  for (const fifo of [`${sandbox.root}/fifo-dir/ca.crt`]) {
    try {
      fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    } catch {
      // nobody is reading it
    }
  }
}

// ---- inputs ------------------------------------------------------------------------------------

function uris(): string[] {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const ca = b64(material.caPem);
  return [
    `postgresql://root@127.0.0.1:${peers.junkPort}/defaultdb?sslmode=verify-full&sslrootcert=certs/ca.crt`,
    `postgresql://alice:pw%00@127.0.0.1:${peers.silentPort}/db?sslmode=require&sslcert=certs/client.alice.crt&sslkey=certs/client.alice.key`,
    `postgres://127.0.0.1:${peers.closedPort}?sslmode=verify-ca&sslrootcert=../outside/ca.crt`,
    `host=127.0.0.1 port=${peers.junkPort} user=root sslmode=verify-full sslrootcert=fifo-dir/ca.crt`,
    `Host=127.0.0.1;Port=${peers.closedPort};SSL Mode=VerifyFull;Root Certificate=certs/ca.crt`,
    `jdbc:postgresql://127.0.0.1:${peers.closedPort}/db?sslmode=verify-full&sslfactory=x`,
    `kafka://127.0.0.1:${peers.closedPort}?tls_enabled=true&ca_cert=${ca}`,
    `kafka://127.0.0.1:9093?tls_enabled=true&ca_cert=${encodeURIComponent(material.caPem)}&client_cert=${b64(material.leafPem)}&client_key=${b64(material.keyPem)}`,
    `webhook-https://127.0.0.1:${peers.closedPort}/hook?ca_cert=${ca}&client_cert=${b64(material.leafPem)}&client_key=${b64(material.caPem)}`,
    `https://127.0.0.1:${peers.closedPort}/registry?ca_cert=${ca}`,
    `CREATE CHANGEFEED FOR TABLE t, "weird""name" INTO 'kafka://127.0.0.1:9093?tls_enabled=true&ca_cert=${ca}' WITH confluent_schema_registry = 'https://127.0.0.1:1?ca_cert=${ca}', webhook_auth_header = 'Bearer x'`,
    `kafka://a:b:c?ca_cert=%zz&tls_enabled=maybe`, 'kafka://', 'webhook-https://', 'external://x', 's3://bucket?AWS_SECRET_ACCESS_KEY=abc', '%', 'kafka://[::1', `kafka://h?ca_cert=${'A'.repeat(70_000)}`,
  ];
}

const hosts = () => ['127.0.0.1', 'localhost', '::1', '[::1]', `127.0.0.1:${peers.closedPort}`, 'node1.example.com', '*.example.com', '', '.', '..', '-', 'a'.repeat(64), 'x'.repeat(300), '1.2.3.4.5', '999.1.1.1', '::ffff:127.0.0.1'];

/** Text that looks like what people paste: error lines, PEM, connection strings. */
function pastes(): string[] {
  return ['x509: certificate signed by unknown authority', 'FATAL: no pg_hba.conf entry for host "1.2.3.4"', 'SSL error: certificate verify failed', 'PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException', 'Error: self-signed certificate in certificate chain\n    at TLSSocket.onConnectSecure (node:_tls_wrap:1659:34)', 'x509: certificate is valid for localhost, not node1', ...uris().slice(0, 4), ...sandbox.pemTexts];
}

type Mode = 'valid' | 'hostile';

/**
 * The arbitrary for one field, picked by its name (what the value means) and its schema. `valid`
 * keeps to values the schema accepts (paths that exist or not, in the root or out of it, real and
 * corrupted PEM, local peers), so that calls get past validation into the domain; `hostile` mixes
 * in any string and wrong types.
 */
function fieldValue(tool: ToolDefinition, name: string, schema: JsonSchema, mode: Mode): fc.Arbitrary<unknown> {
  const hostile = mode === 'hostile';
  const wrongType = { weight: hostile ? 1 : 0, arbitrary: anyValue };
  /** `preferred` values are drawn more often: they get past the tool's own checks into the domain. */
  const pick = (values: string[], preferred: string[] = []) =>
    fc.oneof({ weight: preferred.length && !hostile ? 6 : 0, arbitrary: fc.constantFrom(...(preferred.length ? preferred : values)) }, { weight: 4, arbitrary: fc.constantFrom(...values) }, { weight: hostile ? 3 : 0, arbitrary: hostileString() }, wrongType);
  if (name === 'key_size') return hostile ? fc.constantFrom(0, 1024, 2047, 8193, 2048.5, -2048, '2048', 2048) : fc.constant(2048); // 4096+ bit keys take seconds to a minute here
  if (name === 'port') return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(peers.junkPort, peers.silentPort, peers.closedPort) }, { weight: hostile ? 1 : 0, arbitrary: fc.constantFrom(0, -1, 65536, 1.5, '26257') }, wrongType);
  if (name === 'timeout_ms') return hostile ? fc.oneof(fc.constantFrom(99, 60_001, 60_000), wrongType) : fc.constantFrom(100, 300, 1_000);
  if (name === 'timeout_seconds') return hostile ? fc.oneof(fc.constantFrom(0, 3601, 3600), wrongType) : fc.constantFrom(1, 2);
  if (/^(hosts?|servername)$/.test(name)) {
    const one = pick(hosts(), ['127.0.0.1', 'localhost', 'node1.example.com', '::1']);
    return schema.type === 'array' ? fc.oneof(fc.array(one, { minLength: hostile ? 0 : 1, maxLength: 6 }), wrongType) : one;
  }
  if (name === 'sink') return pick(uris(), ['kafka://127.0.0.1:9093', 'kafka://broker.example.com:9093,b2:9093', 'webhook-https://127.0.0.1:8443/hook', 'https://127.0.0.1:8443/hook', 'kafka://[::1]:9093', 'webhook-https://127.0.0.1:8443/hook?topic_name=x']);
  if (name === 'schema_registry') return pick(uris(), ['https://127.0.0.1:8081', 'https://registry.example.com']);
  if (/(^|_)(uri|url|connection_string)$/.test(name)) return pick(uris());
  if (name === 'error_text') return pick(pastes());
  if (/^(pem|certificate|ca|cert|key|registry_ca|registry_cert|registry_key)$/.test(name)) {
    return fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...sandbox.paths, ...sandbox.pemTexts) }, { weight: 2, arbitrary: mutatedPem(material) }, { weight: hostile ? 2 : 0, arbitrary: hostileString() }, wrongType);
  }
  if (schema.type === 'boolean') return fc.oneof({ weight: 6, arbitrary: fc.boolean() }, wrongType);
  if (/(^|_)(dir|key|file|csr|out|files?)$/.test(name) || name === 'verify_client_certs') {
    const good = name.endsWith('dir') ? ['certs', 'certs2', 'new/deeper/dir'] : name.endsWith('key') ? ['safe/ca.key', 'safe/other.key', 'safe/new.key'] : name === 'csr' ? ['csr/bob.csr'] : name === 'out' ? ['out/bob.crt', 'out/new.crt'] : ['fixtures/password.txt', 'certs/ca.crt', 'certs/client.alice.crt'];
    const one = fc.oneof({ weight: hostile ? 0 : 8, arbitrary: fc.constantFrom(...good) }, { weight: 2, arbitrary: fc.constantFrom(...sandbox.paths) }, { weight: hostile ? 2 : 0, arbitrary: hostileString() }, wrongType);
    return schema.type === 'array' ? fc.oneof(fc.array(one, { maxLength: 4 }), wrongType) : one;
  }
  if (name === 'user') return pick(['alice', 'root', 'admin', 'Bob', 'node', 'user_1', 'a'.repeat(63), 'a'.repeat(64), 'x y', 'ü', '-x', '1'], ['alice', 'root', 'bob', 'app_user']);
  if (name === 'cluster_id') return pick(['f1b9d2c4-0000-4000-8000-000000000000', 'abc', 'name-1234', 'a'.repeat(128), ...(hostile ? ['a'.repeat(129), '../x', 'a/b', '%2e%2e'] : [])]);
  if (name === 'lifetime' || name === 'fail_within') return pick(['1h', '24h', '30d', '720h', ...(hostile ? ['87840h', '100000000h', '0h', '-1h', '1.5h', '1h30m', 'forever', '9'.repeat(400)] : [])]);
  if (name === 'confirmation_id') return hostile ? pick(['cf_AAAA', 'cf_' + 'x'.repeat(24), '']) : fc.constantFrom('cf_AAAA', 'cf_' + 'x'.repeat(24));
  if (name === 'limit') return hostile ? fc.oneof(fc.constantFrom(0, -1, 1e9, 1.5), wrongType) : fc.integer({ min: 1, max: 100 });
  if (schema.enum) return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...schema.enum) }, { weight: hostile ? 1 : 0, arbitrary: hostileString() }, wrongType);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'boolean':
      return fc.oneof({ weight: 6, arbitrary: fc.boolean() }, wrongType);
    case 'integer':
    case 'number': {
      const lo = schema.minimum ?? -1e6;
      const hi = schema.maximum ?? 1e6;
      return fc.oneof({ weight: 5, arbitrary: fc.integer({ min: Math.ceil(lo), max: Math.floor(Math.min(hi, lo + 1e6)) }) }, { weight: hostile ? 2 : 0, arbitrary: fc.constantFrom(lo - 1, hi + 1, 0, -1, 0.5, 2 ** 53) }, wrongType);
    }
    case 'array':
      return fc.oneof({ weight: 5, arbitrary: fc.array(fieldValue(tool, `${name}_item`, schema.items ?? {}, mode), { maxLength: (schema.maxItems ?? 5) + (hostile ? 1 : 0) }) }, wrongType);
    case 'object':
      return fc.oneof({ weight: 5, arbitrary: fc.dictionary(hostile ? hostileString(['tls_enabled', 'ca_cert', 'topic_prefix']) : fc.constantFrom('tls_enabled', 'sasl_enabled', 'topic_prefix', 'resolved', 'format', 'initial_scan'), hostile ? hostileString(['true', 'false', '10s', 'avro']) : fc.constantFrom('true', 'false', '10s', 'avro', 'yes'), { maxKeys: 4 }) }, wrongType);
    default:
      return hostile ? fc.oneof({ weight: 5, arbitrary: hostileString() }, wrongType) : fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('t', 'defaultdb', 'my-cluster', 'a.b'));
  }
}

const CORE_FIELDS = ['certs_dir', 'ca_key', 'user', 'hosts', 'host', 'sink', 'uri', 'url', 'cluster_id', 'error_text', 'certificate', 'client'];

/** A whole input for a tool: objects shaped by its schema (valid or hostile fields), sometimes anything at all. */
function inputFor(tool: ToolDefinition): fc.Arbitrary<unknown> {
  const schema = z.toJSONSchema(publicInputSchema(tool), { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const shape = (mode: Mode) => Object.fromEntries(Object.entries(schema.properties ?? {}).map(([name, field]) => [name, fieldValue(tool, name, field, mode)]));
  const required = (schema.required ?? []).filter((key) => key in (schema.properties ?? {}));
  // A valid call names what it works on (without certs_dir it goes to ~/.cockroach-certs, outside the root).
  const core = [...new Set([...required, ...CORE_FIELDS.filter((key) => key in (schema.properties ?? {}))])];
  return fc.oneof(
    { weight: 10, arbitrary: fc.record(shape('valid'), { requiredKeys: core }) },
    { weight: 6, arbitrary: fc.record(shape('hostile'), { requiredKeys: required }) },
    { weight: 1, arbitrary: fc.record(shape('hostile'), { requiredKeys: [] }) },
    { weight: 1, arbitrary: fc.tuple(fc.record(shape('valid'), { requiredKeys: required }), fc.dictionary(hostileString(), anyValue, { maxKeys: 3 })).map(([a, b]) => ({ ...b, ...a })) },
    { weight: 1, arbitrary: anyValue },
  );
}

// ---- one call ------------------------------------------------------------------------------

/** FUZZ_STATS=1 prints, per tool, how the calls ended: proof that the inputs reach past validation. */
const stats = new Map<string, Map<string, { n: number; maxMs: number }>>();
function tally(tool: string, outcome: string, ms: number): void {
  const perTool = stats.get(tool) ?? stats.set(tool, new Map()).get(tool)!;
  const entry = perTool.get(outcome) ?? { n: 0, maxMs: 0 };
  perTool.set(outcome, { n: entry.n + 1, maxMs: Math.max(entry.maxMs, ms) });
}

function contextFor(signal: AbortSignal): ToolContext {
  return { config: runtime.config, paths: runtime.paths, log: runtime.log, store: runtime.runner.store, requester: 'fuzz', signal, progress: () => undefined };
}

async function callAndCheck(tool: ToolDefinition, input: unknown, gated: boolean): Promise<void> {
  const runner = gated ? runners.low : runners.never;
  // FUZZ_TRACE=file: the last line names the call that is running (a call stuck in a synchronous loop cannot be timed out from inside).
  if (process.env.FUZZ_TRACE) fs.appendFileSync(process.env.FUZZ_TRACE, `${tool.name} ${brief(input, 4000)}\n`);
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), HANG_MS);
  });
  let outcome: Awaited<ReturnType<Runner['run']>> | 'hang';
  try {
    outcome = await Promise.race([runner.run(tool, input, contextFor(AbortSignal.timeout(ABORT_MS))), hang]);
  } catch (error) {
    throw new Error(`${tool.name} threw instead of answering: ${(error as Error)?.stack ?? String(error)}\ninput: ${brief(input)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  if (outcome === 'hang') {
    releaseFifos();
    throw new Error(`${tool.name} had not answered ${HANG_MS} ms after the call (cancelled at ${ABORT_MS} ms)\ninput: ${brief(input)}`);
  }
  const ms = performance.now() - started;
  tally(tool.name, outcome.ok ? `ok${typeof outcome.output.status === 'string' ? `:${outcome.output.status}` : ''}` : outcome.error.code, ms);
  if (process.env.FUZZ_STATS === '2' && !outcome.ok) process.stderr.write(`${tool.name} ${outcome.error.code}: ${outcome.error.message.slice(0, 160)}\n`);
  if (outcome.ok) {
    const parsed = publicOutputSchema(tool).safeParse(outcome.output);
    assert.ok(parsed.success, `${tool.name} answered an output that breaks its output schema: ${parsed.success ? '' : parsed.error.message.slice(0, 500)}\ninput: ${brief(input)}`);
    assert.equal(typeof outcome.text, 'string');
  } else {
    const { code, message } = outcome.error;
    assert.ok(KNOWN_CODES.includes(code), `${tool.name}: unknown error code ${code}`);
    assert.notEqual(code, 'internal', `${tool.name} failed with an exception it did not expect (${ms.toFixed(0)} ms): ${message}\ninput: ${brief(input)}`);
    assert.ok(typeof message === 'string' && message.length > 0 && message.length < 20_000, `${tool.name}: the error message is empty or huge (${message.length} chars)`);
  }
  const broken = brokenFiles(sandbox);
  assert.deepEqual(broken, [], `${tool.name} left files that are not whole\ninput: ${brief(input)}`);
}

// ---- the suite -----------------------------------------------------------------------------

before(async () => {
  material = makeMaterial();
  sandbox = makeSandbox(material);
  peers = await startHostilePeers(material);
  // os.homedir() follows HOME: ~/.postgresql/root.crt (download_ca's default) lies outside the root.
  process.env.HOME = sandbox.home;
  // Relative paths resolve against the working directory, as they do for a server started in a project.
  process.chdir(sandbox.root);
  runtime = await createRuntime('mcp', {
    CRDB_TLS_ROOTS: sandbox.root,
    CRDB_TLS_STATE_DIR: sandbox.state,
    CRDB_TLS_CONFIRM_THRESHOLD: 'never',
    CRDB_TLS_CONFIRMATION_TTL_SECONDS: '600',
    COCKROACH_SERVER: peers.cloudUrl,
    COCKROACH_API_KEY: 'fuzz-not-a-real-key',
    HOME: sandbox.home,
  }, createLogger('silent'));
  runners = { never: runtime.runner, low: new Runner({ ...runtime.runner.policy, threshold: 'low' }, runtime.runner.store) };
  outsideBefore = [...contentSnapshot(sandbox.outside), ...contentSnapshot(sandbox.home)];
});

after(async () => {
  if (process.env.FUZZ_STATS === '1') {
    for (const [tool, outcomes] of stats) {
      process.stderr.write(`${tool}: ${[...outcomes].map(([o, { n, maxMs }]) => `${o} ${n} (max ${maxMs.toFixed(0)} ms)`).join(', ')}\n`);
    }
  }
  releaseFifos();
  await peers?.close();
  await runtime?.close();
  process.env.HOME = originalHome;
  process.chdir(originalCwd);
  sandbox?.dispose();
});

describe('every tool answers any input with a result or a structured error, in time, and leaves only whole files inside the root', () => {
  test('the catalog is fuzzed whole: every tool has a property below', () => {
    assert.ok(catalog.length >= 15, `only ${catalog.length} tools`);
  });

  for (const tool of catalog) {
    const slow = isMutating(tool) || tool.effects === 'network';
    const numRuns = runs(slow ? 12 : 40, slow ? 50 : 1);
    test(`${tool.name} (${numRuns} generated calls)`, async () => {
      await fc.assert(
        fc.asyncProperty(inputFor(tool), fc.boolean(), async (input, gated) => {
          await callAndCheck(tool, input, gated);
        }),
        fuzzParameters(numRuns),
      );
    });
  }

  test('nothing outside the root changed (symlinks out of it, .., absolute paths, ~)', () => {
    assert.deepEqual([...contentSnapshot(sandbox.outside), ...contentSnapshot(sandbox.home)], outsideBefore);
  });

  test('the audit trail is whole: one JSON object per line', () => {
    const file = `${sandbox.state}/audit.jsonl`;
    if (!fs.existsSync(file)) return;
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text === '' || text.endsWith('\n'), 'audit.jsonl ends with a whole line');
    for (const line of text.split('\n').filter(Boolean)) assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line.slice(0, 200)}`);
  });
});
