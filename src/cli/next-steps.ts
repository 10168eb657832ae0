import type { NextTool } from '../diagnose/fixes/context.js';
import { shq } from '../core/shell.js';

/**
 * A diagnosis's next tools as crdb-tls command lines: what the CLI prints under "Next:" (MCP shows
 * the same next_tools as tool calls, Slack as buttons). Every value is quoted for the shell; a value
 * the diagnosis could not fill (`<the sink URI>`) becomes an expansion that stops with its meaning.
 */

type Args = NextTool['arguments'];

function word(value: string | number | string[] | undefined): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => word(v)).join(' ');
  const text = String(value);
  if (/^<(user|host|cluster-id|routing-id)>$/.test(text)) return shq(text);
  const whole = /^<([^<>]+)>$/.exec(text);
  if (whole) {
    const name = whole[1]!.replace(/^the /, '').toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_|_$/g, '');
    return `"\${${name}:?${whole[1]!.replace(/[}"$`\\]/g, '')}}"`;
  }
  return shq(text);
}

const flag = (name: string, value: string | number | string[] | undefined) => (value === undefined ? '' : ` --${name} ${word(value)}`);
const hostPort = (a: Args) => {
  const host = String(a.host ?? '<host>');
  const hp = `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}${a.port !== undefined ? `:${a.port}` : ''}`;
  return /^<[^<>]+>$/.test(host) ? `${word(host).slice(0, -1)}${a.port !== undefined ? `:${a.port}` : ''}"` : shq(hp);
};

function testConnectionUrl(a: Args): string {
  const q = (v: unknown) => encodeURIComponent(String(v));
  const params = [['sslmode', a.sslmode ?? 'verify-full'], ['sslrootcert', a.ca], ['sslcert', a.cert], ['sslkey', a.key]].filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${q(v)}`);
  const host = String(a.host ?? '<host>');
  const user = String(a.user ?? '<user>');
  return shq(`postgresql://${user}@${host.includes(':') ? `[${host}]` : host}:${a.port ?? 26257}/defaultdb?${params.join('&')}`);
}

const COMMANDS: Record<string, (a: Args) => string> = {
  probe_server: (a) => `crdb-tls probe ${hostPort(a)}${flag('servername', a.servername)}${flag('ca', a.ca)}${flag('cert', a.cert)}${flag('key', a.key)}`,
  test_connection: (a) => `crdb-tls test-connection ${testConnectionUrl(a)}`,
  connection_string: (a) => `crdb-tls connection-string${flag('client', a.client)}${flag('host', a.host)}${flag('port', a.port)}${flag('user', a.user)}${flag('ca', a.ca)}${flag('cert', a.cert)}${flag('key', a.key)}${flag('cluster', a.cluster)}`,
  inspect_certificate: (a) => `crdb-tls cert inspect ${word(a.certificate)}${flag('ca', a.ca)}`,
  list_certs: (a) => `crdb-tls cert list${flag('certs-dir', a.certs_dir)}`,
  create_node_cert: (a) => `crdb-tls cert create-node ${word(a.hosts)}${flag('certs-dir', a.certs_dir)}`,
  create_client_cert: (a) => `crdb-tls cert create-client ${word(a.user)}${flag('certs-dir', a.certs_dir)}`,
  plan_rotation: (a) => `crdb-tls rotate plan${flag('certs-dir', a.certs_dir)}`,
  download_ca: (a) => `crdb-tls cloud ca download ${word(a.cluster_id)}`,
  get_client_ca: (a) => `crdb-tls cloud client-ca get ${word(a.cluster_id)}`,
  decode_changefeed_uri: (a) => `crdb-tls changefeed-uri decode ${word(a.uri)}`,
  encode_changefeed_uri: (a) => `crdb-tls changefeed-uri encode${flag('sink', a.sink)}${flag('ca', a.ca)}${flag('cert', a.cert)}${flag('key', a.key)}`,
};

/** `crdb-tls ...` for a next tool; the tool call itself for a tool the CLI has no verb for. */
export function cliNextStep(next: NextTool): string {
  const build = COMMANDS[next.tool];
  return build ? `$ ${build(next.arguments)} — ${next.reason}` : `${next.tool} ${JSON.stringify(next.arguments)} — ${next.reason}`;
}
