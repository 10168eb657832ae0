/**
 * The parameter checks of a sink URI: booleans, TLS switches, SASL, unknown and forwarded
 * parameters, as CockroachDB enforces them on values Go decoded.
 */
import { decodeGoStdBase64 } from './go-base64.js';
import { parseGoBool } from './go-url.js';
import { problem, type SinkProblem } from './problems.js';
import { shownParamName } from './redact.js';
import {
  BOOL_PARAMS, KAFKA_NEWEST_PARAM_PREFIX, KAFKA_PARAMS, NEWEST_SASL_MECHANISMS, OAUTH_ONLY_PARAMS, SASL_MECHANISMS, SASL_ONLY_PARAMS, SASL_REQUIRED_PARAMS,
  isKnownParam, type Endpoint, type SinkKind,
} from './sink-params.js';

const GO_DURATION = /^[-+]?(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))*$|^0$/;

/**
 * The parameter rules CockroachDB enforces when it builds the sink (sink_kafka*.go, kafkaauth,
 * sink_webhook_v2.go, schema_registry.go), on values as Go decoded them.
 */
export function checkSinkParameters(reader: SinkKind | 'schema_registry', params: Map<string, string>, where: Endpoint): SinkProblem[] {
  const problems: SinkProblem[] = [];
  const has = (name: string) => (params.get(name) ?? '') !== '';
  const push = (fields: Omit<SinkProblem, 'diagnosis_code' | 'where'>) => problems.push(problem({ ...fields, where }));

  for (const name of BOOL_PARAMS) {
    const value = params.get(name);
    if (value && (reader === 'kafka' || name === 'insecure_tls_skip_verify') && parseGoBool(value) === undefined) {
      push({ code: 'not_a_bool', level: 'error', param: name, message: `${name}=${value} is not a boolean.`, fix: `Use ${name}=true or ${name}=false.`, cockroach_error: `param ${name} must be a bool` });
    }
  }
  const skipVerify = parseGoBool(params.get('insecure_tls_skip_verify') ?? '') === true;
  if (skipVerify && reader !== 'schema_registry') {
    push({
      code: 'tls_verification_disabled', level: 'warning', param: 'insecure_tls_skip_verify',
      message: 'insecure_tls_skip_verify=true: CockroachDB does not verify the server certificate, so anyone on the path can impersonate the sink.',
      fix: 'Remove insecure_tls_skip_verify and pass the CA that signed the server certificate in ca_cert.',
    });
  }

  if (reader === 'kafka') {
    const tls = parseGoBool(params.get('tls_enabled') ?? '') === true;
    for (const name of ['ca_cert', 'client_cert']) {
      if (has(name) && !tls) {
        push({ code: 'tls_not_enabled', level: 'error', param: name, message: `${name} is set but tls_enabled is not true.`, fix: 'Add tls_enabled=true to the URI.', cockroach_error: `${name} requires tls_enabled=true` });
      }
    }
    if (skipVerify && !tls) {
      push({ code: 'tls_not_enabled', level: 'info', param: 'insecure_tls_skip_verify', message: 'insecure_tls_skip_verify has no effect without tls_enabled=true.', fix: 'Add tls_enabled=true (and a ca_cert instead of skipping verification).' });
    }
    problems.push(...checkSasl(params, tls, where));
    if (has('schema_topic')) push({ code: 'unsupported_parameter', level: 'error', param: 'schema_topic', message: 'schema_topic is not supported by CockroachDB.', fix: 'Remove schema_topic.', cockroach_error: 'schema_topic is not yet supported' });
    const unknown = [...params.keys()].filter((name) => !isKnownParam(name, 'kafka')).map(shownParamName);
    if (unknown.length > 0) {
      push({
        code: 'unknown_parameter', level: 'error', param: unknown.join(', '),
        message: `The Kafka sink does not know ${unknown.map((n) => JSON.stringify(n)).join(', ')}; it refuses the URI.`,
        fix: `Remove or rename them; the Kafka sink reads ${KAFKA_PARAMS.join(', ')} (and ${KAFKA_NEWEST_PARAM_PREFIX}* on the newest versions).`,
        cockroach_error: `unknown kafka sink query parameters: [${unknown.join(', ')}]`,
      });
    }
  } else {
    const forwarded = [...params.keys()].filter((name) => !isKnownParam(name, reader));
    for (const realName of forwarded) {
      const name = shownParamName(realName);
      const kafkaOnly = reader === 'webhook' && (name === 'tls_enabled' || name.startsWith('sasl_') || name.startsWith('topic_'));
      push({
        code: kafkaOnly ? 'kafka_parameter_on_webhook' : 'forwarded_parameter', level: kafkaOnly ? 'warning' : 'info', param: name,
        message: kafkaOnly
          ? `${name} is a Kafka sink parameter; the webhook sink ignores it and sends it on to the endpoint in the query string.`
          : `${name} is not read by CockroachDB; it stays in the URL CockroachDB sends requests to${reader === 'schema_registry' ? ' (the registry)' : ''}.`,
        fix: kafkaOnly ? `Remove ${name}; a webhook-https:// sink is always TLS.` : 'Nothing to do if the endpoint expects it.',
      });
    }
    if (reader === 'schema_registry' && has('timeout') && !GO_DURATION.test(params.get('timeout')!)) {
      push({ code: 'invalid_timeout', level: 'error', param: 'timeout', message: `timeout=${params.get('timeout')} is not a Go duration.`, fix: 'Use a duration such as timeout=30s.', cockroach_error: `time: invalid duration "${params.get('timeout')}"` });
    }
  }
  return problems;
}

/** kafkaauth.go `pick` and the mechanisms' `validateParams`, in CockroachDB's order. */
function checkSasl(params: Map<string, string>, tls: boolean, where: Endpoint): SinkProblem[] {
  const problems: SinkProblem[] = [];
  const has = (name: string) => (params.get(name) ?? '') !== '';
  const push = (fields: Omit<SinkProblem, 'diagnosis_code' | 'where'>) => problems.push(problem({ ...fields, where }));
  const enabled = parseGoBool(params.get('sasl_enabled') ?? '') === true;
  if (!enabled) {
    if (has('sasl_handshake')) push({ code: 'sasl_not_enabled', level: 'error', param: 'sasl_handshake', message: 'sasl_handshake is set but sasl_enabled is not true.', fix: 'Add sasl_enabled=true, or remove sasl_handshake.', cockroach_error: 'sasl_enabled must be enabled to configure SASL handshake behavior' });
    else if (has('sasl_mechanism')) push({ code: 'sasl_not_enabled', level: 'error', param: 'sasl_mechanism', message: 'sasl_mechanism is set but sasl_enabled is not true.', fix: 'Add sasl_enabled=true, or remove sasl_mechanism.', cockroach_error: 'sasl_enabled must be enabled to configure SASL mechanism' });
    else {
      const given = SASL_ONLY_PARAMS.filter(has);
      if (given.length > 0) {
        push({
          code: 'sasl_not_enabled', level: 'error', param: given.join(', '),
          message: `${given.join(', ')} ${given.length > 1 ? 'are' : 'is'} set but sasl_enabled is not true, so CockroachDB refuses the URI.`,
          fix: 'Add sasl_enabled=true (and sasl_mechanism if it is not PLAIN).',
          cockroach_error: `sasl_enabled must be enabled if ${given[0]} is provided (older versions: "if a SASL user is provided")`,
        });
      }
    }
    return problems;
  }
  const mechanism = params.get('sasl_mechanism') || 'PLAIN';
  const known = (SASL_MECHANISMS as readonly string[]).includes(mechanism);
  if (!known && !(NEWEST_SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
    push({
      code: 'unknown_sasl_mechanism', level: 'error', param: 'sasl_mechanism',
      message: `sasl_mechanism=${mechanism} is not a mechanism CockroachDB supports (names are case-sensitive).`,
      fix: `Use one of ${SASL_MECHANISMS.join(', ')}.`,
      cockroach_error: `param sasl_mechanism must be one of ${[...SASL_MECHANISMS].sort().slice(0, -1).join(', ')}, or ${[...SASL_MECHANISMS].sort().at(-1)}`,
    });
    return problems;
  }
  if (!known) {
    push({ code: 'sasl_mechanism_newest_only', level: 'info', param: 'sasl_mechanism', message: `sasl_mechanism=${mechanism} exists only in the newest CockroachDB versions; its ${KAFKA_NEWEST_PARAM_PREFIX}* parameters are not checked here.`, fix: 'Check that your CockroachDB version supports it.' });
  }
  if (mechanism !== 'OAUTHBEARER') {
    for (const name of OAUTH_ONLY_PARAMS.filter(has)) {
      push({ code: 'oauth_parameter_without_oauth', level: 'error', param: name, message: `${name} is only read with sasl_mechanism=OAUTHBEARER (the mechanism here is ${mechanism}).`, fix: 'Set sasl_mechanism=OAUTHBEARER, or remove it.', cockroach_error: `${name} is only a valid parameter for sasl_mechanism=OAUTHBEARER` });
    }
  }
  for (const name of (SASL_REQUIRED_PARAMS[mechanism] ?? []).filter((p) => !has(p))) {
    push({
      code: 'sasl_parameter_missing', level: 'error', param: name,
      message: `SASL ${mechanism} needs ${name}, which is missing or empty.`,
      fix: `Add ${name}=... (percent-encoded).`,
      cockroach_error: `${name} must be provided when SASL is enabled (newest versions add: using mechanism ${mechanism})`,
    });
  }
  if (mechanism === 'OAUTHBEARER' && has('sasl_client_secret')) {
    const decoded = decodeGoStdBase64(params.get('sasl_client_secret')!);
    if (!decoded.ok) {
      push({
        code: 'client_secret_not_base64', level: 'error', param: 'sasl_client_secret',
        message: 'CockroachDB base64-decodes sasl_client_secret (standard alphabet, padded), and this value is not valid base64.',
        fix: 'Give base64 of the secret: printf %s "$CLIENT_SECRET" | base64 -w 0, then percent-encode it.',
        cockroach_error: `decoding client secret: param sasl_client_secret must be base 64 encoded: ${decoded.error}`,
      });
    }
  }
  if (!tls) {
    push({ code: 'sasl_without_tls', level: 'warning', param: 'sasl_enabled', message: 'SASL is enabled without tls_enabled=true: the credentials travel in clear text (the docs require TLS for SASL).', fix: 'Add tls_enabled=true.' });
  }
  return problems;
}
