/** The Slack face's view in `crdb-tls config check`: its variables (DESIGN.md §6) and what the app would do. */
import { parseBoolean } from '../gate/policy.js';
import { describeError, secret, type AddCheck, type FacePlan, type FaceView, type SetVariable } from './config-check-report.js';

export interface SlackSettings {
  botToken: string | undefined;
  appToken: string | undefined;
  signingSecret: string | undefined;
  confirmers: string[];
  fourEyes: boolean;
  networkUsersText: string;
  issuers: string | undefined;
}

/** The Slack variables, each judged on its own. */
export function checkSlackVariables(env: NodeJS.ProcessEnv, add: AddCheck, set: SetVariable): SlackSettings {
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
  return { botToken, appToken, signingSecret, confirmers, fourEyes, networkUsersText, issuers };
}

export function slackFacePlan(view: FaceView, slack: SlackSettings): FacePlan {
  const { gateOk, reach, passwordsTo, mcpConfig, databaseUrl, store } = view;
  const { botToken, appToken, signingSecret, confirmers, fourEyes, networkUsersText, issuers } = slack;
  return {
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
  };
}
