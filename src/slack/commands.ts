/**
 * `/crdb-tls <verb> ...`: one table from subcommand to tool, with the CLI's verbs and flag names
 * (src/cli/*-commands.ts) so that what works at a shell works in Slack. A tool that is not in the
 * catalog yet (the rotation tools) answers "not available yet" by name; adding it later is its
 * row here. Parsing never runs a tool: it only builds the tool's input, which the runner validates.
 */
import { splitHostPort } from '../connection/pasted-parts.js';
import { parseDuration } from '../pki/duration.js';
import { splitWords, withoutCodeMarks, type Word } from './text.js';

class UsageError extends Error {}

type FlagType = 'string' | 'boolean' | 'number' | 'repeated' | 'duration-seconds';
interface FlagSpec {
  /** The tool input field. */
  field: string;
  type: FlagType;
}

/** What a subcommand's parser gets: flags already read, the words left, and the raw text after the flags. */
interface Args {
  flags: Record<string, unknown>;
  words: string[];
  rest: string;
  /** Certificates pasted as PEM, taken out of the text before the words were read (pastesCertificates). */
  pem?: string;
}

export interface Subcommand {
  verb: string;
  tool: string;
  usage: string;
  about: string;
  /**
   * 'words': flags anywhere among the words. 'text': flags first, then everything else verbatim
   * (pasted errors, URIs and PEM hold quotes, '&' and '--' of their own).
   */
  mode: 'words' | 'text';
  flags: Record<string, FlagSpec>;
  /** Builds the tool input; undefined means "pass flags through" (tools to come: --certs-dir → certs_dir). */
  input?: (args: Args) => Record<string, unknown>;
  /** Answered to the person alone (help, audit) instead of in the channel. */
  ephemeral?: boolean;
  /** PEM certificates may be pasted among the words: they are lifted out before the words are read. */
  pastesCertificates?: boolean;
  /** Client certificates are issued through the CSR flow (src/slack/issuance.ts), not as a plain tool call. */
  issuance?: boolean;
}

const PEM_CERTIFICATE_REQUEST = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (?:NEW )?CERTIFICATE REQUEST-----/;
const PEM_CERTIFICATES = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * PEM pasted into Slack may have lost its line breaks (a slash command folds them into spaces):
 * the base64 between the markers is re-wrapped at 64 characters, which is all PEM needs.
 */
function rewrapPem(label: string, body: string): string {
  const base64 = body.replace(/[^A-Za-z0-9+/=]/g, '');
  return `-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END ${label}-----\n`;
}

function extractCsrPem(text: string): string | undefined {
  const match = PEM_CERTIFICATE_REQUEST.exec(text);
  return match ? rewrapPem('CERTIFICATE REQUEST', match[1]!) : undefined;
}

function extractCertificatesPem(text: string): string | undefined {
  const blocks = text.match(PEM_CERTIFICATES);
  return blocks?.map((block) => rewrapPem('CERTIFICATE', block.replace(/-----(BEGIN|END) CERTIFICATE-----/g, ''))).join('');
}

const seconds = (value: string, flag: string): number => {
  if (/^\d+$/.test(value)) return Number(value);
  try {
    return Math.ceil(parseDuration(value, flag) / 1000);
  } catch {
    throw new UsageError(`${flag} expects a duration such as 10m, 90s or 600`);
  }
};

function clusterId(args: Args, usage: string): string {
  const [id, ...extra] = args.words;
  if (!id) throw new UsageError(`the cluster id is missing: ${usage}`);
  if (extra.length) throw new UsageError(`unexpected ${JSON.stringify(extra[0])}: ${usage}`);
  return id;
}

const DRY_RUN: FlagSpec = { field: 'dry_run', type: 'boolean' };

/**
 * The sources of `crdb-tls rotate check|plan` (src/cli/rotate-commands.ts), less --sql: a SQL URL
 * may hold a password, and secrets are never a tool argument in Slack (DESIGN.md §5).
 */
const SOURCE_FLAGS: Record<string, FlagSpec> = {
  '--certs-dir': { field: 'certs_dirs', type: 'repeated' },
  '--file': { field: 'files', type: 'repeated' },
  '--host': { field: 'hosts', type: 'repeated' },
  '--ca': { field: 'ca', type: 'string' },
  '--cloud-cluster': { field: 'cloud_cluster', type: 'string' },
  '--within': { field: 'within', type: 'string' },
  '--warn-within': { field: 'warn_within', type: 'string' },
  '--fail-within': { field: 'fail_within', type: 'string' },
  '--timeout': { field: 'timeout_ms', type: 'number' },
};

function sourcesOnly({ flags, words }: Args): Record<string, unknown> {
  if (words.length) throw new UsageError(`unexpected ${JSON.stringify(words[0])}: sources are given with --certs-dir, --host, --file or --cloud-cluster`);
  return flags;
}
const TIMEOUT: FlagSpec = { field: 'timeout_seconds', type: 'duration-seconds' };

/** Every subcommand; the rotation rows wait for their tools (DESIGN.md §2 catalog). */
export const SUBCOMMANDS: Subcommand[] = [
  {
    verb: 'diagnose', tool: 'diagnose_error', mode: 'text',
    usage: 'diagnose [--client ID] [--connection-string S] [--deployment cloud|self-hosted] <pasted error>',
    about: 'explain a TLS / connection error and say exactly what to change',
    flags: { '--client': { field: 'client', type: 'string' }, '--connection-string': { field: 'connection_string', type: 'string' }, '--deployment': { field: 'deployment', type: 'string' } },
    input: ({ flags, rest }) => {
      const text = withoutCodeMarks(rest);
      if (!text) throw new UsageError('paste the error after `diagnose`');
      return { ...flags, error_text: text };
    },
  },
  {
    verb: 'probe', tool: 'probe_server', mode: 'words', pastesCertificates: true,
    usage: 'probe <host[:port]> [--ca FILE | pasted CA PEM] [--servername NAME] [--client ID] [--timeout MS]',
    about: 'handshake with a server from the app\'s host: the chain it presents, verification, host name',
    // No --cert/--key: a private key is never an argument in Slack (DESIGN.md §5).
    flags: { '--ca': { field: 'ca', type: 'string' }, '--servername': { field: 'servername', type: 'string' }, '--client': { field: 'client', type: 'string' }, '--timeout': { field: 'timeout_ms', type: 'number' } },
    input: ({ flags, words, pem }) => {
      const [target, ...extra] = words;
      if (!target || extra.length) throw new UsageError('give one host or host:port, e.g. `probe db.example.com:26257`');
      // The CLI's reading of HOST[:PORT] ([v6]:port for IPv6), so both faces agree.
      const { host, port } = splitHostPort(target);
      const oneColon = target.includes(':') && !target.startsWith('[') && target.indexOf(':') === target.lastIndexOf(':');
      if (!host || (oneColon && port === null)) throw new UsageError(`${JSON.stringify(target)} is not HOST or HOST:PORT (port 1-65535)`);
      return { ...flags, host, ...(port !== null ? { port } : {}), ...(pem !== undefined && flags.ca === undefined ? { ca: pem } : {}) };
    },
  },
  {
    verb: 'rotate check', tool: 'check_expiry', mode: 'words',
    usage: 'rotate check [--certs-dir DIR]... [--host HOST:PORT]... [--cloud-cluster ID] [--within 90d]',
    about: 'what expires when: certs dirs, what live nodes serve, a Cloud Client CA',
    flags: SOURCE_FLAGS,
    input: sourcesOnly,
  },
  {
    verb: 'rotate plan', tool: 'plan_rotation', mode: 'words',
    usage: 'rotate plan [--certs-dir DIR]... [--host HOST:PORT]... [--cloud-cluster ID] [--within 90d] [--scope client|node|ca|client-ca|all]',
    about: 'an ordered, resumable rotation plan as a checklist (saved; carried out with `crdb-tls rotate apply`)',
    flags: { ...SOURCE_FLAGS, '--scope': { field: 'scope', type: 'string' } },
    input: sourcesOnly,
  },
  {
    verb: 'changefeed-uri decode', tool: 'decode_changefeed_uri', mode: 'text',
    usage: 'changefeed-uri decode <sink URI or CREATE CHANGEFEED statement>',
    about: 'explain a sink URI and its TLS mistakes (secrets are never shown)',
    flags: {},
    input: ({ rest }) => {
      const uri = withoutCodeMarks(rest);
      if (!uri) throw new UsageError('paste the sink URI or the statement after `changefeed-uri decode`');
      return { uri };
    },
  },
  {
    verb: 'cloud ca download', tool: 'download_ca', mode: 'words',
    usage: 'cloud ca download <cluster-id> [--out FILE] [--replace] [--dry-run]',
    about: 'save a Cloud cluster\'s CA on the app\'s host (appends; --replace is high severity)',
    flags: { '--out': { field: 'out', type: 'string' }, '--replace': { field: 'replace', type: 'boolean' }, '--dry-run': DRY_RUN },
    input: (args) => ({ ...args.flags, cluster_id: clusterId(args, 'cloud ca download <cluster-id>') }),
  },
  {
    verb: 'cloud client-ca get', tool: 'get_client_ca', mode: 'words',
    usage: 'cloud client-ca get <cluster-id>', about: 'show a Cloud cluster\'s Client CA and its status', flags: {},
    input: (args) => ({ cluster_id: clusterId(args, 'cloud client-ca get <cluster-id>') }),
  },
  {
    verb: 'cloud client-ca set', tool: 'set_client_ca', mode: 'words', pastesCertificates: true,
    usage: 'cloud client-ca set <cluster-id> (--cert-file FILE | pasted CA PEM) [--verify-client-cert FILE]... [--timeout 10m] [--dry-run]',
    about: 'upload the Client CA bundle (a change that drops a CA is high severity)',
    flags: { '--cert-file': { field: 'cert_file', type: 'string' }, '--verify-client-cert': { field: 'verify_client_certs', type: 'repeated' }, '--timeout': TIMEOUT, '--dry-run': DRY_RUN },
    input: (args) => {
      const id = clusterId(args, 'cloud client-ca set <cluster-id> --cert-file FILE (or paste the PEM)');
      if (args.pem === undefined && args.flags.cert_file === undefined) throw new UsageError('give the CA bundle: --cert-file FILE on the app\'s host, or paste the PEM after the cluster id');
      return { ...args.flags, cluster_id: id, ...(args.pem !== undefined ? { pem: args.pem } : {}) };
    },
  },
  {
    verb: 'cloud client-ca remove', tool: 'remove_client_ca', mode: 'words',
    usage: 'cloud client-ca remove <cluster-id> [--timeout 10m] [--dry-run]',
    about: 'remove the Client CA: certificate logins stop working (high severity)',
    flags: { '--timeout': TIMEOUT, '--dry-run': DRY_RUN },
    input: (args) => ({ ...args.flags, cluster_id: clusterId(args, 'cloud client-ca remove <cluster-id>') }),
  },
  {
    verb: 'cert create-client', tool: 'create_client_cert', mode: 'text', issuance: true,
    usage: 'cert create-client [--lifetime 2160h] <pasted CSR (-----BEGIN CERTIFICATE REQUEST-----)>',
    about: 'sign your CSR into a client certificate; the private key stays with you',
    flags: { '--lifetime': { field: 'lifetime', type: 'string' } },
    input: ({ flags, rest }) => {
      const csr = extractCsrPem(rest);
      if (!csr) throw new UsageError('paste a certificate signing request (-----BEGIN CERTIFICATE REQUEST-----) after `cert create-client`; make one with: openssl req -new -newkey rsa:2048 -nodes -keyout client.USER.key -subj "/O=Cockroach/CN=USER" -out client.USER.csr');
      return { ...flags, csr_pem: csr };
    },
  },
  {
    verb: 'cert list', tool: 'list_certs', mode: 'words',
    usage: 'cert list [--certs-dir DIR] [--fail-within 30d]', about: 'the certificates of a certs dir on the app\'s host, with days left',
    flags: { '--certs-dir': { field: 'certs_dir', type: 'string' }, '--fail-within': { field: 'fail_within', type: 'string' } },
    input: ({ flags, words }) => {
      if (words.length) throw new UsageError(`unexpected ${JSON.stringify(words[0])}: cert list [--certs-dir DIR] [--fail-within 30d]`);
      return flags;
    },
  },
  {
    verb: 'cert inspect', tool: 'inspect_certificate', mode: 'text',
    usage: 'cert inspect <pasted certificate PEM>', about: 'fields, fingerprints and problems of a certificate', flags: {},
    input: ({ rest }) => {
      const pem = extractCertificatesPem(rest);
      if (!pem) throw new UsageError('paste a certificate (-----BEGIN CERTIFICATE-----) after `cert inspect`');
      return { certificate: pem };
    },
  },
  {
    verb: 'connection-string', tool: 'connection_string', mode: 'words',
    usage: 'connection-string --client ID --host HOST [--port N] [--user U] [--database D] [--cluster ROUTING-ID] [--deployment cloud|self-hosted]',
    about: 'correct verify-full settings for psql, pgx, psycopg, JDBC, Npgsql, node-postgres, ...',
    flags: {
      '--client': { field: 'client', type: 'string' }, '--host': { field: 'host', type: 'string' }, '--port': { field: 'port', type: 'number' },
      '--user': { field: 'user', type: 'string' }, '--database': { field: 'database', type: 'string' }, '--ca': { field: 'ca', type: 'string' },
      '--cert': { field: 'cert', type: 'string' }, '--key': { field: 'key', type: 'string' }, '--cluster': { field: 'cluster', type: 'string' },
      '--deployment': { field: 'deployment', type: 'string' },
    },
    input: ({ flags, words }) => {
      if (words.length) throw new UsageError(`unexpected ${JSON.stringify(words[0])}: connection-string takes flags only`);
      return flags;
    },
  },
  {
    verb: 'audit', tool: 'audit_log', mode: 'words', ephemeral: true,
    usage: 'audit [--limit 20] [--tool NAME]', about: 'recent gated actions: who asked, who confirmed, what happened',
    flags: { '--limit': { field: 'limit', type: 'number' }, '--tool': { field: 'tool', type: 'string' } },
    input: ({ flags, words }) => {
      if (words.length) throw new UsageError(`unexpected ${JSON.stringify(words[0])}: audit [--limit 20] [--tool NAME]`);
      return flags;
    },
  },
];

export type ParsedCommand =
  | { kind: 'help' }
  | { kind: 'run'; subcommand: Subcommand; input: Record<string, unknown> }
  | { kind: 'usage'; subcommand: Subcommand | undefined; message: string };

function readFlag(spec: FlagSpec, flag: string, value: string | undefined, flags: Record<string, unknown>): void {
  switch (spec.type) {
    case 'boolean':
      flags[spec.field] = true;
      return;
    case 'number':
      if (value === undefined || !/^\d+$/.test(value)) throw new UsageError(`${flag} expects a whole number`);
      flags[spec.field] = Number(value);
      return;
    case 'duration-seconds':
      if (value === undefined) throw new UsageError(`${flag} expects a value`);
      flags[spec.field] = seconds(value, flag);
      return;
    case 'repeated':
      if (value === undefined) throw new UsageError(`${flag} expects a value`);
      flags[spec.field] = [...((flags[spec.field] as string[] | undefined) ?? []), value];
      return;
    case 'string':
      if (value === undefined) throw new UsageError(`${flag} expects a value`);
      flags[spec.field] = value;
  }
}

/** A flag of a tool still to come: `--certs-dir DIR` → certs_dir, `--json`-like flags without a value → true. */
function passThroughSpec(flag: string, next: string | undefined): FlagSpec {
  return { field: flag.slice(2).replace(/-/g, '_'), type: next === undefined || next.startsWith('--') ? 'boolean' : 'string' };
}

function parseArgs(sub: Subcommand, raw: string): Args {
  const pem = sub.pastesCertificates ? extractCertificatesPem(raw) : undefined;
  const text = pem === undefined ? raw : raw.replace(PEM_CERTIFICATES, ' ');
  const tokens: Word[] = splitWords(text);
  const flags: Record<string, unknown> = {};
  const words: string[] = [];
  let restStart = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!.word;
    // `--name`; not `--` alone, and not PEM's `-----BEGIN`.
    if (!/^--[A-Za-z]/.test(token)) {
      if (sub.mode === 'text') break;
      words.push(token);
      restStart = tokens[i]!.end;
      continue;
    }
    const eq = token.indexOf('=');
    const flag = eq > 0 ? token.slice(0, eq) : token;
    const spec = sub.flags[flag] ?? (sub.input ? undefined : passThroughSpec(flag, eq > 0 ? token.slice(eq + 1) : tokens[i + 1]?.word));
    if (!spec) throw new UsageError(`unknown option ${flag} for \`${sub.verb}\` (${Object.keys(sub.flags).join(', ') || 'it takes none'})`);
    let value: string | undefined;
    if (eq > 0) value = token.slice(eq + 1);
    else if (spec.type !== 'boolean') value = tokens[++i]?.word;
    readFlag(spec, flag, value, flags);
    restStart = tokens[i]?.end ?? text.length;
  }
  return { flags, words, rest: sub.mode === 'text' ? text.slice(restStart).trim() : '', ...(pem !== undefined ? { pem } : {}) };
}

/** Longest verb first, so that `cloud client-ca set` wins over a shorter verb sharing its start. */
const BY_LENGTH = [...SUBCOMMANDS].sort((a, b) => b.verb.length - a.verb.length);

/** Reads `/crdb-tls` text (already unescaped from Slack's form). */
export function parseCommand(text: string): ParsedCommand {
  const trimmed = text.trim();
  if (trimmed === '' || /^(help|-h|--help|\?)$/i.test(trimmed)) return { kind: 'help' };
  const lower = trimmed.toLowerCase();
  const sub = BY_LENGTH.find((s) => lower === s.verb || lower.startsWith(`${s.verb} `) || lower.startsWith(`${s.verb}\n`));
  if (!sub) {
    const first = trimmed.split(/\s+/)[0]!;
    const group = SUBCOMMANDS.filter((s) => s.verb.startsWith(`${first.toLowerCase()} `));
    const hint = group.length ? `\`${first}\` needs one of: ${group.map((s) => `\`${s.verb}\``).join(', ')}` : `unknown command \`${first}\``;
    return { kind: 'usage', subcommand: undefined, message: `${hint}. Try \`help\`, or \`diagnose <pasted error>\`.` };
  }
  try {
    const args = parseArgs(sub, trimmed.slice(sub.verb.length));
    const input = sub.input ? sub.input(args) : passThrough(args);
    return { kind: 'run', subcommand: sub, input };
  } catch (error) {
    if (error instanceof UsageError) return { kind: 'usage', subcommand: sub, message: `${error.message}\nUsage: \`/crdb-tls ${sub.usage}\`` };
    throw error;
  }
}

function passThrough(args: Args): Record<string, unknown> {
  if (args.words.length) throw new UsageError(`unexpected ${JSON.stringify(args.words[0])}`);
  return args.flags;
}

/** Whether a mention's text starts with a subcommand (otherwise the text is an error to diagnose). */
export function startsWithSubcommand(text: string): boolean {
  const lower = text.trim().toLowerCase();
  return /^(help|\?)$/.test(lower) || SUBCOMMANDS.some((s) => lower === s.verb || lower.startsWith(`${s.verb} `) || lower.startsWith(`${s.verb}\n`));
}
