// Every schema crdb-tls advertises, held to JSON Schema 2020-12 the strict way: tools/list over
// a real 2026-07-28 client, each inputSchema and outputSchema validated against the 2020-12
// meta-schema and compiled by Ajv's 2020 build in strict mode (unknown keywords, union `type`
// lists, `required` names with no property, ambiguous types all throw); and the Inspector's own
// warning — a subschema with no validation keyword at all — checked the way it walks them. The
// committed snapshot is checked for duplicate keys, which JSON.parse would silently drop.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import Ajv2020 from 'ajv/dist/2020.js';
import { CLI_BUNDLE, cliEnv } from '../support/cli.js';
import { MODERN_REVISION } from '../support/mcp-eras.js';

type Json = Record<string, unknown>;
type Tool = { name: string; inputSchema: Json; outputSchema?: Json };

let work = '';
let tools: Tool[] = [];

before(async () => {
  work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-schemas-')));
  const client = new Client({ name: 'strict-schemas', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN_REVISION } } });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI_BUNDLE, 'mcp'], cwd: work, env: cliEnv({ CRDB_TLS_ROOTS: work }) as Record<string, string>, stderr: 'ignore' }));
  try {
    tools = (await client.listTools()).tools as Tool[];
  } finally {
    await client.close();
  }
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

const VALIDATION_KEYS = ['type', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', 'not', '$ref'];
const SUBSCHEMA_MAPS = ['properties', '$defs', 'definitions', 'patternProperties', 'dependentSchemas'];
const SUBSCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const SUBSCHEMA_ONE = ['items', 'additionalProperties', 'not', 'contains', 'propertyNames', 'if', 'then', 'else', 'unevaluatedProperties', 'unevaluatedItems'];

/**
 * What the Inspector's strict check warns about, as JSON pointers: a subschema (below the root)
 * that validates nothing, and a `type` list (Ajv strict lets `[T, "null"]` through as "nullable").
 */
function inspectorWarnings(schema: unknown, at = '', isRoot = true): string[] {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return [];
  const node = schema as Json;
  const found = !isRoot && !VALIDATION_KEYS.some((k) => k in node) ? [`${at || '/'}: no validation keyword`] : [];
  if (Array.isArray(node.type)) found.push(`${at || '/'}: type list ${JSON.stringify(node.type)}`);
  for (const key of SUBSCHEMA_MAPS) if (node[key] && typeof node[key] === 'object') for (const [name, sub] of Object.entries(node[key] as Json)) found.push(...inspectorWarnings(sub, `${at}/${key}/${name}`, false));
  for (const key of SUBSCHEMA_LISTS) if (Array.isArray(node[key])) (node[key] as unknown[]).forEach((sub, i) => found.push(...inspectorWarnings(sub, `${at}/${key}/${i}`, false)));
  for (const key of SUBSCHEMA_ONE) if (typeof node[key] === 'object' && node[key] !== null) found.push(...inspectorWarnings(node[key], `${at}/${key}`, false));
  return found;
}

test('every advertised inputSchema and outputSchema is strict JSON Schema 2020-12', () => {
  assert.ok(tools.length >= 20, `the whole catalog is listed (${tools.length})`);
  const problems: string[] = [];
  let checked = 0;
  for (const tool of tools) {
    for (const [which, schema] of [['inputSchema', tool.inputSchema], ['outputSchema', tool.outputSchema]] as const) {
      if (schema === undefined) continue;
      checked++;
      // A fresh validator per schema: several roots may share $ids or $defs names.
      const ajv = new Ajv2020.default({ strict: true, strictTypes: true, strictTuples: true, strictRequired: true, allowUnionTypes: false, validateFormats: false, allErrors: true });
      if (!ajv.validateSchema(schema)) problems.push(`${tool.name} ${which}: not valid against the 2020-12 meta-schema: ${ajv.errorsText(ajv.errors)}`);
      try {
        ajv.compile(schema);
      } catch (error) {
        problems.push(`${tool.name} ${which}: strict compile: ${(error as Error).message}`);
      }
      if (schema.$schema !== undefined && schema.$schema !== 'https://json-schema.org/draft/2020-12/schema') problems.push(`${tool.name} ${which}: $schema is ${String(schema.$schema)}`);
      for (const warning of inspectorWarnings(schema)) problems.push(`${tool.name} ${which}${warning} (the Inspector's strict check warns)`);
    }
  }
  assert.ok(checked > tools.length, 'input and output schemas were both checked');
  assert.deepEqual(problems, []);
});

test('a schema that is not strict is caught (the check can fail)', () => {
  const ajv = new Ajv2020.default({ strict: true, strictTypes: true, allowUnionTypes: false, validateFormats: false });
  assert.throws(() => ajv.compile({ type: 'object', properties: { a: { type: ['string', 'number'] } } }), /union type/);
  assert.throws(() => ajv.compile({ type: 'object', properties: { a: { type: 'string', minimum: 1 } } }), /strictTypes/);
  assert.equal(new Ajv2020.default().validateSchema({ type: 'text' }), false);
  assert.deepEqual(inspectorWarnings({ type: 'object', properties: { a: { description: 'anything' }, b: { type: ['string', 'null'] } } }), ['/properties/a: no validation keyword', '/properties/b: type list ["string","null"]']);
});

test('the committed schema snapshot has no key twice in one object (JSON.parse would keep only the last)', () => {
  const text = fs.readFileSync(new URL('../__snapshots__/tools.json', import.meta.url), 'utf8');
  // The snapshot is written by JSON.stringify(…, null, 2): one key per line, nesting by indentation.
  const stack: Array<Set<string>> = [];
  const duplicates: string[] = [];
  text.split('\n').forEach((line, i) => {
    const key = /^\s*"([^"]+)":/.exec(line)?.[1];
    if (key !== undefined) {
      const seen = stack[stack.length - 1];
      if (seen?.has(key)) duplicates.push(`line ${i + 1}: "${key}"`);
      seen?.add(key);
    }
    for (const ch of line.replace(/"(?:[^"\\]|\\.)*"/g, '')) {
      if (ch === '{') stack.push(new Set());
      else if (ch === '}') stack.pop();
    }
  });
  assert.deepEqual(duplicates, []);
});
