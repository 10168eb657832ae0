/**
 * decode_changefeed_uri: explains an existing sink URI (or a whole CREATE CHANGEFEED statement)
 * the way CockroachDB reads it — Go's url.Parse and ParseQuery, StdEncoding base64, PEM — and
 * names every mistake on the way with its fix. The private key never leaves this module: only
 * its type, format and whether it matches the certificate.
 */
import * as z from 'zod';
import { ToolError } from '../core/errors.js';
import { CONTROL_CHARACTER, goQueryUnescape, parseGoQuery, parseGoUrl, type QuerySegment } from './go-url.js';
import { explainBase64Value, explainPlainValue, PERCENT_FIX, WRAP_FIX } from './mistakes.js';
import { SinkProblem, hasErrors, problem, type Where } from './problems.js';
import { REDACTED, hidesValue, redactSinkUri, shownParamName } from './redact.js';
import { ALL_KNOWN_PARAMS, BASE64_SECRET_PARAMS, isKnownParam, isPemParam, isSecretParam, meaningOfScheme, type Endpoint, type SinkKind } from './sink-params.js';
import { looksLikeStatement, parseChangefeedStatement } from './statement.js';
import { checkSinkParameters } from './validate-params.js';
import { EmbeddedCertificate, EmbeddedKey, type TlsMaterial } from './validate-report.js';
import { checkTlsMaterial } from './validate.js';

export const ShownParameter = z.object({
  name: z.string(),
  value: z.string().describe('As CockroachDB reads it; secrets as <redacted>, long base64 shortened'),
  status: z.enum(['read', 'unknown', 'forwarded', 'dropped', 'duplicate', 'fragment_of_previous']).describe(
    'read: the sink uses it; unknown: the Kafka sink refuses it; forwarded: sent on to the endpoint; dropped: Go discarded the pair; duplicate: only the first is read; fragment_of_previous: a piece of the value before it, cut at a raw &',
  ),
});
export type ShownParameter = z.infer<typeof ShownParameter>;

const EndpointKind = z.enum(['kafka', 'webhook', 'webhook_http', 'cloud_storage', 'kafka_family', 'external_connection', 'schema_registry', 'other']);

export const EndpointReport = z.object({
  where: z.enum(['sink', 'schema_registry']),
  uri_redacted: z.string(),
  scheme: z.string(),
  kind: EndpointKind.describe('kafka, webhook (webhook-https), schema_registry, or what else the scheme means to CockroachDB'),
  address: z.string().describe('Host, port and path'),
  parameters: z.array(ShownParameter),
  certificates: z.array(EmbeddedCertificate),
  key: EmbeddedKey.nullable(),
});
export type EndpointReport = z.infer<typeof EndpointReport>;

export const DecodedChangefeedUri = z.object({
  ok: z.boolean().describe('True when no problem is an error: CockroachDB accepts the URI and its TLS material is usable'),
  input: z.enum(['uri', 'create_changefeed', 'create_external_connection']),
  sink: EndpointReport,
  schema_registry: EndpointReport.nullable(),
  targets: z.array(z.string()).describe('Tables of CREATE CHANGEFEED FOR ...'),
  options: z.array(z.object({ name: z.string(), value: z.string().nullable() })).describe('WITH options, secrets redacted'),
  problems: z.array(SinkProblem),
});
export type DecodedChangefeedUri = z.infer<typeof DecodedChangefeedUri>;

const MAX_INPUT = 1_048_576;

function shorten(name: string, value: string): string {
  if (isPemParam(name) && value.length > 40) return `${value.slice(0, 16)}… (${value.length} characters of base64)`;
  return value.length > 120 ? `${value.slice(0, 117)}...` : value;
}

function lenientName(raw: string): string {
  const decoded = goQueryUnescape(raw);
  return decoded.ok ? decoded.value : raw;
}

/** Which params a stretch of raw query text touches, by name (never by value, nor by a name that may hold one). */
function paramsTouching(rawQuery: string, test: (segment: string) => boolean): string[] {
  return rawQuery.split('&').filter(test).map((s) => shownParamName(lenientName(s.split('=')[0] ?? ''))).filter(Boolean);
}

interface EndpointAnalysis {
  report: EndpointReport;
  problems: SinkProblem[];
}

/** Everything CockroachDB does with one URI (the INTO sink or the schema registry), and where it goes wrong. */
function analyzeEndpoint(input: string, where: Endpoint, now = new Date()): EndpointAnalysis {
  const problems: SinkProblem[] = [];
  const push = (fields: Omit<SinkProblem, 'diagnosis_code' | 'where'>) => problems.push(problem({ ...fields, where }));
  const uri_redacted = redactSinkUri(input);
  let raw = input;

  // 1. Control characters: Go's url.Parse refuses the whole URI. Go on with them removed to explain the rest.
  if (CONTROL_CHARACTER.test(raw)) {
    const query = raw.slice(raw.indexOf('?') + 1);
    const touched = raw.includes('?') ? paramsTouching(query, (s) => CONTROL_CHARACTER.test(s)) : [];
    const base64Params = touched.filter(isPemParam);
    push({
      code: base64Params.length > 0 ? 'line_wrapped_base64' : 'control_characters',
      level: 'error',
      ...(touched.length ? { param: touched.join(', ') } : {}),
      message: base64Params.length > 0
        ? `${base64Params.join(', ')} ${base64Params.length > 1 ? 'hold' : 'holds'} line breaks: line-wrapped base64 (GNU base64 wraps at 76 columns unless given -w 0). A line break in the URI makes Go's url.Parse refuse the whole sink URI.`
        : `The URI holds line breaks or other control characters${touched.length ? ` (in ${touched.join(', ')})` : ''}; Go's url.Parse refuses the whole URI.`,
      fix: base64Params.length > 0 ? WRAP_FIX : 'Remove the line breaks, and percent-encode any value that really holds one (%0A).',
      cockroach_error: 'net/url: invalid control character in URL',
    });
    raw = raw.replace(new RegExp(CONTROL_CHARACTER.source, 'g'), '');
  }

  const parsed = parseGoUrl(raw);
  if (!parsed.ok) {
    const shown = uri_redacted.length > 80 ? `${uri_redacted.slice(0, 77)}...` : uri_redacted;
    push({ code: 'unparseable_uri', level: 'error', message: `The URI does not parse: ${parsed.error}.`, fix: 'Give a URI such as kafka://broker:9093?tls_enabled=true&ca_cert=...', cockroach_error: `parse ${JSON.stringify(shown)}: ${parsed.error}` });
    return { report: { where, uri_redacted, scheme: '', kind: 'other', address: '', parameters: [], certificates: [], key: null }, problems };
  }
  const url = parsed.url;
  // Redacted too: in a URI that lost its '?', the parameters (and the key) sit in the path.
  const address = redactSinkUri(`${url.scheme}://${url.authority}${url.path}`).slice(url.scheme.length + 3);
  const meaning = where === 'schema_registry' ? 'schema_registry' : meaningOfScheme(url.scheme);
  const reader: SinkKind | 'schema_registry' = where === 'schema_registry' ? 'schema_registry' : meaning === 'kafka' || meaning === 'kafka_family' ? 'kafka' : 'webhook';
  const segments = parseGoQuery(url.rawQuery);
  const hasPemParam = segments.some((s) => isPemParam(s.key ?? lenientName(s.rawKey)));

  // 2. The scheme decides which code reads the parameters at all.
  if (where === 'schema_registry' && url.scheme !== 'http' && url.scheme !== 'https') {
    push({ code: 'unsupported_scheme', level: 'error', message: `The schema registry URL must be http:// or https://, not ${url.scheme}://.`, fix: 'Use https://registry:8081?ca_cert=...', cockroach_error: `unsupported scheme: "${url.scheme}"` });
  } else if (where === 'schema_registry' && url.scheme === 'http' && hasPemParam) {
    push({ code: 'registry_tls_over_http', level: 'error', message: 'The schema registry URL is http:// but carries TLS parameters: they are never used (CockroachDB only logs "TLS configuration provided but schema registry ... uses HTTP").', fix: 'Use https:// for the registry.' });
  } else if (meaning === 'webhook_http') {
    push({ code: 'webhook_requires_https', level: 'error', message: 'A webhook sink must use webhook-https://; webhook-http:// is refused.', fix: 'Change the scheme to webhook-https://.', cockroach_error: 'this sink requires https (older versions: this sink requires webhook-https)' });
  } else if (meaning === 'cloud_storage' && hasPemParam) {
    push({
      code: 'wrong_scheme', level: 'error',
      message: `${url.scheme}:// is CockroachDB's cloud-storage sink, which does not read ca_cert, client_cert or client_key; a webhook sink is written webhook-https://.`,
      fix: `Use webhook-https://${address}?... for a webhook endpoint.`,
    });
  } else if (meaning === 'kafka_family' && segments.some((s) => s.key === 'ca_cert')) {
    push({ code: 'ca_cert_not_allowed', level: 'error', param: 'ca_cert', message: `${url.scheme}:// forces TLS with the public CAs and refuses ca_cert.`, fix: 'Remove ca_cert, or use kafka:// with tls_enabled=true and ca_cert.', cockroach_error: 'invalid query parameters' });
  } else if (meaning === 'external_connection') {
    push({ code: 'external_connection', level: 'info', message: `The sink is the external connection ${JSON.stringify(url.authority)}: its URI is stored with CREATE EXTERNAL CONNECTION, not here.`, fix: 'Decode the URI the external connection was created with (the CREATE EXTERNAL CONNECTION statement).' });
  } else if (meaning === 'other') {
    push({ code: 'not_a_tls_sink', level: 'info', message: `${url.scheme}:// is not a Kafka or webhook sink; only its TLS parameters are checked.`, fix: 'Use kafka:// or webhook-https:// for a sink that needs TLS.' });
  }

  // 3. A raw '#' cuts the rest of the URI off as a fragment.
  if (url.fragment !== null) {
    const cut = url.rawQuery === '' ? '' : (url.rawQuery.split('&').at(-1) ?? '');
    const name = cut ? shownParamName(lenientName(cut.split('=')[0] ?? '')) : '';
    const lost = paramsTouching(url.fragment, (s) => ALL_KNOWN_PARAMS.has(lenientName(s.split('=')[0] ?? ''))).filter((p) => ALL_KNOWN_PARAMS.has(p));
    push({
      code: 'unencoded_hash', level: 'error', ...(name ? { param: name } : {}),
      message: `${name ? `${name} holds a raw '#'` : "The URI holds a raw '#'"}: Go's url.Parse cuts the URI there as a fragment, so CockroachDB ${name ? `reads ${name} only up to it` : 'loses everything after it'}${lost.length ? ` and never sees ${lost.join(', ')}` : ''}.`,
      fix: `Percent-encode '#' as %23. ${PERCENT_FIX}`,
    });
  }

  // 4. The query pairs, as Go keeps or drops them.
  const params = new Map<string, string>();
  const shown: ShownParameter[] = [];
  const material: TlsMaterial = {};
  let secretBefore: string | undefined;
  const ampersandReported = new Set<string>();
  for (const segment of segments) {
    const realName = segment.key ?? lenientName(segment.rawKey);
    const name = shownParamName(realName);
    if (secretBefore && !ALL_KNOWN_PARAMS.has(realName)) {
      if (!ampersandReported.has(secretBefore)) {
        ampersandReported.add(secretBefore);
        push({
          code: 'unencoded_ampersand', level: 'error', param: secretBefore,
          message: `${secretBefore} holds a raw '&': CockroachDB cuts the value there, uses the wrong ${secretBefore.includes('password') ? 'password' : 'value'}, and reads the rest as a parameter of its own.`,
          fix: `Percent-encode '&' as %26. ${PERCENT_FIX}`,
          ...(reader === 'kafka' ? { cockroach_error: 'unknown kafka sink query parameters: [...] (the piece after the &)' } : {}),
        });
      }
      shown.push({ name: `(part of ${secretBefore})`, value: REDACTED, status: 'fragment_of_previous' });
      continue;
    }
    const secret = hidesValue(realName, segment.rawValue);
    // Only a free-text secret can hold a raw '&'; base64 (keys, sasl_client_secret) never does.
    secretBefore = isSecretParam(realName) && !isPemParam(realName) && !(BASE64_SECRET_PARAMS as readonly string[]).includes(realName) ? name : undefined;
    if (segment.dropped) {
      const semicolon = segment.raw.includes(';');
      push({
        code: semicolon ? 'unencoded_semicolon' : 'invalid_percent_escape', level: 'error', param: name,
        message: semicolon
          ? `${name} holds a raw ';': Go (1.17+) drops the whole pair ("invalid semicolon separator in query"), so CockroachDB never sees ${name}.`
          : `${name} holds a '%' that does not start a %XX escape: Go drops the whole pair${secret ? '' : ` (${segment.dropped})`}, so CockroachDB never sees ${name}.`,
        fix: `${semicolon ? "Percent-encode ';' as %3B" : "Percent-encode '%' as %25"}. ${PERCENT_FIX}`,
      });
      shown.push({ name, value: secret ? REDACTED : `(dropped: ${segment.dropped})`, status: 'dropped' });
      continue;
    }
    if (params.has(realName)) {
      push({ code: 'duplicate_parameter', level: 'warning', param: name, message: `${name} appears more than once; CockroachDB reads only the first.`, fix: `Keep one ${name}.` });
      shown.push({ name, value: secret ? REDACTED : shorten(name, segment.value ?? ''), status: 'duplicate' });
      continue;
    }
    params.set(realName, segment.value ?? '');
    const known = isKnownParam(realName, reader);
    shown.push({ name, value: secret ? REDACTED : shorten(name, segment.value ?? ''), status: known ? 'read' : reader === 'kafka' ? 'unknown' : 'forwarded' });
    problems.push(...valueProblems(segment, realName, where, secret, material));
  }

  // 5. The TLS material and the parameter rules, as the sink code applies them.
  const tls = checkTlsMaterial(material, { where, reader, now });
  problems.push(...tls.problems);
  if (meaning === 'kafka' || meaning === 'webhook' || meaning === 'schema_registry') {
    problems.push(...checkSinkParameters(reader, params, where));
  }
  return {
    report: { where, uri_redacted, scheme: url.scheme, kind: meaning, address, parameters: shown, certificates: tls.certificates, key: tls.key },
    problems,
  };
}

function valueProblems(segment: QuerySegment, name: string, where: Where, secret: boolean, material: TlsMaterial): SinkProblem[] {
  const value = segment.value ?? '';
  if (!isPemParam(name)) return explainPlainValue(shownParamName(name), segment.rawValue, where, secret);
  if (value === '') return [];
  const explained = explainBase64Value(name, segment.rawValue, value, where);
  if (explained.bytes) {
    if (name === 'ca_cert') material.ca = explained.bytes;
    else if (name === 'client_cert') material.cert = explained.bytes;
    else material.key = explained.bytes;
  }
  return explained.problems;
}

/** Strips what surrounds a pasted URI: blank space, and the quotes of a SQL literal. */
function unwrapUri(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length >= 2 && trimmed.startsWith("'") && trimmed.endsWith("'")) return trimmed.slice(1, -1).replace(/''/g, "'");
  return trimmed;
}

export function decodeChangefeedUri(text: string, now = new Date()): DecodedChangefeedUri {
  if (text.length > MAX_INPUT) throw new ToolError('invalid_input', 'the input is larger than 1 MB', 'Give one sink URI or one CREATE CHANGEFEED statement.');
  if (text.trim() === '') throw new ToolError('invalid_input', 'the input is empty', 'Give a sink URI (kafka://...) or a CREATE CHANGEFEED statement.');
  const statement = looksLikeStatement(text) ? parseChangefeedStatement(text) : null;
  const sinkText = statement ? statement.sinkUri : unwrapUri(text);
  if (!statement && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(sinkText)) {
    throw new ToolError('invalid_input', 'the input is neither a sink URI nor a CREATE CHANGEFEED statement', 'Give a URI such as kafka://broker:9093?tls_enabled=true&ca_cert=..., or the whole CREATE CHANGEFEED statement.');
  }
  const sink = analyzeEndpoint(sinkText, 'sink', now);
  const problems = [...sink.problems];
  let registry: EndpointAnalysis | null = null;
  const options = (statement?.options ?? []).map((option) => {
    if (option.value === null) return option;
    if (option.name === 'webhook_auth_header') return { name: option.name, value: REDACTED };
    if (option.name === 'confluent_schema_registry') {
      registry = analyzeEndpoint(option.value, 'schema_registry', now);
      problems.push(...registry.problems);
      return { name: option.name, value: registry.report.uri_redacted };
    }
    return { name: option.name, value: option.value.length > 200 ? `${option.value.slice(0, 197)}...` : option.value };
  });
  const registryReport = (registry as EndpointAnalysis | null)?.report ?? null;
  return {
    ok: !hasErrors(problems),
    input: statement?.kind ?? 'uri',
    sink: sink.report,
    schema_registry: registryReport,
    targets: statement?.targets ?? [],
    options,
    problems,
  };
}
