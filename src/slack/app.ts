/**
 * The Bolt app: its construction, the receiver (Socket Mode when SLACK_APP_TOKEN is set, the HTTP
 * receiver on /slack/events otherwise), and the entry points, each acknowledged at once (Slack's
 * limit is 3 seconds) before any work. Both receivers share every handler. Bolt is imported here
 * only, and this module only by `crdb-tls slack`, so the MCP face never loads it (DESIGN.md §8).
 */
import type { AddressInfo } from 'node:net';
import type { Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from '../core/log.js';
import { ToolError } from '../core/errors.js';
import type { Runtime } from '../core/runtime.js';
import type { ToolDefinition } from '../core/tool.js';
import { parseCommand, startsWithSubcommand, SUBCOMMANDS } from './commands.js';
import { loadSlackConfig, type SlackConfig } from './config.js';
import { DIGEST_PLAN_ACTION, ExpiryDigest, type DigestResult } from './digest.js';
import { NEXT_TOOL_ACTION, SlackFace, SUGGEST_ACTION } from './face.js';
import type { Block } from './render/blocks.js';
import { CANCEL_ACTION, CONFIRM_ACTION } from './render/confirmation.js';
import { renderProblem } from './render/outcome.js';
import { SlackApiError, type Respond, type SlackApi } from './reply.js';
import { fromSlackText, scrubPayload } from './text.js';
import { listenFailure } from '../core/listen-error.js';
import { onceBySignature, refuseFutureRequests, requestProperties } from './replay-guard.js';
import { McpApprovals, parseApproveCommand } from './approvals.js';
import { SlackPolicy } from './policy.js';
import { APPROVE_MCP_ACTION, DECLINE_MCP_ACTION } from './render/approval.js';
import { AckFirst } from './ack-first.js';

/** The message shortcut's callback id (slack/manifest.json). */
const SHORTCUT_CALLBACK_ID = 'diagnose_tls_error';
const EVENTS_PATH = '/slack/events';

export interface SlackAppOptions {
  runtime: Runtime;
  catalog: ToolDefinition[];
  env: NodeJS.ProcessEnv;
  /** HTTP receiver only: 0 picks a free port. */
  port?: number;
  host?: string;
}

export interface RunningSlackApp {
  mode: SlackConfig['mode'];
  /** HTTP receiver only: where Slack must send requests. */
  url: string | undefined;
  port: number | undefined;
  warnings: string[];
  /** Posts the expiry digest now (when configured), as the schedule would. */
  digestNow(): Promise<DigestResult | undefined>;
  stop(): Promise<void>;
}

/** @slack/logger's interface over our pino logger: Bolt's own ConsoleLogger would write to stdout. */
function boltLogger(log: Logger): BoltLogger {
  const child = log.child({ component: 'bolt' });
  const line = (parts: unknown[]) => parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
  let level = 'info' as LogLevel;
  return {
    debug: (...parts: unknown[]) => child.debug(line(parts)),
    info: (...parts: unknown[]) => child.info(line(parts)),
    warn: (...parts: unknown[]) => child.warn(line(parts)),
    error: (...parts: unknown[]) => child.error(line(parts)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** Slack's error code from a Web API failure, when it has one. */
function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

async function callSlack<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const code = slackErrorCode(error);
    if (code) throw new SlackApiError(code);
    throw error;
  }
}

/** Reads the configuration, builds the app with its receiver, checks the bot token (auth.test) and starts listening. */
export async function startSlackApp(options: SlackAppOptions): Promise<RunningSlackApp> {
  const { runtime, catalog, env } = options;
  const log = runtime.log.child({ face: 'slack' });
  // Warnings are returned, not logged: the CLI prints them as one-line notes once the app is up.
  const { config, warnings } = loadSlackConfig(env, runtime.config, runtime.paths);

  const bolt = await import('@slack/bolt').catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new ToolError('unavailable', 'the Slack face needs the @slack/bolt package, which is not installed next to crdb-tls', 'Install crdb-tls with its dependencies (npm install / npm ci): the single-file bundle leaves Bolt out so that the other faces start faster.');
  });
  const logger = boltLogger(log);
  // Bounded retries: Bolt's default policy retries an unreachable API for about 30 minutes.
  const clientOptions = { slackApiUrl: config.apiUrl, retryConfig: { retries: 2, factor: 2, minTimeout: 300, maxTimeout: 2000 }, timeout: 15_000, logger };
  const receiver =
    config.mode === 'socket'
      ? new bolt.SocketModeReceiver({ appToken: config.secrets.appToken()!, logger, installerOptions: { clientOptions } })
      : new bolt.HTTPReceiver({ signingSecret: config.secrets.signingSecret()!, endpoints: EVENTS_PATH, logger, processBeforeResponse: false, customPropertiesExtractor: requestProperties });
  const ackFirst = new AckFirst();
  // A request dated more than five minutes ahead is refused like a stale one (replay-guard.ts); work waits for the pending acks (ack-first.ts).
  if (receiver instanceof bolt.HTTPReceiver) receiver.requestListener = ackFirst.track(refuseFutureRequests(receiver.requestListener, log));
  // No conversation store: nothing here reads context.conversation, and Bolt's default would look each request up (and build an Error for every miss) before the ack.
  const app = new bolt.App({ token: config.secrets.botToken(), receiver, logger, clientOptions, deferInitialization: true, ignoreSelf: true, convoStore: false });
  const client = app.client;

  const api: SlackApi = {
    postMessage: (args) => callSlack(async () => ({ ts: String((await client.chat.postMessage(args as never)).ts) })),
    update: (args) => callSlack(async () => void (await client.chat.update(args as never))),
    postEphemeral: (args) => callSlack(async () => void (await client.chat.postEphemeral(args as never))),
    uploadSnippet: (args) =>
      callSlack(async () => void (await client.files.uploadV2({ channel_id: args.channel, ...(args.thread_ts ? { thread_ts: args.thread_ts } : {}), filename: args.filename, title: args.title, content: args.content } as never))),
    uploadImage: (args) =>
      callSlack(async () => void (await client.files.uploadV2({ channel_id: args.channel, ...(args.thread_ts ? { thread_ts: args.thread_ts } : {}), filename: args.filename, title: args.title, file: args.data, alt_text: args.alt_text } as never))),
    groupMembers: (groupId) => callSlack(async () => (await client.usergroups.users.list({ usergroup: groupId })).users ?? []),
  };
  const face = new SlackFace(runtime, config, api, log, catalog);
  const digest = config.digest ? new ExpiryDigest(face, config.digest) : undefined;
  // Before every handler: a signed request replayed inside the window runs once.
  app.use(onceBySignature(runtime.runner.store, log) as never);
  const approvals = new McpApprovals(runtime.runner.store, new SlackPolicy(config, api, log), log);
  registerHandlers(app, face, approvals, log, ackFirst);

  app.error(async (error) => {
    log.error({ err: error }, 'Slack handler failed');
  });

  try {
    await app.init();
  } catch (error) {
    const code = slackErrorCode(error);
    if (code) throw new ToolError('invalid_input', `Slack refused SLACK_BOT_TOKEN (auth.test answered ${code})`, 'Copy the Bot User OAuth Token again from OAuth & Permissions, and reinstall the app if its scopes changed.');
    throw new ToolError('unavailable', `cannot reach Slack's Web API at ${config.apiUrl}: ${(error as Error).message}`, 'Check the network (and SLACK_API_URL, if set).');
  }

  let url: string | undefined;
  let port: number | undefined;
  try {
    if (config.mode === 'http') {
      const server = (await app.start({ port: options.port ?? 3000, host: options.host ?? '127.0.0.1' })) as import('node:http').Server;
      // As for MCP over HTTP: idle connections are closed by the client or proxy first, never mid-request.
      server.keepAliveTimeout = 65_000;
      const address = server.address() as AddressInfo;
      port = address.port;
      url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${port}${EVENTS_PATH}`;
    } else {
      await app.start();
    }
  } catch (error) {
    const busy = config.mode === 'http' ? listenFailure(error, options.host ?? '127.0.0.1', options.port ?? 3000, '--port') : undefined;
    if (busy) throw busy;
    const code = slackErrorCode(error);
    if (code) throw new ToolError('invalid_input', `Slack refused SLACK_APP_TOKEN (apps.connections.open answered ${code})`, 'Create an app-level token with the connections:write scope (Basic Information → App-Level Tokens) and enable Socket Mode.');
    throw new ToolError('unavailable', `the Slack app could not start: ${(error as Error).message}`, config.mode === 'http' ? 'Is the port free? Choose another with --port.' : 'Check the network and SLACK_APP_TOKEN.');
  }
  digest?.start();
  log.info({ mode: config.mode, url }, 'Slack app started');

  return {
    mode: config.mode,
    url,
    port,
    warnings,
    digestNow: async () => digest?.runNow(),
    stop: async () => {
      digest?.stop();
      await app.stop();
    },
  };
}

type BoltApp = InstanceType<(typeof import('@slack/bolt'))['App']>;
type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Bolt's respond() as the face's Respond. */
function respondWith(respond: ((message: Loose) => Promise<unknown>) | undefined): Respond | undefined {
  return respond ? async (message) => void (await respond(message)) : undefined;
}

/** A button's handler, after the ack and the pending acks of others. */
type ActionHandler = (args: { body: Loose; action: Loose; respond: ((message: Loose) => Promise<unknown>) | undefined }) => Promise<void>;

/**
 * Every entry point; the same for both receivers. Each acknowledges first, then works. Bolt runs
 * the middleware of every listener for every request, matching or not, on the way to the ack: so
 * there is one listener for all slash commands and one for all buttons, each dispatching itself.
 */
function registerHandlers(app: BoltApp, face: SlackFace, approvals: McpApprovals, log: Logger, ackFirst: AckFirst): void {
  const failed = (what: string) => (error: unknown) => log.error({ err: error }, `${what} failed`);

  // Any command name: the manifest defines one (/crdb-tls), and a workspace may rename it.
  app.command(/.*/, async ({ command, ack, respond }) => {
    const text = fromSlackText(command.text ?? '');
    // `approve <ref>`: a person approves what an MCP client asked for (approvals.ts); not a tool.
    const approve = parseApproveCommand(text);
    if (approve) {
      if ('usage' in approve) {
        await ack({ response_type: 'ephemeral', text: approve.usage } as never);
        return;
      }
      await ack();
      await ackFirst.turn();
      await approvals.show({ ref: approve.ref, user: command.user_id, channel: command.channel_id, respond: respondWith(respond as never)! }).catch(failed('approve command'));
      return;
    }
    let parsed: ReturnType<typeof parseCommand>;
    try {
      parsed = parseCommand(text);
    } catch (error) {
      // A bug in parsing must still answer within Slack's 3 seconds.
      await ack({ response_type: 'ephemeral', text: 'Something went wrong reading that command; it is logged.' } as never);
      failed('parsing a slash command')(error);
      return;
    }
    const immediate = face.immediateAnswer(parsed, command.command);
    if (immediate) {
      await ack(scrubPayload({ response_type: 'ephemeral', text: immediate.text, blocks: immediate.blocks as Block[] }) as never);
      return;
    }
    await ack();
    if (parsed.kind !== 'run') return;
    await ackFirst.turn();
    const target = { channel: command.channel_id, user: command.user_id, respond: respondWith(respond as never)! };
    await face.run(parsed.subcommand, parsed.input, target, text).catch(async (error) => {
      failed('slash command')(error);
      await face.reply({ ...target, privately: true }).whisper(renderProblem('❌ Something went wrong', 'The request failed inside the app; it is logged. Nothing was changed unless a message here says so.')).catch(failed('error report'));
    });
  });

  app.shortcut(SHORTCUT_CALLBACK_ID, async ({ shortcut, ack, respond }) => {
    await ack();
    await ackFirst.turn();
    const s = shortcut as Loose;
    const message = (s.message ?? {}) as Loose;
    const text = fromSlackText(String(message.text ?? ''));
    const target = { channel: String(s.channel?.id), threadTs: String(message.thread_ts ?? message.ts), user: String(s.user?.id), respond: respondWith(respond as never)! };
    await face.diagnose(text, target, 'Diagnose TLS error').catch(failed('message shortcut'));
  });

  app.event('app_mention', async ({ event, context }) => {
    if (context.retryNum) return; // Slack retries when an ack was late; the first delivery is being handled.
    const e = event as Loose;
    const bot = context.botUserId ? new RegExp(`@${context.botUserId}\\b`, 'g') : /^$/;
    const text = fromSlackText(String(e.text ?? '')).replace(bot, '').trim();
    const target = { channel: String(e.channel), threadTs: String(e.thread_ts ?? e.ts), user: String(e.user) };
    await ackFirst.turn(); // Bolt acknowledged the event before its listeners ran
    const work = startsWithSubcommand(text) ? face.handleText(text, target) : face.diagnose(text, target, 'mention');
    await work.catch(failed('mention'));
  });

  app.event('message', async ({ event, context }) => {
    const e = event as Loose;
    if (context.retryNum || e.subtype || e.bot_id || !face.config.watchChannels.has(String(e.channel))) return;
    const raw = String(e.text ?? '');
    if (context.botUserId && raw.includes(`<@${context.botUserId}>`)) return; // the mention handler answers it
    await ackFirst.turn();
    await face.suggest(fromSlackText(raw), String(e.channel), String(e.ts), e.thread_ts ? String(e.thread_ts) : undefined, String(e.user)).catch(failed('suggestion'));
  });

  const click = (body: Loose, action: Loose) => ({
    confirmationId: String(action.value ?? ''),
    user: String(body.user?.id),
    channel: String(body.channel?.id ?? body.container?.channel_id),
    messageTs: String(body.message?.ts ?? body.container?.message_ts),
  });
  const approval = (body: Loose, action: Loose, respond: unknown) => ({
    ref: String(action.value ?? ''),
    user: String(body.user?.id),
    channel: String(body.channel?.id ?? body.container?.channel_id),
    respond: respondWith(respond as never)!,
  });

  const actions: Record<string, ActionHandler> = {
    [CONFIRM_ACTION]: ({ body, action }) => face.confirmations.confirm(click(body, action)).catch(failed('confirm click')),
    [CANCEL_ACTION]: ({ body, action }) => face.confirmations.cancel(click(body, action)).catch(failed('cancel click')),
    [NEXT_TOOL_ACTION]: ({ body: b, action }) => {
      const target = { channel: String(b.channel?.id), threadTs: String(b.message?.thread_ts ?? b.message?.ts), user: String(b.user?.id) };
      return face.runNextTool(String(action.value ?? ''), target).catch(failed('next-tool click'));
    },
    [SUGGEST_ACTION]: async ({ body, action, respond }) => {
      // The suggestion was for the author alone: it goes away once used.
      await respond?.({ delete_original: true }).catch(() => undefined);
      await face.diagnoseSuggested(String(action.value ?? ''), String(body.user?.id)).catch(failed('suggestion click'));
    },
    [DIGEST_PLAN_ACTION]: ({ body: b, action }) => {
      let input: Record<string, unknown> = {};
      try {
        input = JSON.parse(String(action.value ?? '{}')) as Record<string, unknown>;
      } catch {
        // an empty plan request is still answered
      }
      const sub = SUBCOMMANDS.find((s) => s.verb === 'rotate plan')!;
      const target = { channel: String(b.channel?.id), threadTs: String(b.message?.ts), user: String(b.user?.id) };
      return face.run(sub, input, target, 'rotate plan').catch(failed('digest plan click'));
    },
    [APPROVE_MCP_ACTION]: ({ body, action, respond }) => approvals.approveClick(approval(body, action, respond)).catch(failed('approve click')),
    [DECLINE_MCP_ACTION]: ({ body, action, respond }) => approvals.declineClick(approval(body, action, respond)).catch(failed('decline click')),
  };
  // A next-tool button's id carries its index and tool (`crdb_tls_next:0:probe_server`): its handler is the part before the first colon.
  const handlerOf = (actionId: string) => actions[actionId.startsWith(`${NEXT_TOOL_ACTION}:`) ? NEXT_TOOL_ACTION : actionId];
  const ids = Object.keys(actions).filter((id) => id !== NEXT_TOOL_ACTION);
  app.action(new RegExp(`^(?:${ids.join('|')})$|^${NEXT_TOOL_ACTION}:`), async ({ ack, body, action, respond }) => {
    await ack();
    const handler = handlerOf(String((action as Loose).action_id ?? ''));
    if (!handler) return;
    await ackFirst.turn();
    await handler({ body: body as Loose, action: action as Loose, respond: respond as never });
  });
}
