/**
 * The MCP faces' view in `crdb-tls config check`: what CRDB_TLS_MCP_CONFIRM lets an assistant do,
 * the Streamable HTTP variables, and what stdio and HTTP would each do.
 */
import os from 'node:os';
import type { McpConfirm } from '../gate/policy.js';
import { describeError, secret, type AddCheck, type FacePlan, type FaceView, type SetVariable } from './config-check-report.js';
import { checkHttpToken, DEFAULT_TOKEN_LABEL, httpAllowedOrigins, httpTokenLabel, MIN_TOKEN_LENGTH } from './http-settings.js';

/** What each CRDB_TLS_MCP_CONFIRM setting lets an assistant do without a person (README, security model). */
export const MCP_CONFIRM_TEXT: Record<McpConfirm, string> = {
  person:
    'person: without elicitation a gated MCP call waits until a person approves it with crdb-tls confirm <id> in a terminal of this OS user (or, with CRDB_TLS_DATABASE_URL shared with the Slack app, /crdb-tls approve <ref> by an allowed Slack confirmer); the id passed back alone is refused',
  slack: 'slack: terminals cannot approve a gated MCP call; an allowed Slack confirmer other than the requester approves it with /crdb-tls approve <ref> (the Slack app must share CRDB_TLS_DATABASE_URL; without it such calls do not run)',
  assistant:
    'assistant: ADVISORY — the assistant passing the id back counts as the confirmation, so a prompt-injected assistant can confirm its own high-severity actions; audited as self-confirmed',
};

export interface HttpSettings {
  token: string | undefined;
  tokenOk: boolean;
  tokenLabel: string;
  origins: string[] | undefined;
  originsOk: boolean;
}

/** The MCP over HTTP variables, each judged on its own. */
export function checkHttpVariables(env: NodeJS.ProcessEnv, add: AddCheck, set: SetVariable): HttpSettings {
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
  return { token, tokenOk, tokenLabel, origins, originsOk };
}

/** What `crdb-tls mcp` over stdio and over HTTP would do. */
export function mcpFacePlans(view: FaceView, http: HttpSettings): FacePlan[] {
  const { gateOk, threshold, toolsLine, policy, mcpConfig, reach, passwordsTo, cloudLine, store } = view;
  const { token, tokenOk, tokenLabel, origins, originsOk } = http;
  return [
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
  ];
}
