/**
 * encode_changefeed_uri: builds a Kafka or webhook sink URI (and the schema registry URL) with
 * TLS material exactly as CockroachDB decodes it (reference §5.2): the whole PEM file in standard
 * padded base64 on one line, every query value percent-encoded, tls_enabled=true for Kafka,
 * webhook-https:// for a webhook. Everything is validated first; a URI with a known error is
 * never built. The result is checked by decoding it again with Go's rules.
 */
import * as z from 'zod';
import { ToolError } from '../core/errors.js';
import { refuseCaKeyAsClientKey } from '../pki/ca-key-guard.js';
import { decodeGoStdBase64, encodeStdBase64 } from './go-base64.js';
import { CONTROL_CHARACTER, parseGoBool, parseGoQuery, parseGoUrl, percentEncode } from './go-url.js';
import { certificatePemFromDer, keyPemFromKey, viewCertificates, viewPrivateKey } from './material.js';
import { SinkProblem, hasErrors, problem } from './problems.js';
import { ShownParameter } from './decode.js';
import { RevealedFile } from './reveal.js';
import { REDACTED, hidesValue, isSecretValue, redactSinkUri, shownParamName } from './redact.js';
import { isKnownParam, isPemParam, type Endpoint, type SinkKind } from './sink-params.js';
import { buildCreateChangefeed, checkOptionName, type ChangefeedOption } from './statement.js';
import { checkSinkParameters } from './validate-params.js';
import { EmbeddedCertificate, EmbeddedKey } from './validate-report.js';
import { checkTlsMaterial } from './validate.js';

export interface EncodeRequest {
  /** kafka://host:port, or https:// / webhook-https://host/path for a webhook; may carry query parameters. */
  sink: string;
  ca?: string;
  cert?: string;
  key?: string;
  params?: Record<string, string | string[]>;
  schemaRegistry?: string;
  registryCa?: string;
  registryCert?: string;
  registryKey?: string;
  tables?: string[];
  /** WITH options; an empty value means an option without a value (`updated`). */
  options?: Record<string, string>;
  reveal?: boolean;
}

/** Reads a file the caller named (the tool resolves it against the allowed roots). */
export type ReadFile = (path: string, what: string) => Promise<Buffer>;

export const EncodedChangefeedUri = z.object({
  encoded: z.boolean().describe('False when a problem is an error: then no URI is built'),
  sink: z.object({ kind: z.enum(['kafka', 'webhook']), scheme: z.string(), address: z.string() }),
  contains_secrets: z.boolean().describe('The URI or statement holds a private key, password or token'),
  revealed: z.boolean(),
  uri: z.string().optional().describe('The full sink URI: present when it holds no secret, or with reveal on the command line (the person\'s own terminal)'),
  uri_redacted: z.string().optional().describe('The URI with client_key and passwords replaced by <redacted>: safe for logs and tickets'),
  statement: z.string().optional().describe('CREATE CHANGEFEED ... (when tables were given): present when it holds no secret, or with reveal on the command line'),
  revealed_to: RevealedFile.optional().describe('With reveal over MCP or Slack: the 0600 file the full URI or statement was written to; a private key never enters the result'),
  statement_redacted: z.string().optional(),
  schema_registry_uri_redacted: z.string().optional(),
  parameters: z.array(ShownParameter.extend({ where: z.enum(['sink', 'schema_registry']) })),
  certificates: z.array(EmbeddedCertificate),
  keys: z.array(EmbeddedKey),
  problems: z.array(SinkProblem),
});
export type EncodedChangefeedUri = z.infer<typeof EncodedChangefeedUri>;

interface Target {
  kind: SinkKind | 'schema_registry';
  scheme: string;
  /** Authority and path exactly as given. */
  address: string;
  /** Query pairs already in the URL, as Go reads them. */
  existing: Array<[string, string]>;
}

const usage = (message: string, hint: string) => new ToolError('invalid_input', message, hint);

function parseTarget(text: string, endpoint: Endpoint, notes: SinkProblem[]): Target {
  const what = endpoint === 'sink' ? 'sink URL' : 'schema registry URL';
  const trimmed = text.trim();
  if (CONTROL_CHARACTER.test(trimmed)) throw usage(`the ${what} holds a line break or another control character`, 'Give the URL on one line.');
  const parsed = parseGoUrl(trimmed);
  if (!parsed.ok) throw usage(`the ${what} does not parse: ${parsed.error}`, endpoint === 'sink' ? 'Give kafka://host:port or https://host/path.' : 'Give https://host:port.');
  const url = parsed.url;
  if (url.fragment !== null) throw usage(`the ${what} holds a '#'`, 'Remove the fragment; percent-encode a # that belongs to a value (%23).');
  if (url.authority === '') throw usage(`the ${what} has no host`, endpoint === 'sink' ? 'Give kafka://host:port or https://host/path.' : 'Give https://host:port.');
  const existing: Array<[string, string]> = [];
  for (const segment of parseGoQuery(url.rawQuery)) {
    if (segment.dropped || segment.key === undefined) throw usage(`the ${what} has a query pair Go would drop (${segment.dropped})`, 'Give the parameters with --param name=value (params) instead; they are percent-encoded for you.');
    if (isPemParam(segment.key)) throw usage(`the ${what} already holds ${segment.key}`, 'Give certificates and keys with --ca/--cert/--key (ca, cert, key) so that they are checked and encoded.');
    if (segment.rawValue.includes('+')) {
      notes.push(problem({ code: 'unencoded_plus', level: 'warning', where: endpoint, param: segment.key, message: `${segment.key} in the ${what} holds a raw '+', which CockroachDB reads as a space; it is encoded that way (%20).`, fix: `If a '+' was meant, give it with --param ${segment.key}=... instead.` }));
    }
    existing.push([segment.key, segment.value ?? '']);
  }

  if (endpoint === 'schema_registry') {
    if (url.scheme !== 'https' && url.scheme !== 'http') throw usage(`the schema registry URL must be https:// (or http://), not ${url.scheme}://`, 'Give https://registry:8081.');
    return { kind: 'schema_registry', scheme: url.scheme, address: `${url.authority}${url.path}`, existing };
  }
  switch (url.scheme) {
    case 'kafka': {
      const hosts = url.authority.slice(url.authority.lastIndexOf('@') + 1).split(',');
      const portless = hosts.filter((h) => !/:\d+$/.test(h));
      if (portless.length > 0) {
        notes.push(problem({ code: 'no_port', level: 'warning', where: 'sink', message: `The Kafka address ${portless.join(', ')} has no port; the Kafka client needs host:port.`, fix: 'Give the TLS listener\'s port, e.g. kafka://broker:9093.' }));
      }
      return { kind: 'kafka', scheme: 'kafka', address: `${url.authority}${url.path}`, existing };
    }
    case 'webhook-https':
      return { kind: 'webhook', scheme: 'webhook-https', address: `${url.authority}${url.path}`, existing };
    case 'https':
      notes.push(problem({ code: 'webhook_scheme', level: 'info', where: 'sink', message: 'https:// was given: the webhook sink is written webhook-https:// (a plain https:// sink is CockroachDB\'s cloud-storage sink), so the URI uses webhook-https://.', fix: 'Nothing to do.' }));
      return { kind: 'webhook', scheme: 'webhook-https', address: `${url.authority}${url.path}`, existing };
    case 'http':
    case 'webhook-http':
      throw usage('a webhook sink must use HTTPS: CockroachDB refuses webhook-http:// ("this sink requires https")', 'Give https://host/path (written webhook-https://).');
    case 'confluent-cloud':
    case 'azure-event-hub':
      throw usage(`${url.scheme}:// sinks use the public CAs and refuse ca_cert; this tool builds kafka:// and webhook-https:// URIs`, 'Use kafka://host:port with your CA, or write the confluent-cloud:// URI by hand.');
    default:
      throw usage(`${url.scheme}:// is not a sink this tool builds`, 'Give kafka://host:port, or https://host/path for a webhook.');
  }
}

/** PEM text, base64 pasted from a secret, or a file path (PEM or DER). */
async function readMaterial(value: string, what: string, readFile: ReadFile): Promise<Buffer> {
  if (value.includes('-----BEGIN')) return Buffer.from(value, 'utf8');
  const compact = value.replace(/\s+/g, '');
  if (compact.length > 200 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    const decoded = Buffer.from(compact, 'base64');
    if (decoded.includes('-----BEGIN') || decoded[0] === 0x30) return decoded;
  }
  return readFile(value, what);
}

interface Embedded {
  pem?: Buffer;
  notes: SinkProblem[];
}

/** A certificate as PEM, byte for byte as given; DER is converted (reference §5.2: PEM only). */
function certificatePem(bytes: Buffer, param: string, endpoint: Endpoint): Embedded {
  const view = viewCertificates(bytes, param);
  if (view.encoding === 'der' && view.certificates.length === 1) {
    return {
      pem: Buffer.from(certificatePemFromDer(view.certificates[0]!.der)),
      notes: [problem({ code: 'converted_from_der', level: 'info', where: endpoint, param, message: `The ${param} input was DER; it was converted to PEM, which is what CockroachDB reads.`, fix: 'Nothing to do.' })],
    };
  }
  return { pem: bytes, notes: [] };
}

function keyPem(bytes: Buffer, endpoint: Endpoint): Embedded {
  const view = viewPrivateKey(bytes);
  if (view.encoding === 'der' && view.key && view.format) {
    return {
      pem: Buffer.from(keyPemFromKey(view.key, view.format)),
      notes: [problem({ code: 'converted_from_der', level: 'info', where: endpoint, param: 'client_key', message: `The key input was DER (${view.format}); it was converted to PEM, which is what CockroachDB reads.`, fix: 'Nothing to do.' })],
    };
  }
  return { pem: bytes, notes: [] };
}

interface Built {
  uri: string;
  entries: Array<[string, string]>;
  pem: Map<string, Buffer>;
}

function buildUri(target: Target, entries: Array<[string, string]>): string {
  const query = entries.map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`).join('&');
  return `${target.scheme}://${target.address}${query ? `?${query}` : ''}`;
}

/** Decodes our own URI with Go's rules; anything but the exact input bytes is a bug here. */
function assertRoundTrip(built: Built): void {
  const parsed = parseGoUrl(built.uri);
  if (!parsed.ok || parsed.url.fragment !== null) throw new Error(`encoded URI does not parse back: ${parsed.ok ? 'fragment' : parsed.error}`);
  const segments = parseGoQuery(parsed.url.rawQuery);
  if (segments.length !== built.entries.length) throw new Error('encoded URI has a different number of parameters');
  segments.forEach((segment, i) => {
    const [name, value] = built.entries[i]!;
    if (segment.key !== name || segment.value !== value) throw new Error(`encoded parameter ${name} does not decode to its value`);
    const pem = built.pem.get(name);
    if (pem) {
      const decoded = decodeGoStdBase64(segment.value);
      if (!decoded.ok || !decoded.bytes.equals(pem)) throw new Error(`encoded ${name} does not decode to the PEM given`);
    }
  });
}

function expandParams(params: EncodeRequest['params']): Array<[string, string]> {
  return Object.entries(params ?? {}).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v): [string, string] => [name, v]));
}

function mergeParams(target: Target, extra: Array<[string, string]>, what: string): Array<[string, string]> {
  const merged = [...target.existing];
  for (const [name, value] of extra) {
    if (name.trim() === '') throw usage('a parameter name is empty', 'Give parameters as name=value.');
    if (isPemParam(name)) throw usage(`${name} cannot be given as a raw parameter`, `Give it with --${name === 'ca_cert' ? 'ca' : name === 'client_cert' ? 'cert' : 'key'} (${name === 'ca_cert' ? 'ca' : name === 'client_cert' ? 'cert' : 'key'}) so that it is checked and encoded.`);
    // sasl_scopes is the one parameter read with all its values (kafkaauth/sasl_oauth.go ConsumeParams).
    if (name === 'sasl_scopes') { merged.push([name, value]); continue; }
    const same = merged.find(([n]) => n === name);
    if (same && same[1] !== value) throw usage(`${name} is given twice with different values (in the ${what} and as a parameter)`, `Give ${name} once.`);
    if (!same) merged.push([name, value]);
  }
  return merged;
}

interface EndpointBuild {
  built: Built | null;
  problems: SinkProblem[];
  certificates: EmbeddedCertificate[];
  keys: EmbeddedKey[];
  shown: Array<ShownParameter & { where: Endpoint }>;
  secrets: boolean;
}

async function buildEndpoint(
  target: Target, endpoint: Endpoint, extra: Array<[string, string]>,
  material: { ca?: string; cert?: string; key?: string }, readFile: ReadFile, now: Date, notes: SinkProblem[],
): Promise<EndpointBuild> {
  const what = endpoint === 'sink' ? 'sink URL' : 'schema registry URL';
  const prefix = endpoint === 'sink' ? '' : 'registry ';
  const problems = [...notes];
  const pem = new Map<string, Buffer>();
  const files: { ca?: string; cert?: string; key?: string } = {};
  const load = async (param: 'ca_cert' | 'client_cert' | 'client_key', value: string | undefined, label: string) => {
    if (value === undefined || value.trim() === '') return;
    const bytes = await readMaterial(value, `${prefix}${label}`, readFile);
    if (!value.includes('-----BEGIN') && value.length < 1024) files[param === 'ca_cert' ? 'ca' : param === 'client_cert' ? 'cert' : 'key'] = value;
    const embedded = param === 'client_key' ? keyPem(bytes, endpoint) : certificatePem(bytes, param, endpoint);
    problems.push(...embedded.notes);
    if (embedded.pem) pem.set(param, embedded.pem);
  };
  await load('ca_cert', material.ca, 'CA certificate');
  await load('client_cert', material.cert, 'client certificate');
  await load('client_key', material.key, 'client key');

  const reader = target.kind;
  const tls = checkTlsMaterial({ ca: pem.get('ca_cert'), cert: pem.get('client_cert'), key: pem.get('client_key') }, { where: endpoint, reader, now, files });
  problems.push(...tls.problems);
  const clientKey = pem.get('client_key');
  refuseCaKeyAsClientKey({
    cert: tls.clientCertificates[0], key: clientKey ? viewPrivateKey(clientKey).key : undefined, cas: tls.caCertificates,
    keyName: endpoint === 'sink' ? 'client_key (key)' : 'the registry client_key (registry_key)', certName: endpoint === 'sink' ? 'client_cert (cert)' : 'registry client_cert (registry_cert)',
  });

  const user = mergeParams(target, extra, what).filter(([name, value]) => {
    if (name !== 'tls_enabled' || target.kind !== 'kafka') return true;
    if (parseGoBool(value) !== true) throw usage(`tls_enabled=${value} contradicts a TLS sink URI`, 'Leave tls_enabled out: the Kafka URI always gets tls_enabled=true.');
    return false;
  });
  if (target.kind === 'schema_registry' && target.scheme === 'http' && pem.size > 0) {
    problems.push(problem({ code: 'registry_tls_over_http', level: 'error', where: endpoint, message: 'The schema registry URL is http:// but TLS material was given: CockroachDB would never use it.', fix: 'Give the registry as https://.' }));
  }
  const entries: Array<[string, string]> = [
    ...(target.kind === 'kafka' ? [['tls_enabled', 'true'] as [string, string]] : []),
    ...user,
    ...(['ca_cert', 'client_cert', 'client_key'] as const).filter((p) => pem.has(p)).map((p): [string, string] => [p, encodeStdBase64(pem.get(p)!)]),
  ];
  const firstValues = new Map<string, string>();
  for (const [name, value] of entries) if (!firstValues.has(name)) firstValues.set(name, value);
  problems.push(...checkSinkParameters(reader, firstValues, endpoint));

  const shown = entries.map(([name, value]) => {
    const display = hidesValue(name, value) ? REDACTED : isPemParam(name) ? `${value.slice(0, 16)}… (${value.length} characters of base64)` : value;
    return { name: shownParamName(name), value: display, status: isKnownParam(name, reader) ? 'read' as const : reader === 'kafka' ? 'unknown' as const : 'forwarded' as const, where: endpoint };
  });
  const secrets = entries.some(([name, value]) => isSecretValue(name, value));
  const built = hasErrors(problems) ? null : { uri: buildUri(target, entries), entries, pem };
  if (built) assertRoundTrip(built);
  return { built, problems, certificates: tls.certificates, keys: tls.key ? [tls.key] : [], shown, secrets };
}

export async function encodeChangefeedUri(request: EncodeRequest, readFile: ReadFile, now = new Date()): Promise<EncodedChangefeedUri> {
  const reveal = request.reveal === true;
  const sinkNotes: SinkProblem[] = [];
  const target = parseTarget(request.sink, 'sink', sinkNotes);
  if (target.kind === 'schema_registry') throw new Error('unreachable');

  const options: ChangefeedOption[] = Object.entries(request.options ?? {}).map(([name, value]) => {
    checkOptionName(name);
    return { name, value: value === '' ? null : value };
  });
  let registryText = request.schemaRegistry;
  const registryOption = options.findIndex((o) => o.name === 'confluent_schema_registry');
  if (registryOption >= 0) {
    if (registryText !== undefined) throw usage('the schema registry is given twice (schema_registry and the confluent_schema_registry option)', 'Give it once, with --schema-registry (schema_registry).');
    registryText = options[registryOption]!.value ?? undefined;
    options.splice(registryOption, 1);
  }
  if (registryText === undefined && (request.registryCa || request.registryCert || request.registryKey)) {
    throw usage('registry TLS material was given without a schema registry URL', 'Add --schema-registry https://registry:8081 (schema_registry).');
  }

  const sink = await buildEndpoint(target, 'sink', expandParams(request.params), request, readFile, now, sinkNotes);
  const problems = [...sink.problems];
  let registry: EndpointBuild | null = null;
  if (registryText !== undefined) {
    const registryNotes: SinkProblem[] = [];
    const registryTarget = parseTarget(registryText, 'schema_registry', registryNotes);
    registry = await buildEndpoint(registryTarget, 'schema_registry', [], { ca: request.registryCa, cert: request.registryCert, key: request.registryKey }, readFile, now, registryNotes);
    problems.push(...registry.problems);
  }

  const result: EncodedChangefeedUri = {
    encoded: !hasErrors(problems),
    sink: { kind: target.kind, scheme: target.scheme, address: target.address },
    contains_secrets: sink.secrets || (registry?.secrets ?? false) || options.some((o) => o.name === 'webhook_auth_header'),
    revealed: false,
    parameters: [...sink.shown, ...(registry?.shown ?? [])],
    certificates: [...sink.certificates, ...(registry?.certificates ?? [])],
    keys: [...sink.keys, ...(registry?.keys ?? [])],
    problems,
  };
  if (!result.encoded || !sink.built) return result;

  const registryUri = registry?.built?.uri;
  if (registryUri !== undefined) {
    if (!options.some((o) => o.name === 'format')) {
      options.unshift({ name: 'format', value: 'avro' });
      problems.push(problem({ code: 'format_avro_added', level: 'info', where: 'statement', message: 'format = \'avro\' was added to the WITH options: the Confluent schema registry serves Avro changefeeds.', fix: 'Give --option format=... to choose another format.' }));
    }
    options.push({ name: 'confluent_schema_registry', value: registryUri });
    result.schema_registry_uri_redacted = redactSinkUri(registryUri);
  }
  const redactedOptions = options.map((o) => ({
    name: o.name,
    value: o.value === null ? null : o.name === 'webhook_auth_header' ? REDACTED : o.name === 'confluent_schema_registry' ? redactSinkUri(o.value) : o.value,
  }));
  const show = reveal || !result.contains_secrets;
  result.revealed = reveal && result.contains_secrets;
  result.uri_redacted = redactSinkUri(sink.built.uri);
  if (show) result.uri = sink.built.uri;
  const tables = request.tables ?? [];
  if (tables.length > 0) {
    result.statement_redacted = buildCreateChangefeed(tables, result.uri_redacted, redactedOptions);
    if (show) result.statement = buildCreateChangefeed(tables, sink.built.uri, options);
  } else if (options.length > 0) {
    problems.push(problem({ code: 'options_without_statement', level: 'info', where: 'statement', message: 'WITH options were given but no table, so no CREATE CHANGEFEED statement was built.', fix: 'Add --table (tables) to get the whole statement.' }));
  }
  return result;
}
