/**
 * The Slack face's configuration (DESIGN.md §6), read from the environment once and checked
 * before anything connects: a missing token or a policy that does not parse stops the start with
 * one line that names the variable. Tokens stay behind functions so that logging or serialising
 * the config never shows them. The syntax of every variable is documented in slack/README.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../core/config.js';
import { ToolError } from '../core/errors.js';
import type { AllowedPaths } from '../core/paths.js';
import { parseBoolean, PolicyError } from '../gate/policy.js';
import { splitHostPort } from '../connection/pasted-parts.js';
import { parseDuration } from '../pki/duration.js';
import { isPrivilegedUser, usernameProblem } from '../pki/username.js';

const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

/** A Slack user id (U…, W… on Enterprise Grid) or a user group id (S…). */
export type Principal = { kind: 'user'; id: string } | { kind: 'group'; id: string };

/** CRDB_TLS_SLACK_ISSUERS: who may ask for client certificates of which SQL users. */
export interface IssuerRule {
  who: Principal;
  /** SQL user names (normalised), or 'ordinary': any user but root, admin and node. */
  users: ReadonlySet<string> | 'ordinary';
}

export type DigestSchedule =
  | { kind: 'daily'; minuteOfDay: number }
  | { kind: 'weekly'; weekday: number; minuteOfDay: number }
  | { kind: 'every'; intervalMs: number };

export interface SlackConfig {
  mode: 'socket' | 'http';
  /** The Web API base URL, ending in '/' (SLACK_API_URL). */
  apiUrl: string;
  secrets: { botToken: () => string; signingSecret: () => string | undefined; appToken: () => string | undefined };
  /** Who may press Confirm; empty means nobody (every gated action stays unconfirmed). */
  confirmers: Principal[];
  /** High-severity actions need someone other than the requester (CRDB_TLS_FOUR_EYES). */
  fourEyes: boolean;
  issuers: IssuerRule[];
  /**
   * Who may run tools that connect to a host they name (CRDB_TLS_SLACK_NETWORK_USERS): 'everyone'
   * for `*`, else these principals; empty means nobody. The hosts themselves are CRDB_TLS_NETWORK_ALLOW's.
   */
  networkUsers: Principal[] | 'everyone';
  /** Issuing client certificates from CSRs; undefined when CRDB_TLS_SLACK_CA_KEY is not set (off). */
  issuance: { caKey: string; certsDir: string; workDir: string } | undefined;
  /** Channels where a message that looks like a TLS error gets a quiet (ephemeral) suggestion. */
  watchChannels: ReadonlySet<string>;
  digest: { channel: string; schedule: DigestSchedule; scheduleText: string; windowText: string; certsDirs: string[]; hosts: string[]; cloudCluster: string | undefined } | undefined;
}

/** Problems that do not stop the start but that the operator should hear about. */
export interface SlackConfigResult {
  config: SlackConfig;
  warnings: string[];
}

class SlackConfigError extends ToolError {
  constructor(message: string, hint = 'See slack/README.md for every Slack variable and its syntax.') {
    super('invalid_input', message, hint);
  }
}

const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const GROUP_ID = /^S[A-Z0-9]{2,}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

function principal(variable: string, raw: string): Principal {
  const id = raw.trim();
  if (USER_ID.test(id)) return { kind: 'user', id };
  if (GROUP_ID.test(id)) return { kind: 'group', id };
  throw new SlackConfigError(
    `${variable}: ${JSON.stringify(id)} is not a Slack user id (U… or W…) or user group id (S…)`,
    'Use ids, not names: a member\'s id is under their profile → ⋮ → Copy member ID; a user group\'s id is in its URL.',
  );
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter(Boolean);
}

/** `U123,U456,S0GROUP`. */
export function parseConfirmers(value: string | undefined): Principal[] {
  return list(value).map((item) => principal('CRDB_TLS_SLACK_CONFIRMERS', item));
}

/** `U123,S0GROUP`, or `*` for every member of the workspace. */
function parseNetworkUsers(value: string | undefined): Principal[] | 'everyone' {
  const items = list(value);
  if (items.includes('*')) {
    if (items.length > 1) throw new SlackConfigError('CRDB_TLS_SLACK_NETWORK_USERS mixes * with ids; * already lets everyone in');
    return 'everyone';
  }
  return items.map((item) => principal('CRDB_TLS_SLACK_NETWORK_USERS', item));
}

/**
 * `U123:alice|bob;U456:*;S0GROUP:app` — rules separated by `;`, each a Slack user or user group,
 * a colon, and SQL user names separated by `|`. `*` stands for every ordinary user; root, admin
 * and node must be named to be allowed.
 */
export function parseIssuers(value: string | undefined): IssuerRule[] {
  const rules: IssuerRule[] = [];
  for (const rawRule of (value ?? '').split(';').map((r) => r.trim()).filter(Boolean)) {
    const colon = rawRule.indexOf(':');
    if (colon < 0) throw new SlackConfigError(`CRDB_TLS_SLACK_ISSUERS: rule ${JSON.stringify(rawRule)} has no ':' (write SLACK_ID:sqluser|sqluser, e.g. U0123ABC:alice|bob)`);
    const who = principal('CRDB_TLS_SLACK_ISSUERS', rawRule.slice(0, colon));
    const names = rawRule.slice(colon + 1).split('|').map((n) => n.trim()).filter(Boolean);
    if (names.length === 0) throw new SlackConfigError(`CRDB_TLS_SLACK_ISSUERS: rule ${JSON.stringify(rawRule)} names no SQL user (write * for every ordinary user)`);
    if (names.includes('*')) {
      if (names.length > 1) throw new SlackConfigError(`CRDB_TLS_SLACK_ISSUERS: rule ${JSON.stringify(rawRule)} mixes * with names; * already covers every ordinary user (root, admin and node need a rule of their own)`);
      rules.push({ who, users: 'ordinary' });
      continue;
    }
    const users = new Set<string>();
    for (const name of names) {
      const normalized = name.normalize('NFC').toLowerCase();
      const problem = usernameProblem(normalized);
      if (problem) throw new SlackConfigError(`CRDB_TLS_SLACK_ISSUERS: ${JSON.stringify(name)} is not a valid SQL user name (${problem})`);
      users.add(normalized);
    }
    rules.push({ who, users });
  }
  return rules;
}

/** Whether a rule lets its principal ask for `sqlUser` (normalised). */
export function ruleCovers(rule: IssuerRule, sqlUser: string): boolean {
  return rule.users === 'ordinary' ? !isPrivilegedUser(sqlUser) : rule.users.has(sqlUser);
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function minuteOfDay(text: string): number | undefined {
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

/** `daily 09:00`, `weekly mon 09:00` (UTC), or `every 12h` (at least 1m). */
export function parseDigestSchedule(text: string): DigestSchedule {
  const words = text.trim().toLowerCase().split(/\s+/);
  const bad = () => new SlackConfigError(`CRDB_TLS_SLACK_DIGEST_SCHEDULE=${JSON.stringify(text)} is not a schedule`, 'Write "daily 09:00", "weekly mon 09:00" (UTC) or "every 12h".');
  if (words[0] === 'daily' && words.length === 2) {
    const minute = minuteOfDay(words[1]!);
    if (minute === undefined) throw bad();
    return { kind: 'daily', minuteOfDay: minute };
  }
  if (words[0] === 'weekly' && words.length === 3) {
    const weekday = WEEKDAYS.indexOf(words[1]!.slice(0, 3));
    const minute = minuteOfDay(words[2]!);
    if (weekday < 0 || minute === undefined) throw bad();
    return { kind: 'weekly', weekday, minuteOfDay: minute };
  }
  if (words[0] === 'every' && words.length === 2) {
    let intervalMs: number;
    try {
      intervalMs = parseDuration(words[1]!, 'CRDB_TLS_SLACK_DIGEST_SCHEDULE');
    } catch {
      throw bad();
    }
    if (intervalMs < 60_000) throw new SlackConfigError(`CRDB_TLS_SLACK_DIGEST_SCHEDULE=${JSON.stringify(text)} is more often than once a minute`);
    return { kind: 'every', intervalMs };
  }
  throw bad();
}

/** The first time after `now` that the schedule fires. */
export function nextDigestRun(schedule: DigestSchedule, now: Date): Date {
  if (schedule.kind === 'every') return new Date(now.getTime() + schedule.intervalMs);
  const candidate = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 0, schedule.minuteOfDay));
  if (schedule.kind === 'daily') {
    if (candidate <= now) candidate.setUTCDate(candidate.getUTCDate() + 1);
    return candidate;
  }
  const ahead = (schedule.weekday - candidate.getUTCDay() + 7) % 7;
  candidate.setUTCDate(candidate.getUTCDate() + ahead);
  if (candidate <= now) candidate.setUTCDate(candidate.getUTCDate() + 7);
  return candidate;
}

function apiUrl(value: string | undefined): string {
  const raw = value?.trim() || DEFAULT_SLACK_API_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SlackConfigError(`SLACK_API_URL=${JSON.stringify(raw)} is not a URL`, `Leave it unset for Slack itself (${DEFAULT_SLACK_API_URL}).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new SlackConfigError(`SLACK_API_URL=${JSON.stringify(raw)} is not an http(s) URL`);
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

function token(env: NodeJS.ProcessEnv, name: string, prefix: string, where: string): string {
  const value = env[name]?.trim();
  if (!value) throw new SlackConfigError(`${name} is not set: the Slack face needs the ${prefix}… token (${where})`, 'Tokens come from the environment only; see slack/README.md.');
  if (!value.startsWith(prefix)) throw new SlackConfigError(`${name} does not start with ${prefix}: is it the right token? (${where})`);
  return value;
}

function checkReadable(file: string, variable: string): void {
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    throw new SlackConfigError(`${variable}=${file} cannot be read`, 'Check the path and that the Slack app\'s OS user may read it.');
  }
}

function resolveInRoots(paths: AllowedPaths, value: string, variable: string): string {
  try {
    return paths.resolve(value, variable);
  } catch (error) {
    throw new SlackConfigError(`${variable}=${value}: ${(error as Error).message}`, 'Put it inside CRDB_TLS_ROOTS, or widen CRDB_TLS_ROOTS.');
  }
}

/**
 * Reads and checks every Slack variable. `base` and `paths` are the runtime's (the Slack face
 * always has allowed roots); the CA key and certs dir for CSR issuance must lie inside them.
 */
export function loadSlackConfig(env: NodeJS.ProcessEnv, base: Config, paths: AllowedPaths): SlackConfigResult {
  const warnings: string[] = [];
  const botToken = token(env, 'SLACK_BOT_TOKEN', 'xoxb-', 'OAuth & Permissions → Bot User OAuth Token');
  const appToken = env.SLACK_APP_TOKEN?.trim() ? token(env, 'SLACK_APP_TOKEN', 'xapp-', 'Basic Information → App-Level Tokens, scope connections:write') : undefined;
  const signingSecret = env.SLACK_SIGNING_SECRET?.trim() || undefined;
  if (!appToken && !signingSecret) {
    throw new SlackConfigError('SLACK_SIGNING_SECRET is not set: the HTTP receiver needs it to check that requests come from Slack (Basic Information → Signing Secret)', 'Or set SLACK_APP_TOKEN to use Socket Mode instead of HTTP.');
  }
  if (signingSecret && /\s/.test(signingSecret)) throw new SlackConfigError('SLACK_SIGNING_SECRET contains white space: paste it again from Basic Information → Signing Secret');

  let fourEyes: boolean;
  try {
    fourEyes = parseBoolean('CRDB_TLS_FOUR_EYES', env.CRDB_TLS_FOUR_EYES ?? 'true');
  } catch (error) {
    if (error instanceof PolicyError) throw new SlackConfigError(error.message);
    throw error;
  }
  const confirmers = parseConfirmers(env.CRDB_TLS_SLACK_CONFIRMERS);
  if (confirmers.length === 0) warnings.push('CRDB_TLS_SLACK_CONFIRMERS is empty: nobody can confirm a medium- or high-severity action from Slack');
  else if (fourEyes && confirmers.length === 1 && confirmers[0]!.kind === 'user') {
    warnings.push(`four-eyes mode with a single confirmer: ${confirmers[0]!.id} can never confirm their own high-severity requests`);
  }
  const issuers = parseIssuers(env.CRDB_TLS_SLACK_ISSUERS);
  const networkUsers = parseNetworkUsers(env.CRDB_TLS_SLACK_NETWORK_USERS);
  if (networkUsers !== 'everyone' && networkUsers.length === 0) warnings.push('CRDB_TLS_SLACK_NETWORK_USERS is empty: nobody may probe, test a login or check the expiry of a live host from Slack');

  let issuance: SlackConfig['issuance'];
  const caKeyVar = env.CRDB_TLS_SLACK_CA_KEY?.trim();
  if (caKeyVar) {
    const caKey = resolveInRoots(paths, caKeyVar, 'CRDB_TLS_SLACK_CA_KEY');
    checkReadable(caKey, 'CRDB_TLS_SLACK_CA_KEY');
    const certsDirVar = env.CRDB_TLS_SLACK_CERTS_DIR?.trim() || base.defaultCertsDir || path.join(os.homedir(), '.cockroach-certs');
    const certsDir = resolveInRoots(paths, certsDirVar, 'CRDB_TLS_SLACK_CERTS_DIR');
    if (!['ca-client.crt', 'ca.crt'].some((name) => fs.existsSync(path.join(certsDir, name)))) {
      throw new SlackConfigError(`CRDB_TLS_SLACK_CERTS_DIR=${certsDir} holds neither ca-client.crt nor ca.crt, so there is no CA to sign client certificates with`);
    }
    const workDir = path.resolve(env.CRDB_TLS_SLACK_ISSUE_DIR?.trim() || path.join(base.stateDir, 'slack-issue'));
    issuance = { caKey, certsDir, workDir };
    if (issuers.length === 0) warnings.push('CRDB_TLS_SLACK_CA_KEY is set but CRDB_TLS_SLACK_ISSUERS is empty: nobody may ask for a certificate');
  } else if (issuers.length > 0) {
    warnings.push('CRDB_TLS_SLACK_ISSUERS is set but CRDB_TLS_SLACK_CA_KEY is not: issuing certificates from Slack stays off');
  }

  const watchChannels = new Set(list(env.CRDB_TLS_SLACK_WATCH_CHANNELS));
  for (const channel of watchChannels) {
    if (!CHANNEL_ID.test(channel)) throw new SlackConfigError(`CRDB_TLS_SLACK_WATCH_CHANNELS: ${JSON.stringify(channel)} is not a channel id (C…, G…)`, 'A channel\'s id is at the bottom of its details (click the channel name).');
  }

  let digest: SlackConfig['digest'];
  const digestChannel = env.CRDB_TLS_SLACK_DIGEST_CHANNEL?.trim();
  if (digestChannel) {
    if (!CHANNEL_ID.test(digestChannel)) throw new SlackConfigError(`CRDB_TLS_SLACK_DIGEST_CHANNEL: ${JSON.stringify(digestChannel)} is not a channel id (C…, G…)`);
    const scheduleText = env.CRDB_TLS_SLACK_DIGEST_SCHEDULE?.trim() || 'daily 09:00';
    const schedule = parseDigestSchedule(scheduleText);
    const windowText = env.CRDB_TLS_SLACK_DIGEST_WINDOW?.trim() || '30d';
    try {
      parseDuration(windowText, 'CRDB_TLS_SLACK_DIGEST_WINDOW');
    } catch (error) {
      throw new SlackConfigError((error as Error).message, 'Write it like 30d or 720h.');
    }
    const hosts = list(env.CRDB_TLS_SLACK_DIGEST_HOSTS);
    for (const host of hosts) {
      const { host: name, port } = splitHostPort(host);
      if (!name || (host.includes(':') && !host.startsWith('[') && port === null)) throw new SlackConfigError(`CRDB_TLS_SLACK_DIGEST_HOSTS: ${JSON.stringify(host)} is not HOST or HOST:PORT`);
    }
    const cloudCluster = env.CRDB_TLS_SLACK_DIGEST_CLOUD_CLUSTER?.trim() || undefined;
    if (cloudCluster && !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(cloudCluster)) throw new SlackConfigError(`CRDB_TLS_SLACK_DIGEST_CLOUD_CLUSTER: ${JSON.stringify(cloudCluster)} is not a cluster id (the UUID in the Cloud Console URL)`);
    const dirsVar = env.CRDB_TLS_SLACK_DIGEST_CERTS_DIRS?.trim();
    const defaultDirs = hosts.length || cloudCluster ? [] : [base.defaultCertsDir ?? path.join(os.homedir(), '.cockroach-certs')];
    const certsDirs = (dirsVar ? dirsVar.split(path.delimiter).map((d) => d.trim()).filter(Boolean) : defaultDirs)
      .map((dir) => resolveInRoots(paths, dir, 'CRDB_TLS_SLACK_DIGEST_CERTS_DIRS'));
    digest = { channel: digestChannel, schedule, scheduleText, windowText, certsDirs, hosts, cloudCluster };
  }

  return {
    config: {
      mode: appToken ? 'socket' : 'http',
      apiUrl: apiUrl(env.SLACK_API_URL),
      secrets: { botToken: () => botToken, signingSecret: () => signingSecret, appToken: () => appToken },
      confirmers,
      fourEyes,
      issuers,
      networkUsers,
      issuance,
      watchChannels,
      digest,
    },
    warnings,
  };
}
