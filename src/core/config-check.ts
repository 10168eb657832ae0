import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cloudSettings, DEFAULT_CLOUD_SERVER } from '../cloud/credentials.js';
import { BACKUPS_DIR } from '../rotation/backup.js';
import { backupSummary, DEFAULT_PRUNE_AGE_DAYS } from '../rotation/prune.js';
import { parseBoolean, parseMcpConfirm, policyFromEnv, PolicyError, type GatePolicy, type McpConfirm } from '../gate/policy.js';
import { LOOPBACK_RULES, MCP_STDIO_RULES, NETWORK_ALLOW_VARIABLE, PASSWORD_HOSTS_VARIABLE } from '../net/policy.js';
import { defaultRoots, loadConfig, networkSettings, type Face } from './config.js';
import { RELOAD_PROCESSES_VARIABLE, reloadProcessesFromEnv } from '../rotation/node-process.js';
import { ToolError } from './errors.js';
import { checkHttpToken, DEFAULT_TOKEN_LABEL, httpAllowedOrigins, httpTokenLabel, MIN_TOKEN_LENGTH } from './http-settings.js';
import { AllowedPaths } from './paths.js';
import { isMutating, type ToolDefinition } from './tool.js';

/**
 * `crdb-tls config check` (DESIGN.md §6): every variable judged on its own, and what each face
 * would do with the whole. Offline: nothing is contacted, nothing is written. Secrets are never
 * shown, only "set (N chars)".
 */

export type CheckStatus = 'ok' | 'default' | 'warning' | 'invalid';

interface VariableCheck {
  name: string;
  status: CheckStatus;
  /** What to show for the value: the value itself, "set (N chars)" for a secret, or "unset". */
  shown: string;
  message: string;
}

export type FaceName = 'cli' | 'mcp_stdio' | 'mcp_http' | 'slack';

interface FacePlan {
  face: FaceName;
  /** Whether this face would start with this configuration. */
  would_start: boolean;
  lines: string[];
}

export interface ConfigReport {
  /** False when any variable is invalid. */
  valid: boolean;
  variables: VariableCheck[];
  faces: FacePlan[];
}

type ToolInfo = Pick<ToolDefinition, 'name' | 'effects'>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const secret = (value: string) => `set (${value.length} chars)`;
const describeError = (error: unknown) => (error instanceof ToolError || error instanceof PolicyError ? error.message : String(error));

/** The URL without its password: postgresql://user:***@host:26257/db?sslmode=verify-full */
function redactDatabaseUrl(url: URL): string {
  const copy = new URL(url.toString());
  if (copy.password) copy.password = '***';
  return copy.toString();
}

/** A directory exists and is writable, or can be created (its nearest existing parent is writable). */
function writableDirProblem(dir: string): string | undefined {
  let probe = dir;
  for (;;) {
    try {
      const stat = fs.statSync(probe);
      if (!stat.isDirectory()) return probe === dir ? `${dir} is not a directory` : `${probe} is not a directory, so ${dir} cannot be created`;
      fs.accessSync(probe, fs.constants.W_OK);
      return undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return `${probe} is not writable by ${os.userInfo().username}`;
      if (code !== 'ENOENT') return `${probe}: ${(error as Error).message}`;
      const parent = path.dirname(probe);
      if (parent === probe) return `no existing parent of ${dir}`;
      probe = parent;
    }
  }
}

function kindOf(file: string): 'file' | 'dir' | 'other' | 'missing' {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : 'other';
  } catch {
    return 'missing';
  }
}

/** What each CRDB_TLS_MCP_CONFIRM setting lets an assistant do without a person (README, security model). */
const MCP_CONFIRM_TEXT: Record<McpConfirm, string> = {
  person:
    'person: without elicitation a gated MCP call waits until a person approves it with crdb-tls confirm <id> in a terminal of this OS user (or, with CRDB_TLS_DATABASE_URL shared with the Slack app, /crdb-tls approve <ref> by an allowed Slack confirmer); the id passed back alone is refused',
  slack: 'slack: terminals cannot approve a gated MCP call; an allowed Slack confirmer other than the requester approves it with /crdb-tls approve <ref> (the Slack app must share CRDB_TLS_DATABASE_URL; without it such calls do not run)',
  assistant:
    'assistant: ADVISORY — the assistant passing the id back counts as the confirmation, so a prompt-injected assistant can confirm its own high-severity actions; audited as self-confirmed',
};

/** The outcome of one policy variable, judged by the same code the runner uses. */
function policyCheck(name: string, value: string | undefined, defaultText: string): VariableCheck {
  if (value === undefined) return { name, status: 'default', shown: 'unset', message: defaultText };
  try {
    policyFromEnv({ [name]: value });
    return { name, status: 'ok', shown: value, message: '' };
  } catch (error) {
    return { name, status: 'invalid', shown: value, message: describeError(error) };
  }
}

export function checkConfig(env: NodeJS.ProcessEnv, tools: ToolInfo[]): ConfigReport {
  const vars: VariableCheck[] = [];
  const add = (check: VariableCheck) => vars.push(check);
  const set = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);

  // ---- which hosts network tools may reach, and which may receive the environment's password
  const networkProblems = new Map<string, string>();
  for (const name of [NETWORK_ALLOW_VARIABLE, PASSWORD_HOSTS_VARIABLE]) {
    try {
      networkSettings('slack', { [name]: env[name] });
    } catch (error) {
      networkProblems.set(name, describeError(error));
    }
  }
  // An invalid list is reported below; the rest of the check goes on as if it were unset.
  const usable: NodeJS.ProcessEnv = { ...env };
  for (const name of networkProblems.keys()) delete usable[name];
  const networkOf = (face: Face) => networkSettings(face, usable);
  const reach = (face: Face) => networkOf(face).network.list.describe();
  const passwordsTo = (face: Face) => {
    const hosts = networkOf(face).passwordHosts;
    return hosts.restricted ? (hosts.describe() === 'no host' ? 'no host (the environment\'s PGPASSWORD / ~/.pgpass are never sent)' : hosts.describe()) : 'any host';
  };
  const allowVar = set(NETWORK_ALLOW_VARIABLE);
  if (networkProblems.has(NETWORK_ALLOW_VARIABLE)) add({ name: NETWORK_ALLOW_VARIABLE, status: 'invalid', shown: allowVar ?? '', message: networkProblems.get(NETWORK_ALLOW_VARIABLE)! });
  else if (allowVar === undefined) add({ name: NETWORK_ALLOW_VARIABLE, status: 'default', shown: 'unset', message: `CLI: any host; MCP stdio: ${MCP_STDIO_RULES}; MCP HTTP and Slack: loopback only (${LOOPBACK_RULES})` });
  else add({ name: NETWORK_ALLOW_VARIABLE, status: 'ok', shown: allowVar, message: 'network tools may reach only these targets, on every face (names never reach loopback or link-local addresses without an address rule)' });
  const passwordVar = set(PASSWORD_HOSTS_VARIABLE);
  if (networkProblems.has(PASSWORD_HOSTS_VARIABLE)) add({ name: PASSWORD_HOSTS_VARIABLE, status: 'invalid', shown: passwordVar ?? '', message: networkProblems.get(PASSWORD_HOSTS_VARIABLE)! });
  else if (passwordVar === undefined) add({ name: PASSWORD_HOSTS_VARIABLE, status: 'default', shown: 'unset', message: 'CLI: PGPASSWORD / ~/.pgpass go to any host; MCP and Slack: to none' });
  else add({ name: PASSWORD_HOSTS_VARIABLE, status: 'ok', shown: passwordVar, message: 'the environment\'s PGPASSWORD / ~/.pgpass go only to these hosts (never over sslmode=disable, allow or prefer)' });

  // ---- which processes reload_node_certs may signal
  {
    const value = set(RELOAD_PROCESSES_VARIABLE);
    try {
      const names = reloadProcessesFromEnv(env);
      add({ name: RELOAD_PROCESSES_VARIABLE, status: value === undefined ? 'default' : 'ok', shown: value ?? 'unset', message: `reload_node_certs signals only a process running ${names.join(', ')} (checked in /proc)` });
    } catch (error) {
      add({ name: RELOAD_PROCESSES_VARIABLE, status: 'invalid', shown: value ?? '', message: describeError(error) });
      delete usable[RELOAD_PROCESSES_VARIABLE];
    }
  }

  // ---- where state lives
  const cliConfig = loadConfig('cli', usable);
  const mcpConfig = loadConfig('mcp', usable);
  {
    const problem = writableDirProblem(mcpConfig.stateDir);
    const given = set('CRDB_TLS_STATE_DIR');
    const status: CheckStatus = problem ? (kindOf(mcpConfig.stateDir) === 'file' || kindOf(mcpConfig.stateDir) === 'other' ? 'invalid' : 'warning') : given ? 'ok' : 'default';
    // Backups hold old private keys (rotation/backup.ts): say where they are and how old, and how to remove them.
    const backups = path.join(mcpConfig.stateDir, BACKUPS_DIR);
    const held = backupSummary(backups);
    const backupText = `; backups of replaced keys and certificates in ${backups} (${held.count === 0 ? 'none' : `${held.count}, the oldest ${held.oldestDays} days old; remove old ones with crdb-tls rotate prune --older-than ${DEFAULT_PRUNE_AGE_DAYS}d`})`;
    add({ name: 'CRDB_TLS_STATE_DIR', status, shown: given ?? 'unset', message: problem ? `${problem}; the audit trail cannot be written` : `audit trail and plans in ${mcpConfig.stateDir}${backupText}` });
  }
  const databaseUrl = set('CRDB_TLS_DATABASE_URL');
  let databaseShown = '';
  if (databaseUrl === undefined) {
    add({ name: 'CRDB_TLS_DATABASE_URL', status: 'default', shown: 'unset', message: 'embedded store: confirmations and audit trail in the state dir' });
  } else {
    let url: URL | undefined;
    try {
      url = new URL(databaseUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') || !url.hostname) {
      add({ name: 'CRDB_TLS_DATABASE_URL', status: 'invalid', shown: secret(databaseUrl), message: 'not a postgresql://user@host:port/db URL' });
    } else {
      databaseShown = redactDatabaseUrl(url);
      add({ name: 'CRDB_TLS_DATABASE_URL', status: 'ok', shown: databaseShown, message: 'shared store in PostgreSQL/CockroachDB (not contacted by this check)' });
    }
  }

  // ---- what file tools may touch
  const rootsVar = set('CRDB_TLS_ROOTS')?.trim();
  if (!rootsVar) {
    const { cwdLeftOut } = defaultRoots();
    const leftOut = cwdLeftOut ? ` (the working directory ${cwdLeftOut} is left out: it holds the whole tree; set CRDB_TLS_ROOTS to the directories the tools may use)` : '';
    add({ name: 'CRDB_TLS_ROOTS', status: 'default', shown: 'unset', message: `CLI: unrestricted; MCP and Slack: ${mcpConfig.roots!.join(', ')}${leftOut}` });
  } else {
    const missing = mcpConfig.roots!.filter((root) => kindOf(root) !== 'dir');
    add({ name: 'CRDB_TLS_ROOTS', status: missing.length ? 'warning' : 'ok', shown: rootsVar, message: missing.length ? `not an existing directory: ${missing.join(', ')}` : `file tools limited to ${mcpConfig.roots!.join(', ')}` });
  }

  // ---- the gate
  add(policyCheck('CRDB_TLS_READ_ONLY', env.CRDB_TLS_READ_ONLY, 'false: mutating tools are offered'));
  add(policyCheck('CRDB_TLS_CONFIRM_THRESHOLD', env.CRDB_TLS_CONFIRM_THRESHOLD, 'medium: medium and high severity calls need confirmation'));
  add(policyCheck('CRDB_TLS_CONFIRMATION_TTL_SECONDS', env.CRDB_TLS_CONFIRMATION_TTL_SECONDS, 'a confirmation stays valid 600 s'));
  {
    const check = policyCheck('CRDB_TLS_MCP_CONFIRM', env.CRDB_TLS_MCP_CONFIRM, MCP_CONFIRM_TEXT.person);
    if (check.status === 'ok') {
      const mode = parseMcpConfirm(env.CRDB_TLS_MCP_CONFIRM);
      // The advisory setting is a warning: with it, an assistant can confirm its own actions.
      add({ ...check, status: mode === 'assistant' ? 'warning' : 'ok', message: MCP_CONFIRM_TEXT[mode] });
    } else add(check);
  }
  let policy: GatePolicy | undefined;
  try {
    policy = policyFromEnv(env);
  } catch {
    policy = undefined;
  }
  const logLevel = set('CRDB_TLS_LOG_LEVEL');
  add(logLevel === undefined
    ? { name: 'CRDB_TLS_LOG_LEVEL', status: 'default', shown: 'unset', message: 'warn' }
    : LOG_LEVELS.includes(logLevel)
      ? { name: 'CRDB_TLS_LOG_LEVEL', status: 'ok', shown: logLevel, message: '' }
      : { name: 'CRDB_TLS_LOG_LEVEL', status: 'invalid', shown: logLevel, message: `not one of ${LOG_LEVELS.join(', ')}` });

  // ---- cockroach cert defaults
  const mcpPaths = new AllowedPaths(mcpConfig.roots);
  const outsideMcpRoots = (p: string) => {
    try {
      mcpPaths.resolve(p);
      return false;
    } catch {
      return true;
    }
  };
  const certsDir = set('COCKROACH_CERTS_DIR');
  if (certsDir === undefined) add({ name: 'COCKROACH_CERTS_DIR', status: 'default', shown: 'unset', message: `default --certs-dir: ${path.join(os.homedir(), '.cockroach-certs')}` });
  else {
    const kind = kindOf(path.resolve(certsDir));
    add(kind === 'dir'
      ? outsideMcpRoots(certsDir)
        ? { name: 'COCKROACH_CERTS_DIR', status: 'warning', shown: certsDir, message: 'default --certs-dir, but outside the MCP/Slack roots (CRDB_TLS_ROOTS): file tools there refuse it' }
        : { name: 'COCKROACH_CERTS_DIR', status: 'ok', shown: certsDir, message: 'default --certs-dir' }
      : kind === 'missing'
        ? { name: 'COCKROACH_CERTS_DIR', status: 'warning', shown: certsDir, message: 'does not exist yet; create it before issuing into it' }
        : { name: 'COCKROACH_CERTS_DIR', status: 'invalid', shown: certsDir, message: 'exists and is not a directory' });
  }
  const caKey = set('COCKROACH_CA_KEY');
  if (caKey === undefined) add({ name: 'COCKROACH_CA_KEY', status: 'default', shown: 'unset', message: '--ca-key must be given to issue' });
  else {
    const kind = kindOf(path.resolve(caKey));
    add(kind === 'file'
      ? { name: 'COCKROACH_CA_KEY', status: 'ok', shown: caKey, message: 'default --ca-key' }
      : kind === 'missing'
        ? { name: 'COCKROACH_CA_KEY', status: 'warning', shown: caKey, message: 'does not exist yet; create_ca writes it, the other create_* tools need it' }
        : { name: 'COCKROACH_CA_KEY', status: 'invalid', shown: caKey, message: 'exists and is not a regular file' });
  }

  // ---- Cloud
  const apiKey = set('COCKROACH_API_KEY');
  const apiKeyFile = set('COCKROACH_API_KEY_FILE');
  let cloudKey = false;
  if (apiKey !== undefined) {
    const trimmed = apiKey.trim();
    cloudKey = trimmed !== '' && !/\s/.test(trimmed);
    add({ name: 'COCKROACH_API_KEY', status: cloudKey ? 'ok' : 'invalid', shown: secret(apiKey), message: cloudKey ? 'Cloud API key' : 'holds white space inside; the key is one word' });
  } else add({ name: 'COCKROACH_API_KEY', status: 'default', shown: 'unset', message: apiKeyFile ? 'the key comes from COCKROACH_API_KEY_FILE' : 'Cloud tools that need a key (get/set/remove_client_ca) will refuse' });
  if (apiKeyFile !== undefined) {
    try {
      cloudSettings({ cloud: { server: undefined, apiKeyFile, apiKey: () => undefined } });
      cloudKey = true;
      add({ name: 'COCKROACH_API_KEY_FILE', status: apiKey ? 'warning' : 'ok', shown: apiKeyFile, message: apiKey ? 'ignored: COCKROACH_API_KEY is set and wins' : 'Cloud API key read from this file' });
    } catch (error) {
      add({ name: 'COCKROACH_API_KEY_FILE', status: apiKey ? 'warning' : 'invalid', shown: apiKeyFile, message: describeError(error) });
    }
  } else add({ name: 'COCKROACH_API_KEY_FILE', status: 'default', shown: 'unset', message: '' });
  const server = set('COCKROACH_SERVER');
  let cloudServer = DEFAULT_CLOUD_SERVER;
  if (server === undefined) add({ name: 'COCKROACH_SERVER', status: 'default', shown: 'unset', message: DEFAULT_CLOUD_SERVER });
  else {
    try {
      cloudServer = cloudSettings({ cloud: { server, apiKeyFile: undefined, apiKey: () => undefined } }).server;
      const plain = cloudServer.startsWith('http:');
      add({ name: 'COCKROACH_SERVER', status: plain ? 'warning' : 'ok', shown: server, message: plain ? 'plain http: the API key would travel unencrypted' : '' });
    } catch (error) {
      add({ name: 'COCKROACH_SERVER', status: 'invalid', shown: server, message: describeError(error) });
    }
  }

  // ---- MCP over HTTP
  const token = env.CRDB_TLS_HTTP_TOKEN;
  let tokenOk = false;
  if (token === undefined || token === '') add({ name: 'CRDB_TLS_HTTP_TOKEN', status: 'default', shown: 'unset', message: 'crdb-tls mcp --http refuses to start without it' });
  else {
    try {
      checkHttpToken(token);
      tokenOk = true;
      add({ name: 'CRDB_TLS_HTTP_TOKEN', status: 'ok', shown: secret(token), message: '' });
    } catch (error) {
      add({ name: 'CRDB_TLS_HTTP_TOKEN', status: 'invalid', shown: secret(token), message: describeError(error) });
    }
  }
  let tokenLabel = DEFAULT_TOKEN_LABEL;
  try {
    tokenLabel = httpTokenLabel(env.CRDB_TLS_HTTP_TOKEN_LABEL);
    add({ name: 'CRDB_TLS_HTTP_TOKEN_LABEL', status: set('CRDB_TLS_HTTP_TOKEN_LABEL') ? 'ok' : 'default', shown: set('CRDB_TLS_HTTP_TOKEN_LABEL') ?? 'unset', message: `HTTP calls are audited as "${tokenLabel}"` });
  } catch (error) {
    add({ name: 'CRDB_TLS_HTTP_TOKEN_LABEL', status: 'invalid', shown: '(not shown)', message: describeError(error) });
  }
  let origins: string[] | undefined;
  let originsOk = true;
  try {
    origins = httpAllowedOrigins(env.CRDB_TLS_HTTP_ALLOWED_ORIGINS);
    add({ name: 'CRDB_TLS_HTTP_ALLOWED_ORIGINS', status: origins ? 'ok' : 'default', shown: set('CRDB_TLS_HTTP_ALLOWED_ORIGINS') ?? 'unset', message: origins ? `browser origins allowed: ${origins.join(', ')}` : 'http://localhost:PORT and http://127.0.0.1:PORT' });
  } catch (error) {
    originsOk = false;
    add({ name: 'CRDB_TLS_HTTP_ALLOWED_ORIGINS', status: 'invalid', shown: env.CRDB_TLS_HTTP_ALLOWED_ORIGINS ?? '', message: describeError(error) });
  }

  // ---- Slack (DESIGN.md §6)
  const botToken = set('SLACK_BOT_TOKEN');
  const appToken = set('SLACK_APP_TOKEN');
  const signingSecret = set('SLACK_SIGNING_SECRET');
  const slackPrefix = (name: string, value: string | undefined, prefix: string, what: string) => {
    if (value === undefined) return add({ name, status: 'default', shown: 'unset', message: what });
    const ok = value.startsWith(prefix);
    add({ name, status: ok ? 'ok' : 'invalid', shown: secret(value), message: ok ? '' : `a Slack ${name === 'SLACK_BOT_TOKEN' ? 'bot' : 'app-level'} token starts with ${prefix}` });
  };
  slackPrefix('SLACK_BOT_TOKEN', botToken, 'xoxb-', 'the Slack face is not configured');
  slackPrefix('SLACK_APP_TOKEN', appToken, 'xapp-', 'no Socket Mode: Slack must reach this process over HTTP (Events API)');
  if (signingSecret !== undefined) add({ name: 'SLACK_SIGNING_SECRET', status: 'ok', shown: secret(signingSecret), message: '' });
  else add({ name: 'SLACK_SIGNING_SECRET', status: botToken && !appToken ? 'invalid' : 'default', shown: 'unset', message: botToken && !appToken ? 'needed to verify requests from Slack when SLACK_APP_TOKEN (Socket Mode) is unset' : '' });
  const slackApi = set('SLACK_API_URL');
  if (slackApi === undefined) add({ name: 'SLACK_API_URL', status: 'default', shown: 'unset', message: 'https://slack.com/api/' });
  else {
    let ok: boolean;
    try {
      ok = ['http:', 'https:'].includes(new URL(slackApi).protocol);
    } catch {
      ok = false;
    }
    add({ name: 'SLACK_API_URL', status: ok ? 'ok' : 'invalid', shown: slackApi, message: ok ? '' : 'not an http(s) URL' });
  }
  const confirmers = (set('CRDB_TLS_SLACK_CONFIRMERS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!confirmers.length) add({ name: 'CRDB_TLS_SLACK_CONFIRMERS', status: 'default', shown: 'unset', message: 'nobody is named to confirm in Slack' });
  else {
    const odd = confirmers.filter((id) => !/^[UW][A-Z0-9]{2,}$/.test(id));
    add({ name: 'CRDB_TLS_SLACK_CONFIRMERS', status: odd.length ? 'warning' : 'ok', shown: confirmers.join(','), message: odd.length ? `not Slack user ids (U…/W…): ${odd.join(', ')}` : `${confirmers.length} user(s) may confirm` });
  }
  let fourEyes = true;
  if (env.CRDB_TLS_FOUR_EYES === undefined) add({ name: 'CRDB_TLS_FOUR_EYES', status: 'default', shown: 'unset', message: 'true: the requester cannot confirm their own high-severity action' });
  else {
    try {
      fourEyes = parseBoolean('CRDB_TLS_FOUR_EYES', env.CRDB_TLS_FOUR_EYES);
      add({ name: 'CRDB_TLS_FOUR_EYES', status: 'ok', shown: env.CRDB_TLS_FOUR_EYES, message: '' });
    } catch (error) {
      add({ name: 'CRDB_TLS_FOUR_EYES', status: 'invalid', shown: env.CRDB_TLS_FOUR_EYES, message: describeError(error) });
    }
  }
  const networkUsersVar = set('CRDB_TLS_SLACK_NETWORK_USERS');
  let networkUsersText = 'nobody (CRDB_TLS_SLACK_NETWORK_USERS is unset)';
  if (networkUsersVar === undefined) add({ name: 'CRDB_TLS_SLACK_NETWORK_USERS', status: 'default', shown: 'unset', message: 'nobody may run network tools (probe, rotate check/plan with hosts) from Slack' });
  else {
    // The Slack face parses it (src/slack/config.ts) and refuses to start on a bad id; here the same shape is checked.
    const items = networkUsersVar.split(',').map((s) => s.trim()).filter(Boolean);
    const odd = items.filter((id) => id !== '*' && !/^[UWS][A-Z0-9]{2,}$/.test(id));
    if (odd.length || (items.includes('*') && items.length > 1)) {
      add({ name: 'CRDB_TLS_SLACK_NETWORK_USERS', status: 'invalid', shown: networkUsersVar, message: odd.length ? `not Slack user ids (U…/W…) or user group ids (S…): ${odd.join(', ')}` : 'mixes * with ids' });
    } else {
      networkUsersText = items.includes('*') ? 'every member of the workspace' : items.length ? items.join(', ') : 'nobody';
      add({ name: 'CRDB_TLS_SLACK_NETWORK_USERS', status: 'ok', shown: networkUsersVar, message: `network tools from Slack for ${networkUsersText}` });
    }
  }
  const issuers = set('CRDB_TLS_SLACK_ISSUERS');
  add({ name: 'CRDB_TLS_SLACK_ISSUERS', status: issuers ? 'ok' : 'default', shown: issuers ?? 'unset', message: issuers ? 'who may ask for which SQL users\' certificates' : 'nobody may have certificates issued from Slack' });

  // ---- what each face would do
  const threshold = policy ? (policy.threshold === 'never' ? 'no call needs confirmation (threshold never)' : `${policy.threshold} and above need confirmation`) : 'the gate settings are invalid: no face starts';
  const visible = policy?.readOnly ? tools.filter((t) => !isMutating(t)) : tools;
  const hidden = tools.filter((t) => !visible.includes(t)).map((t) => t.name);
  const toolsLine = `tools: ${visible.length} of ${tools.length} offered${hidden.length ? ` (read-only hides ${hidden.join(', ')})` : ''}`;
  const store = databaseUrl ? `store: ${databaseShown || 'invalid CRDB_TLS_DATABASE_URL'}` : `store: embedded, audit trail in ${path.join(mcpConfig.stateDir, 'audit.jsonl')}`;
  const gateOk = policy !== undefined;
  const cloudLine = `Cloud API: ${cloudServer}${cloudKey ? ', key set' : ', no key (download_ca works, Client CA tools refuse)'}`;
  const faces: FacePlan[] = [
    {
      face: 'cli',
      would_start: gateOk,
      lines: [
        cliConfig.roots ? `file commands limited to ${cliConfig.roots.join(', ')}` : 'file commands may touch whatever this OS user may (CRDB_TLS_ROOTS unset)',
        `confirmation: ${threshold}; asked at the terminal, or --yes; --dry-run only assesses`,
        `network: ${reach('cli')}; environment password to ${passwordsTo('cli')}`,
        `defaults: --certs-dir ${certsDir ?? path.join(os.homedir(), '.cockroach-certs')}, --ca-key ${caKey ?? '(none: give --ca-key)'}`,
        cloudLine,
        store,
      ],
    },
    {
      face: 'mcp_stdio',
      would_start: gateOk,
      lines: [
        `crdb-tls mcp: ${toolsLine}`,
        `confirmation: ${threshold}; through elicitation when the client supports it, else confirmation_required and ${policy ? MCP_CONFIRM_TEXT[policy.mcpConfirm ?? 'person'] : 'invalid settings'}`,
        `file tools limited to ${mcpConfig.roots!.join(', ')}`,
        `network tools may reach: ${reach('mcp')}; environment password to ${passwordsTo('mcp')}`,
        `requests audited as "${os.userInfo().username} via <client name>"`,
        cloudLine,
        store,
      ],
    },
    {
      face: 'mcp_http',
      would_start: gateOk && tokenOk && originsOk,
      lines: [
        tokenOk ? `crdb-tls mcp --http 127.0.0.1:PORT: bearer token set, requests audited as "${tokenLabel}"` : `crdb-tls mcp --http refuses to start: CRDB_TLS_HTTP_TOKEN ${token ? `is shorter than ${MIN_TOKEN_LENGTH} characters` : 'is unset'}`,
        `Origin allowed: ${origins ? origins.join(', ') : 'http://localhost:PORT, http://127.0.0.1:PORT'} (requests without Origin are non-browser clients and pass on the token alone)`,
        'binds loopback only unless --allow-remote; serves /mcp; bodies over 4 MiB get a JSON-RPC error',
        `network tools may reach: ${reach('mcp-http')}; environment password to ${passwordsTo('mcp-http')}`,
        `same tools and gate as stdio: ${toolsLine}`,
      ],
    },
    {
      face: 'slack',
      would_start: gateOk && botToken !== undefined && (appToken !== undefined || signingSecret !== undefined),
      lines: botToken === undefined
        ? ['not configured: SLACK_BOT_TOKEN is unset']
        : [
            appToken ? 'Socket Mode (SLACK_APP_TOKEN set): no public URL needed' : signingSecret ? 'HTTP (Events API): Slack must reach this process; requests verified with SLACK_SIGNING_SECRET' : 'cannot start: neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP) is set',
            `confirmers: ${confirmers.length ? confirmers.join(', ') : 'none named'}; four-eyes for high severity: ${fourEyes ? 'on' : 'off'}`,
            `network tools may reach: ${reach('slack')}, for ${networkUsersText}; environment password to ${passwordsTo('slack')}`,
            `issuing from the CA key: ${issuers ? `allowed per CRDB_TLS_SLACK_ISSUERS (${issuers})` : 'off'}`,
            `file tools limited to ${mcpConfig.roots!.join(', ')}`,
            databaseUrl ? store : `${store} (several replicas need CRDB_TLS_DATABASE_URL to share confirmations)`,
          ],
    },
  ];
  return { valid: vars.every((v) => v.status !== 'invalid'), variables: vars, faces };
}
