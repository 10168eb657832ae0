/** The few lines of text the faces show for encode and decode results (never a secret). */
import type { DecodedChangefeedUri, EndpointReport } from './decode.js';
import type { EncodedChangefeedUri } from './encode.js';
import type { SinkProblem } from './problems.js';
import type { EmbeddedCertificate, EmbeddedKey } from './validate-report.js';

const KIND_NAMES: Record<string, string> = {
  kafka: 'Kafka sink', webhook: 'Webhook sink', webhook_http: 'Webhook sink (http)', cloud_storage: 'Cloud storage sink',
  kafka_family: 'Kafka (managed) sink', external_connection: 'External connection', schema_registry: 'Schema registry', other: 'Sink',
};

function certificateLine(cert: EmbeddedCertificate): string {
  const when = cert.days_left < 0 ? `EXPIRED ${cert.not_after.slice(0, 10)}` : `expires ${cert.not_after.slice(0, 10)} (${cert.days_left} days)`;
  const key = `${cert.public_key.type}${cert.public_key.bits ? ` ${cert.public_key.bits}` : ''}${cert.public_key.curve ? ` ${cert.public_key.curve}` : ''}`;
  const issuer = cert.issuer === cert.subject ? 'self-signed' : `issued by ${cert.issuer}`;
  return `  ${cert.where === 'schema_registry' ? 'registry ' : ''}${cert.param.padEnd(11)} ${cert.subject} — ${issuer}, ${when}, ${key}${cert.encoding === 'der' ? ', DER (not PEM!)' : ''}, SHA-256 ${cert.sha256_fingerprint.slice(0, 23)}…`;
}

function keyLine(key: EmbeddedKey): string {
  const type = key.type ? `${key.type}${key.bits ? ` ${key.bits}` : ''}${key.curve ? ` ${key.curve}` : ''}` : 'unreadable';
  const match = key.matches_certificate === null ? '' : key.matches_certificate ? ', matches client_cert' : ', DOES NOT match client_cert';
  return `  ${key.where === 'schema_registry' ? 'registry ' : ''}client_key  ${type}${key.format ? `, ${key.format}` : ''}${key.encoding !== 'pem' ? `, ${key.encoding.toUpperCase()} (not PEM!)` : ''}${key.encrypted ? ', ENCRYPTED' : ''}${match}`;
}

function problemLines(problems: SinkProblem[]): string[] {
  return problems.flatMap((p) => [
    `  ${p.level} [${p.code}]${p.where === 'schema_registry' ? ' registry' : ''}${p.param ? ` ${p.param}` : ''}: ${p.message}`,
    ...(p.cockroach_error ? [`    CockroachDB: ${p.cockroach_error}`] : []),
    `    fix: ${p.fix}`,
  ]);
}

const section = (title: string, lines: string[]) => (lines.length ? [title, ...lines] : []);

export function renderEncoded(result: EncodedChangefeedUri): string {
  const errors = result.problems.filter((p) => p.level === 'error').length;
  const head = `${KIND_NAMES[result.sink.kind]} ${result.sink.scheme}://${result.sink.address}: ${result.encoded ? 'encoded' : `NOT encoded, ${errors} problem${errors === 1 ? '' : 's'} to fix first (diagnosis changefeed_sink_tls)`}`;
  const lines = [
    head,
    ...section('Problems:', problemLines(result.problems)),
    ...section('TLS material:', [...result.certificates.map(certificateLine), ...result.keys.map(keyLine)]),
  ];
  if (result.encoded) {
    if (result.uri !== undefined) lines.push('URI:', `  ${result.uri}`);
    else lines.push('URI (redacted):', `  ${result.uri_redacted}`);
    if (result.statement !== undefined) lines.push('Statement:', `  ${result.statement}`);
    else if (result.statement_redacted !== undefined) lines.push('Statement (redacted):', `  ${result.statement_redacted}`);
    if (result.revealed_to) {
      const file = result.revealed_to;
      lines.push(`The full ${file.holds === 'statement' ? 'statement' : 'URI'}, which holds a private key or password, was written to ${file.path} (mode 0600, SHA-256 ${file.sha256}); `
        + `${file.holds === 'statement' ? 'give it to cockroach sql with --file (plus your usual connection flags)' : 'use it from there'} and delete the file afterwards. It is not shown here.`);
    } else if (result.contains_secrets && !result.revealed) {
      lines.push('The full URI holds a private key or password: run again with --reveal (reveal: true) to get it (printed on the command line, written to a 0600 file over MCP and Slack), and keep it out of logs, tickets and chat.');
    } else if (result.revealed) {
      lines.push('This output holds a private key or password: do not paste it into logs, tickets or chat.');
    }
  }
  return lines.join('\n');
}

function endpointLines(endpoint: EndpointReport): string[] {
  return [
    `${KIND_NAMES[endpoint.kind]} ${endpoint.scheme}://${endpoint.address}`,
    ...endpoint.parameters.map((p) => `  ${p.name} = ${p.value}${p.status === 'read' ? '' : `  (${p.status.replace(/_/g, ' ')})`}`),
  ];
}

export function renderDecoded(result: DecodedChangefeedUri): string {
  const errors = result.problems.filter((p) => p.level === 'error').length;
  const source = result.input === 'uri' ? '' : result.input === 'create_changefeed' ? ` (CREATE CHANGEFEED${result.targets.length ? ` FOR ${result.targets.join(', ')}` : ''})` : ' (CREATE EXTERNAL CONNECTION)';
  const lines = [
    `${result.ok ? 'OK' : `${errors} error${errors === 1 ? '' : 's'}`}: ${KIND_NAMES[result.sink.kind]} ${result.sink.scheme}://${result.sink.address}${source}${result.ok ? '' : ' — diagnosis changefeed_sink_tls'}`,
    ...endpointLines(result.sink),
    ...(result.schema_registry ? endpointLines(result.schema_registry) : []),
    ...section('Options:', result.options.map((o) => `  ${o.name}${o.value === null ? '' : ` = ${o.value}`}`)),
    ...section('TLS material:', [
      ...result.sink.certificates.map(certificateLine),
      ...(result.sink.key ? [keyLine(result.sink.key)] : []),
      ...(result.schema_registry?.certificates ?? []).map(certificateLine),
      ...(result.schema_registry?.key ? [keyLine(result.schema_registry.key)] : []),
    ]),
    ...section('Problems:', problemLines(result.problems)),
  ];
  return lines.join('\n');
}
