import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cloudSettings, DEFAULT_CLOUD_SERVER } from '../cloud/credentials.js';
import { BACKUPS_DIR } from '../rotation/backup.js';
import { backupSummary, DEFAULT_PRUNE_AGE_DAYS } from '../rotation/prune.js';
import { parseMcpConfirm, policyFromEnv, type GatePolicy } from '../gate/policy.js';
import { LOOPBACK_RULES, MCP_STDIO_RULES, NETWORK_ALLOW_VARIABLE, PASSWORD_HOSTS_VARIABLE } from '../net/policy.js';
import { defaultRoots, loadConfig, networkSettings, type Face } from './config.js';
import { RELOAD_PROCESSES_VARIABLE, reloadProcessesFromEnv } from '../rotation/node-process.js';
import { cliFacePlan } from './config-check-cli.js';
import { checkHttpVariables, MCP_CONFIRM_TEXT, mcpFacePlans } from './config-check-mcp.js';
import { describeError, secret, type CheckStatus, type ConfigReport, type FacePlan, type FaceView, type ToolInfo, type VariableCheck } from './config-check-report.js';
import { checkSlackVariables, slackFacePlan } from './config-check-slack.js';
import { AllowedPaths } from './paths.js';
import { isMutating } from './tool.js';

/**
 * `crdb-tls config check` (DESIGN.md §6): every variable judged on its own, and what each face
 * would do with the whole. Offline: nothing is contacted, nothing is written. Secrets are never
 * shown, only "set (N chars)".
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

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

  // ---- MCP over HTTP, and Slack
  const http = checkHttpVariables(env, add, set);
  const slack = checkSlackVariables(env, add, set);

  // ---- what each face would do
  const threshold = policy ? (policy.threshold === 'never' ? 'no call needs confirmation (threshold never)' : `${policy.threshold} and above need confirmation`) : 'the gate settings are invalid: no face starts';
  const visible = policy?.readOnly ? tools.filter((t) => !isMutating(t)) : tools;
  const hidden = tools.filter((t) => !visible.includes(t)).map((t) => t.name);
  const toolsLine = `tools: ${visible.length} of ${tools.length} offered${hidden.length ? ` (read-only hides ${hidden.join(', ')})` : ''}`;
  const store = databaseUrl ? `store: ${databaseShown || 'invalid CRDB_TLS_DATABASE_URL'}` : `store: embedded, audit trail in ${path.join(mcpConfig.stateDir, 'audit.jsonl')}`;
  const gateOk = policy !== undefined;
  const cloudLine = `Cloud API: ${cloudServer}${cloudKey ? ', key set' : ', no key (download_ca works, Client CA tools refuse)'}`;
  const view: FaceView = { gateOk, policy, threshold, toolsLine, store, cloudLine, databaseUrl, cliConfig, mcpConfig, reach, passwordsTo };
  const faces: FacePlan[] = [cliFacePlan(view, { certsDir, caKey }), ...mcpFacePlans(view, http), slackFacePlan(view, slack)];
  return { valid: vars.every((v) => v.status !== 'invalid'), variables: vars, faces };
}
