// Starts the real Slack app in this process, the way `crdb-tls slack --port 0` does (same
// startSlackApp, same createRuntime), against a Slack Web API stand-in, and drives it over HTTP
// with requests signed as Slack signs them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { catalog } from '../../tools/catalog.js';
import { createLogger } from '../../src/core/log.js';
import type { ToolDefinition } from '../../src/core/tool.js';
import { createRuntime, type Runtime } from '../../src/core/runtime.js';
import { startSlackApp, type RunningSlackApp } from '../../src/slack/app.js';
import { blockActionPayload, eventBody, interactionBody, post, signed, slashCommandBody, type HttpAnswer } from './slack-signing.js';
import { SlackStandin, type RecordedCall, type StandinOptions } from './slack-standin.js';

export const BOT_TOKEN = 'xoxb-test-0000-bot-token';
export const SIGNING_SECRET = 'a3f1c0ffee5ecr3t0123456789abcdef';
export const CHANNEL = 'C0HELP';

export interface SlackHarness {
  standin: SlackStandin;
  app: RunningSlackApp;
  runtime: Runtime;
  /** http://127.0.0.1:PORT/slack/events */
  url: string;
  /** The app's only allowed root (CRDB_TLS_ROOTS). */
  work: string;
  /** CRDB_TLS_STATE_DIR. */
  state: string;
  command(text: string, user: string, channel?: string): Promise<{ answer: HttpAnswer; responseUrl: string }>;
  click(args: { user: string; actionId: string; value: string; messageTs: string; channel?: string; threadTs?: string }): Promise<HttpAnswer>;
  event(event: Record<string, unknown>, headers?: Record<string, string>): Promise<HttpAnswer>;
  shortcut(args: { user: string; message: Record<string, unknown>; channel?: string }): Promise<{ answer: HttpAnswer; responseUrl: string }>;
  /** Every chat.update / chat.postMessage of one message ts, in order. */
  versionsOf(ts: string): RecordedCall[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: NodeJS.ProcessEnv;
  standin?: Partial<StandinOptions>;
  /** Reuse a working dir (several replicas on one host); default: a fresh temp dir, removed on close. */
  work?: string;
  state?: string;
  /** Reuse a stand-in (several replicas talking to one Slack). */
  shared?: SlackStandin;
  /** The tool catalog (default: the real one); a build without some tool is a catalog without it. */
  catalog?: ToolDefinition[];
}

export async function startSlackHarness(options: HarnessOptions = {}): Promise<SlackHarness> {
  const ownWork = !options.work;
  const work = options.work ?? fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-slack-'));
  const state = options.state ?? fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-slack-state-'));
  const standin = options.shared ?? (await SlackStandin.start({ botToken: BOT_TOKEN, ...options.standin }));
  const env: NodeJS.ProcessEnv = {
    HOME: process.env.HOME,
    PATH: process.env.PATH,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: standin.apiUrl,
    CRDB_TLS_ROOTS: work,
    CRDB_TLS_STATE_DIR: state,
    ...options.env,
  };
  const runtime = await createRuntime('slack', env, createLogger(process.env.CRDB_TLS_TEST_LOG ?? 'silent'));
  let app: RunningSlackApp;
  try {
    app = await startSlackApp({ runtime, catalog: options.catalog ?? catalog, env, port: 0, host: '127.0.0.1' });
  } catch (error) {
    await runtime.close();
    if (!options.shared) await standin.close();
    throw error;
  }
  const url = app.url!;
  const harness: SlackHarness = {
    standin,
    app,
    runtime,
    url,
    work,
    state,
    async command(text, user, channel = CHANNEL) {
      const responseUrl = standin.responseUrl();
      const answer = await post(url, signed(SIGNING_SECRET, slashCommandBody({ text, user_id: user, channel_id: channel, response_url: responseUrl }), 'application/x-www-form-urlencoded'));
      return { answer, responseUrl };
    },
    click({ user, actionId, value, messageTs, channel = CHANNEL, threadTs }) {
      const payload = blockActionPayload({ user, channel, messageTs, actionId, value, responseUrl: standin.responseUrl(), ...(threadTs ? { threadTs } : {}) });
      return post(url, signed(SIGNING_SECRET, interactionBody(payload), 'application/x-www-form-urlencoded'));
    },
    event(event, headers = {}) {
      return post(url, signed(SIGNING_SECRET, eventBody(event), 'application/json'), headers);
    },
    async shortcut({ user, message, channel = CHANNEL }) {
      const responseUrl = standin.responseUrl();
      const payload = {
        type: 'message_action', callback_id: 'diagnose_tls_error', trigger_id: `${Date.now()}.t`, message_ts: message.ts, response_url: responseUrl,
        message: { type: 'message', ...message }, user: { id: user, name: user.toLowerCase() }, channel: { id: channel, name: 'tls-help' },
        team: { id: 'T0TEST', domain: 'crdb-test' }, token: 'deprecated-verification-token', action_ts: `${Date.now() / 1000}`,
      };
      const answer = await post(url, signed(SIGNING_SECRET, interactionBody(payload), 'application/x-www-form-urlencoded'));
      return { answer, responseUrl };
    },
    versionsOf(ts) {
      return standin.calls.filter((c) => (c.method === 'chat.update' && c.params.ts === ts) || (c.method === 'chat.postMessage' && c.result?.ts === ts));
    },
    async close() {
      await app.stop();
      await runtime.close();
      if (!options.shared) await standin.close();
      if (ownWork) fs.rmSync(work, { recursive: true, force: true });
      if (!options.state) fs.rmSync(state, { recursive: true, force: true });
    },
  };
  return harness;
}
