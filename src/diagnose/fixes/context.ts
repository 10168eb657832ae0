import path from 'node:path';
import { CLIENT_NAMES, FAMILY_REPRESENTATIVE, type ClientFamily, type ClientId } from '../../connection/clients.js';
import type { Deployment, DiagnosisCode } from '../codes.js';
import { DEFAULT_CA_PATH, DEFAULT_PORT, type SettingsClient, type Snippet } from '../../connection/driver-inputs.js';
import { buildConnectionSettings } from '../../connection/driver-settings.js';
import type { ParsedConnection } from '../../connection/pasted-parts.js';
import { emptyFacts, type Facts } from '../extract.js';
import { DEFAULT_CERTS_DIR_WORD, need, raw, sh, shq, Shell, type ShellValue } from '../../core/shell.js';

/** Everything a guide may tailor its causes and steps to. Every field is optional knowledge. */
export interface FixContext {
  client: ClientId | null;
  family: ClientFamily | null;
  deployment: Deployment | null;
  host: string | null;
  port: number | null;
  user: string | null;
  database: string | null;
  caPath: string | null;
  certPath: string | null;
  keyPath: string | null;
  routingId: string | null;
  sslmode: string | null;
  connection: ParsedConnection | null;
  /** Ids of the signals that matched (rules/*.ts), to pick the most likely cause. */
  signals: ReadonlySet<string>;
  facts: Facts;
  /** COCKROACH_CERTS_DIR / COCKROACH_CA_KEY where the commands will run (crdb-tls reads them itself). */
  env: { certsDir: string | null; caKey: string | null };
}

export function fixContext(partial: Partial<FixContext> = {}): FixContext {
  return {
    client: null,
    family: null,
    deployment: null,
    host: null,
    port: null,
    user: null,
    database: null,
    caPath: null,
    certPath: null,
    keyPath: null,
    routingId: null,
    sslmode: null,
    connection: null,
    signals: new Set(),
    facts: emptyFacts(),
    env: { certsDir: null, caKey: null },
    ...partial,
  };
}

import type { Cause, FixStep, NextTool } from '../schema.js';
export type { Cause, FixStep, NextTool } from '../schema.js';

export type StepDraft = Omit<FixStep, 'step'>;
export type CauseDraft = Omit<Cause, 'rank'>;

export interface Guide {
  /** One sentence: what shows that THIS code is the fault (used to tell alternatives apart). */
  confirm: (ctx: FixContext) => string;
  explanation: (ctx: FixContext) => string;
  causes: (ctx: FixContext) => CauseDraft[];
  fixes: (ctx: FixContext) => StepDraft[];
  nextTools: (ctx: FixContext) => NextTool[];
}

export type GuideTable = Record<DiagnosisCode, Guide>;

// ---- placeholders: what to write when the text did not say

export const hostOf = (ctx: FixContext) => ctx.host ?? '<host>';
export const portOf = (ctx: FixContext) => ctx.port ?? DEFAULT_PORT;
export const userOf = (ctx: FixContext) => ctx.user ?? (ctx.facts.users.find((u) => u.role === 'requested')?.user ?? '<user>');
const textFile = (ctx: FixContext, role: 'ca' | 'client', key: boolean) =>
  ctx.facts.files.find((f) => f.role === role && (role === 'ca' || (f.path.endsWith('.key') || f.path.endsWith('.pk8')) === key))?.path;
/** The directory the known files live in (the CA's, else the certificate's or key's), else certs/. */
export const certsDirOf = (ctx: FixContext) => {
  const known = ctx.caPath ?? ctx.certPath ?? ctx.keyPath ?? textFile(ctx, 'ca', false) ?? textFile(ctx, 'client', false) ?? textFile(ctx, 'client', true);
  return known ? path.dirname(known) : path.dirname(DEFAULT_CA_PATH);
};
export const caOf = (ctx: FixContext) => ctx.caPath ?? textFile(ctx, 'ca', false) ?? `${certsDirOf(ctx)}/ca.crt`;
export const certOf = (ctx: FixContext) => {
  const key = ctx.keyPath ?? textFile(ctx, 'client', true);
  if (ctx.certPath) return ctx.certPath;
  const fromText = textFile(ctx, 'client', false);
  if (fromText) return fromText;
  if (key && key.endsWith('.key')) return `${key.slice(0, -'.key'.length)}.crt`;
  if (key && key.endsWith('.key.pk8')) return `${key.slice(0, -'.key.pk8'.length)}.crt`;
  return `${certsDirOf(ctx)}/client.${userOf(ctx)}.crt`;
};
export const keyOf = (ctx: FixContext) => {
  if (ctx.keyPath) return ctx.keyPath;
  const fromText = textFile(ctx, 'client', true);
  if (fromText) return fromText;
  const cert = ctx.certPath ?? textFile(ctx, 'client', false);
  if (cert && cert.endsWith('.crt')) return `${cert.slice(0, -'.crt'.length)}.key`;
  return `${certsDirOf(ctx)}/client.${userOf(ctx)}.key`;
};
export const clientName = (ctx: FixContext) => (ctx.client ? CLIENT_NAMES[ctx.client] : 'the client');

// ---- shell words: what a printed command says for each value (src/core/shell.ts)

const certsDirCache = new WeakMap<FixContext, string | null>();

/** The certs directory named by the text, the settings or COCKROACH_CERTS_DIR; null when none did. */
function knownCertsDir(ctx: FixContext): string | null {
  const cached = certsDirCache.get(ctx);
  if (cached !== undefined) return cached;
  const dir = findCertsDir(ctx);
  certsDirCache.set(ctx, dir);
  return dir;
}

function findCertsDir(ctx: FixContext): string | null {
  const known = ctx.caPath ?? ctx.certPath ?? ctx.keyPath ?? textFile(ctx, 'ca', false) ?? textFile(ctx, 'client', false) ?? textFile(ctx, 'client', true);
  return known ? path.dirname(known) : ctx.env.certsDir;
}
const inCertsDir = (ctx: FixContext, file: string): ShellValue => {
  const dir = knownCertsDir(ctx);
  return dir ? path.join(dir, file) : raw(`${DEFAULT_CERTS_DIR_WORD.slice(0, -1)}/${file}"`);
};
export const hostWord = (ctx: FixContext): string | Shell => ctx.host ?? need('host');
export const userWord = (ctx: FixContext): string | Shell => ctx.user ?? ctx.facts.users.find((u) => u.role === 'requested')?.user ?? need('user');
export const certsDirWord = (ctx: FixContext): ShellValue => knownCertsDir(ctx) ?? raw(DEFAULT_CERTS_DIR_WORD);
export const caWord = (ctx: FixContext): ShellValue => ctx.caPath ?? textFile(ctx, 'ca', false) ?? inCertsDir(ctx, 'ca.crt');
export const nodeCertWord = (ctx: FixContext): ShellValue => inCertsDir(ctx, 'node.crt');
export const inCertsDirWord = inCertsDir;
const userKnown = (ctx: FixContext) => ctx.user ?? ctx.facts.users.find((u) => u.role === 'requested')?.user ?? null;
/** The client certificate / key in commands: the known file, else client.USER.crt/.key in the certs dir. */
function clientFileWord(ctx: FixContext, ext: 'crt' | 'key'): string | Shell {
  const known = ctx.certPath || ctx.keyPath || textFile(ctx, 'client', false) || textFile(ctx, 'client', true) || userKnown(ctx);
  if (known) return ext === 'crt' ? certOf(ctx) : keyOf(ctx);
  const dir = knownCertsDir(ctx);
  return raw(`${dir ? shq(dir) : DEFAULT_CERTS_DIR_WORD}/client.${need('user').text}.${ext}`);
}
export const certWord = (ctx: FixContext): string | Shell => clientFileWord(ctx, 'crt');
export const keyWord = (ctx: FixContext): string | Shell => clientFileWord(ctx, 'key');
/** `--certs-dir DIR` for crdb-tls when the directory is known; nothing (crdb-tls's default, $COCKROACH_CERTS_DIR) otherwise. */
export const certsDirFlag = (ctx: FixContext): Shell => {
  const dir = knownCertsDir(ctx);
  return raw(dir && dir !== ctx.env.certsDir ? `--certs-dir ${shq(dir)}` : '');
};
/** `--ca-key` for crdb-tls / cockroach: nothing when COCKROACH_CA_KEY is set (both read it), else an expansion that asks for it. */
export const caKeyFlag = (ctx: FixContext): Shell => raw(ctx.env.caKey ? '' : `--ca-key ${need('caKey').text}`);

/** `openssl s_client` speaking pgwire's SSLRequest first (OpenSSL ≥ 1.1.1 `-starttls postgres`). `extra` is shell text (build it with sh). */
export function opensslProbe(ctx: FixContext, extra = ''): string {
  const host = hostWord(ctx);
  const connect = typeof host === 'string' ? shq(`${host.includes(':') ? `[${host}]` : host}:${portOf(ctx)}`) : raw(`${host.text.slice(0, -1)}:${portOf(ctx)}"`).text;
  return `openssl s_client -connect ${connect} -starttls postgres -servername ${sh`${host}`}${extra} </dev/null`;
}

/** crdb-tls cert create-client for the user of this context. */
export function createClientCommand(ctx: FixContext, extra = ''): string {
  return sh`crdb-tls cert create-client ${userWord(ctx)} ${certsDirFlag(ctx)} ${caKeyFlag(ctx)}` + extra;
}

/** The name of a client's CA / certificate / key setting, in its own vocabulary. */
export function settingName(ctx: FixContext, what: 'ca' | 'cert' | 'key'): string {
  const names: Record<string, [string, string, string]> = {
    node: ['ssl.ca', 'ssl.cert', 'ssl.key'],
    java: ['sslrootcert', 'sslcert', 'sslkey (a PKCS#8 file)'],
    dotnet: ['Root Certificate', 'SSL Certificate', 'SSL Key'],
    prisma: ['sslcert (Prisma\'s name for the CA)', 'sslidentity (PKCS#12)', 'sslidentity (PKCS#12)'],
    changefeed: ['ca_cert', 'client_cert', 'client_key'],
  };
  const row = names[ctx.family ?? ''] ?? ['sslrootcert', 'sslcert', 'sslkey'];
  return row[what === 'ca' ? 0 : what === 'cert' ? 1 : 2];
}

/** The client whose settings to show: the one named, else its family's representative, else libpq. */
function settingsClient(ctx: FixContext): SettingsClient | null {
  const client = ctx.client ?? (ctx.family ? FAMILY_REPRESENTATIVE[ctx.family] : 'libpq');
  return client === 'kafka-changefeed' ? null : client;
}

/** What a "configure the client" step takes from the client's full verify-full settings. */
interface ConfigureParts {
  prerequisites: ReadonlyArray<{ action: string; command: string }>;
  snippet: Readonly<Snippet>;
  clientName: string;
  semantics: string;
}

/**
 * buildConnectionSettings is pure and costs more than the rest of a diagnosis put together, while
 * the inputs repeat (most pasted texts name no host, user or file: the placeholders are the same).
 * So the parts a step needs are kept per distinct input, copied out per call; bounded so that a
 * stream of distinct hosts cannot grow the process.
 */
const partsCache = new Map<string, ConfigureParts | null>();
const PARTS_CACHE_LIMIT = 512;

function configureParts(ctx: FixContext, withClientCert: boolean): ConfigureParts | null {
  const client = settingsClient(ctx);
  if (!client) return null;
  const host = hostOf(ctx);
  const port = portOf(ctx);
  const user = userOf(ctx);
  const ca = caOf(ctx);
  const cert = withClientCert ? certOf(ctx) : null;
  const key = withClientCert ? keyOf(ctx) : null;
  const key_ = JSON.stringify([client, host, port, user, ctx.database || null, ca, cert, key, ctx.routingId || null, ctx.deployment || null]);
  const cached = partsCache.get(key_);
  if (cached !== undefined) return cached;
  const settings = buildConnectionSettings({
    client,
    host,
    port,
    user,
    ...(ctx.database ? { database: ctx.database } : {}),
    ca,
    ...(cert !== null && key !== null ? { cert, key } : {}),
    ...(ctx.routingId ? { cluster: ctx.routingId } : {}),
    ...(ctx.deployment ? { deployment: ctx.deployment } : {}),
  });
  const parts: ConfigureParts = {
    prerequisites: settings.prerequisites
      .filter((p) => !p.command.startsWith('crdb-tls cert list'))
      .map((p) => ({ action: p.why.endsWith('.') ? p.why : `${p.why}.`, command: p.command })),
    snippet: settings.settings[0]!,
    clientName: settings.client_name,
    semantics: settings.sslmode_semantics,
  };
  if (partsCache.size >= PARTS_CACHE_LIMIT) partsCache.clear();
  partsCache.set(key_, parts);
  return parts;
}

/** Does this attempt use a client certificate? (given in the settings, or named in the text) */
function usesClientCert(ctx: FixContext): boolean {
  const p = ctx.connection?.params ?? {};
  return Boolean(ctx.certPath || ctx.keyPath || p.sslcert || p.sslkey || p.sslidentity || ctx.facts.files.some((f) => f.role === 'client'));
}

/** One step "configure the client" with its snippet, and the steps its prerequisites need first. */
export function configureSteps(ctx: FixContext, action: string, withClientCert = usesClientCert(ctx)): StepDraft[] {
  const parts = configureParts(ctx, withClientCert);
  if (!parts) return [];
  // Fresh objects per call: the cached parts are shared between diagnoses.
  const steps: StepDraft[] = parts.prerequisites.map((p) => ({ action: p.action, command: p.command }));
  const known = ctx.client ? '' : ` (client not recognised: shown for ${parts.clientName}; run again with --client for yours)`;
  steps.push({ action: `${action}${known}. ${parts.semantics}`, snippet: { ...parts.snippet } });
  return steps;
}

/** The connection string's ssl parameters that replace node-postgres's ssl object. */
export function nodeOverridingParams(ctx: FixContext): string[] {
  const p = ctx.connection?.params ?? {};
  return ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'ssl'].filter((name) => p[name] !== undefined);
}

export const isNodeFamily = (ctx: FixContext) => ctx.family === 'node';
export const isJava = (ctx: FixContext) => ctx.family === 'java';
export const isCloud = (ctx: FixContext) => ctx.deployment === 'cloud';

// ---- next tools

export function probeTool(ctx: FixContext, reason: string, withCa = true): NextTool {
  const args: NextTool['arguments'] = { host: hostOf(ctx), port: portOf(ctx) };
  // libpq dialled an address ("connection to server at 127.0.0.1") and checked another name: probe that address with that name.
  const address = ctx.connection ? undefined : ctx.facts.hosts.find((h) => h.host !== ctx.host && h.port !== null);
  if (address && ctx.host) Object.assign(args, { host: address.host, port: address.port!, servername: ctx.host });
  if (withCa) args.ca = caOf(ctx);
  return { tool: 'probe_server', arguments: args, reason: ctx.host ? reason : `${reason} (the host was not in the text: fill it in)` };
}

export function testConnectionTool(ctx: FixContext): NextTool {
  const args: NextTool['arguments'] = { host: hostOf(ctx), port: portOf(ctx), user: userOf(ctx), sslmode: 'verify-full', ca: caOf(ctx) };
  if (usesClientCert(ctx)) Object.assign(args, { cert: certOf(ctx), key: keyOf(ctx) });
  return { tool: 'test_connection', arguments: args, reason: 'log in with the corrected settings to prove the fix' };
}

export function connectionStringTool(ctx: FixContext, reason = 'the complete verify-full settings for this client'): NextTool {
  const args: NextTool['arguments'] = { client: settingsClient(ctx) ?? 'libpq', host: hostOf(ctx), port: portOf(ctx), ca: caOf(ctx) };
  if (ctx.user) args.user = ctx.user;
  if (usesClientCert(ctx)) Object.assign(args, { cert: certOf(ctx), key: keyOf(ctx) });
  if (ctx.routingId) args.cluster = ctx.routingId;
  return { tool: 'connection_string', arguments: args, reason };
}

export function inspectTool(file: string, reason: string, ca?: string): NextTool {
  return { tool: 'inspect_certificate', arguments: { certificate: file, ...(ca ? { ca } : {}) }, reason };
}

export function listCertsTool(dir: string, reason: string): NextTool {
  return { tool: 'list_certs', arguments: { certs_dir: dir }, reason };
}
