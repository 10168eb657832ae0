// Requests signed exactly as Slack signs them (docs.slack.dev, "Verifying requests from Slack"):
// X-Slack-Signature = "v0=" + hex(HMAC-SHA256(signing secret, "v0:" + timestamp + ":" + raw body)),
// X-Slack-Request-Timestamp = the timestamp in seconds. Bodies are what Slack posts: slash commands
// and interactions as application/x-www-form-urlencoded (interactions in one `payload` field of
// JSON), events as JSON.
import crypto from 'node:crypto';

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${crypto.createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export function signed(secret: string, body: string, contentType: string, timestamp = Math.floor(Date.now() / 1000)): SignedRequest {
  return {
    body,
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(secret, timestamp, body),
    },
  };
}

export interface SlashCommand {
  text: string;
  user_id: string;
  channel_id: string;
  command?: string;
  response_url: string;
  team_id?: string;
  trigger_id?: string;
}

/** The form Slack posts for `/crdb-tls <text>`; Slack sends &, < and > in the text as entities. */
export function slashCommandBody(c: SlashCommand): string {
  const escaped = c.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: c.team_id ?? 'T0TEST',
    team_domain: 'crdb-test',
    channel_id: c.channel_id,
    channel_name: 'tls-help',
    user_id: c.user_id,
    user_name: c.user_id.toLowerCase(),
    command: c.command ?? '/crdb-tls',
    text: escaped,
    api_app_id: 'A0TEST',
    is_enterprise_install: 'false',
    response_url: c.response_url,
    trigger_id: c.trigger_id ?? `${Date.now()}.trigger`,
  }).toString();
}

/** An interaction (block_actions, message_action) as Slack posts it: payload=<JSON>. */
export function interactionBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** A button click on a message the app posted. */
export function blockActionPayload(args: { user: string; channel: string; messageTs: string; threadTs?: string; actionId: string; value: string; responseUrl: string; blockId?: string }): Record<string, unknown> {
  return {
    type: 'block_actions',
    team: { id: 'T0TEST', domain: 'crdb-test' },
    user: { id: args.user, username: args.user.toLowerCase(), name: args.user.toLowerCase(), team_id: 'T0TEST' },
    api_app_id: 'A0TEST',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: args.messageTs, channel_id: args.channel, is_ephemeral: false },
    trigger_id: `${Date.now()}.trigger`,
    channel: { id: args.channel, name: 'tls-help' },
    message: { type: 'message', ts: args.messageTs, ...(args.threadTs ? { thread_ts: args.threadTs } : {}), text: '', user: 'U0BOT', bot_id: 'B0BOT' },
    response_url: args.responseUrl,
    actions: [{ type: 'button', action_id: args.actionId, block_id: args.blockId ?? 'b', value: args.value, action_ts: `${Date.now() / 1000}`, text: { type: 'plain_text', text: 'x' } }],
  };
}

/** The Events API envelope around one event. */
export function eventBody(event: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    token: 'deprecated-verification-token',
    team_id: 'T0TEST',
    api_app_id: 'A0TEST',
    event,
    type: 'event_callback',
    event_id: `Ev${crypto.randomBytes(6).toString('hex').toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: 'T0TEST', user_id: 'U0BOT', is_bot: true }],
    ...extra,
  });
}

export interface HttpAnswer {
  status: number;
  body: string;
  ms: number;
}

/** POSTs a signed request to the app and returns its HTTP answer and how long it took. */
export async function post(url: string, request: SignedRequest, extraHeaders: Record<string, string> = {}): Promise<HttpAnswer> {
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers: { ...request.headers, ...extraHeaders }, body: request.body });
  const body = await response.text();
  return { status: response.status, body, ms: performance.now() - started };
}
