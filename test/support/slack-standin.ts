// A local stand-in for Slack's Web API (DESIGN.md §7): an HTTP server on 127.0.0.1 that answers the
// methods the app calls in Slack's documented shapes ({ ok: true, ... } or { ok: false, error })
// and records every call, so tests see exactly what the app sent. Bolt's WebClient is pointed at
// it with SLACK_API_URL. It is as strict as Slack where that matters to the tests: tokens are
// checked, chat.update needs a message that exists, and messages over Slack's Block Kit limits are
// refused as Slack refuses them (invalid_blocks, msg_blocks_too_long). response_url posts and
// file uploads land here too.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  params: Record<string, unknown>;
  token: string | undefined;
  at: number;
  /** What the stand-in answered (chat.postMessage's ts is in it). */
  result?: Record<string, unknown>;
}

export interface StandinOptions {
  botToken: string;
  appToken?: string;
  /** usergroups.users.list answers: group id → members. */
  groups?: Record<string, string[]>;
  /** Channels the bot is not a member of: chat.postMessage answers not_in_channel. */
  notInChannel?: string[];
  /** What apps.connections.open answers: a WebSocket URL, or an error code. */
  socket?: { url: string } | { error: string };
}

/** Documented Block Kit limits (docs.slack.dev/reference/block-kit), checked independently of the app's own constants. */
const MAX_BLOCKS = 50;
const MAX_SECTION_TEXT = 3000;
const MAX_HEADER_TEXT = 150;
const MAX_BUTTON_TEXT = 75;
const MAX_BUTTON_VALUE = 2000;
const MAX_CONTEXT_ELEMENTS = 10;
const MAX_ACTIONS_ELEMENTS = 25;
const MAX_CONFIRM_TITLE = 100;
const MAX_CONFIRM_TEXT = 300;
const MAX_CONFIRM_BUTTON = 30;
/** Observed: Slack answers msg_blocks_too_long at about 13,000 characters of blocks in one message (slackapi/bolt-js#2509). */
const MAX_BLOCKS_TEXT = 13_000;

type Json = Record<string, unknown>;

function textOf(value: unknown): string {
  return typeof value === 'object' && value !== null && typeof (value as Json).text === 'string' ? String((value as Json).text) : '';
}

/** Why Slack would refuse these blocks, or undefined when it would take them. */
export function blockProblems(blocks: unknown): string | undefined {
  if (blocks === undefined) return undefined;
  if (!Array.isArray(blocks)) return 'blocks is not an array';
  if (blocks.length > MAX_BLOCKS) return `${blocks.length} blocks (max ${MAX_BLOCKS})`;
  let total = 0;
  const actionIds = new Set<string>();
  for (const [i, block] of (blocks as Json[]).entries()) {
    const where = `blocks[${i}] (${String(block.type)})`;
    switch (block.type) {
      case 'header': {
        const t = textOf(block.text);
        if ((block.text as Json | undefined)?.type !== 'plain_text') return `${where}: header text must be plain_text`;
        if (t.length === 0 || t.length > MAX_HEADER_TEXT) return `${where}: header text of ${t.length} characters (1..${MAX_HEADER_TEXT})`;
        total += t.length;
        break;
      }
      case 'section': {
        const t = textOf(block.text);
        if (t.length === 0 || t.length > MAX_SECTION_TEXT) return `${where}: section text of ${t.length} characters (1..${MAX_SECTION_TEXT})`;
        total += t.length;
        break;
      }
      case 'context': {
        const elements = block.elements as Json[];
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > MAX_CONTEXT_ELEMENTS) return `${where}: ${elements?.length} context elements (1..${MAX_CONTEXT_ELEMENTS})`;
        for (const e of elements) {
          const t = textOf(e);
          if (t.length === 0 || t.length > MAX_SECTION_TEXT) return `${where}: context text of ${t.length} characters`;
          total += t.length;
        }
        break;
      }
      case 'actions': {
        const elements = block.elements as Json[];
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > MAX_ACTIONS_ELEMENTS) return `${where}: ${elements?.length} actions elements (1..${MAX_ACTIONS_ELEMENTS})`;
        for (const e of elements) {
          const t = textOf(e.text);
          if (t.length === 0 || t.length > MAX_BUTTON_TEXT) return `${where}: button text of ${t.length} characters (1..${MAX_BUTTON_TEXT})`;
          if (typeof e.value === 'string' && e.value.length > MAX_BUTTON_VALUE) return `${where}: button value of ${e.value.length} characters (max ${MAX_BUTTON_VALUE})`;
          const id = String(e.action_id);
          if (actionIds.has(id)) return `${where}: duplicate action_id ${id}`;
          actionIds.add(id);
          const confirm = e.confirm as Json | undefined;
          if (confirm) {
            if (textOf(confirm.title).length > MAX_CONFIRM_TITLE) return `${where}: confirm title too long`;
            if (textOf(confirm.text).length > MAX_CONFIRM_TEXT) return `${where}: confirm text too long`;
            if (textOf(confirm.confirm).length > MAX_CONFIRM_BUTTON || textOf(confirm.deny).length > MAX_CONFIRM_BUTTON) return `${where}: confirm button text too long`;
          }
        }
        break;
      }
      case 'divider':
        break;
      default:
        return `${where}: a block type this app should not send`;
    }
  }
  if (total > MAX_BLOCKS_TEXT) return `msg_blocks_too_long:${total}`;
  return undefined;
}

/**
 * The file in an upload: Slack's upload URL takes the bytes raw or as one multipart part (the Web
 * API client sends a Buffer as form-data, a string raw).
 */
function uploadedFile(raw: Buffer, contentType: string | undefined): Buffer {
  const boundary = /^multipart\/form-data;.*boundary=("?)([^";]+)\1/i.exec(contentType ?? '')?.[2];
  if (!boundary) return raw;
  const start = raw.indexOf('\r\n\r\n', raw.indexOf(`--${boundary}`));
  const end = raw.indexOf(`\r\n--${boundary}`, start);
  return start < 0 || end < 0 ? raw : raw.subarray(start + 4, end);
}

export class SlackStandin {
  readonly calls: RecordedCall[] = [];
  /** Bytes posted to upload URLs, by file id. */
  readonly uploads = new Map<string, string>();
  /** The same bytes as they came (an uploaded PNG is not text), by file id. */
  readonly uploadBytes = new Map<string, Buffer>();
  private readonly server: http.Server;
  private readonly messages = new Map<string, Json>();
  private tsCounter = 0;
  private fileCounter = 0;
  private waiters: Array<() => void> = [];
  url = '';

  constructor(private readonly options: StandinOptions) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          this.handle(req, Buffer.concat(chunks), res);
        } catch (error) {
          res.writeHead(500).end(String(error));
        }
      });
    });
  }

  static async start(options: StandinOptions): Promise<SlackStandin> {
    const standin = new SlackStandin(options);
    await new Promise<void>((resolve) => standin.server.listen(0, '127.0.0.1', resolve));
    standin.url = `http://127.0.0.1:${(standin.server.address() as AddressInfo).port}`;
    return standin;
  }

  /** SLACK_API_URL for the app. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** A response_url for one request; what the app posts there is recorded as method "response_url". */
  responseUrl(): string {
    return `${this.url}/response/${crypto.randomBytes(6).toString('hex')}`;
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Every message payload the app sent anywhere (posts, updates, ephemerals, response_url, uploads). */
  everythingSent(): string[] {
    return [...this.calls.map((c) => JSON.stringify(c.params)), ...this.uploads.values()];
  }

  /**
   * What no test may ever have sent to Slack (DESIGN.md §5): a private key, or a key parameter
   * (client_key=…) with its value. Returns the offending payloads, cut to 200 characters.
   */
  secretsSent(): string[] {
    return this.everythingSent()
      .filter((sent) => sent.includes('PRIVATE KEY') || /client_key=(?!\[redacted\]|<redacted>|&lt;redacted&gt;)[A-Za-z0-9%+/]/.test(sent))
      .map((sent) => sent.slice(0, 200));
  }

  /** Calls Slack would have refused (over Block Kit limits, unknown message, ...), except answers a test arranged. */
  refusedCalls(expected: string[] = []): string[] {
    return this.calls
      .filter((c) => c.result && c.result.ok === false && !expected.includes(String(c.result.error)))
      .map((c) => `${c.method}: ${JSON.stringify(c.result)}`);
  }

  /** Waits until `predicate` holds over the recorded calls (checked on every call), or fails after `ms`. */
  async waitFor<T>(predicate: () => T | undefined | false, ms = 10_000, what = 'a Slack API call'): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = predicate();
      if (value) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}; calls so far: ${this.calls.map((c) => c.method).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private record(method: string, params: Json, token: string | undefined, result?: Json): void {
    this.calls.push({ method, params, token, at: Date.now(), ...(result ? { result } : {}) });
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private nextTs(): string {
    this.tsCounter += 1;
    return `${1_700_000_000 + this.tsCounter}.${String(this.tsCounter).padStart(6, '0')}`;
  }

  private handle(req: http.IncomingMessage, raw: Buffer, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname.startsWith('/response/')) {
      const body = JSON.parse(raw.toString('utf8') || '{}') as Json;
      this.record('response_url', body, undefined);
      const problem = body.delete_original ? undefined : blockProblems(body.blocks);
      json(problem ? 400 : 200, problem ? { ok: false, error: 'invalid_blocks', errors: [problem] } : { ok: true });
      return;
    }
    if (url.pathname.startsWith('/upload/')) {
      const id = url.pathname.slice('/upload/'.length);
      this.uploads.set(id, raw.toString('utf8'));
      this.uploadBytes.set(id, uploadedFile(raw, req.headers['content-type']));
      this.record('upload', { file_id: id, bytes: raw.length }, req.headers.authorization?.replace(/^Bearer /, ''));
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${raw.length}`);
      return;
    }
    if (!url.pathname.startsWith('/api/')) {
      json(404, { ok: false, error: 'unknown_path' });
      return;
    }
    const method = url.pathname.slice('/api/'.length);
    const params = this.parseParams(req, raw);
    const token = req.headers.authorization?.replace(/^Bearer /, '') ?? (typeof params.token === 'string' ? params.token : undefined);
    delete params.token;
    const expected = method === 'apps.connections.open' ? this.options.appToken : this.options.botToken;
    const result = !token ? { ok: false, error: 'not_authed' } : token !== expected ? { ok: false, error: 'invalid_auth' } : this.answer(method, params);
    this.record(method, params, token, result);
    json(200, result);
  }

  private parseParams(req: http.IncomingMessage, raw: Buffer): Json {
    const type = String(req.headers['content-type'] ?? '');
    const text = raw.toString('utf8');
    if (type.includes('application/json')) return JSON.parse(text || '{}') as Json;
    const params: Json = {};
    for (const [key, value] of new URLSearchParams(text)) {
      // The WebClient sends arrays and objects (blocks, files) as JSON strings.
      params[key] = /^[[{]/.test(value) ? safeJson(value) : value;
    }
    return params;
  }

  private answer(method: string, p: Json): Json {
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://crdb-test.slack.com/', team: 'crdb-test', user: 'crdb-tls', team_id: 'T0TEST', user_id: 'U0BOT', bot_id: 'B0BOT', is_enterprise_install: false };
      case 'chat.postMessage': {
        const channel = String(p.channel ?? '');
        if (this.options.notInChannel?.includes(channel)) return { ok: false, error: 'not_in_channel' };
        const invalid = this.messageProblems(p);
        if (invalid) return invalid;
        const ts = this.nextTs();
        const message = { type: 'message', ts, text: p.text, blocks: p.blocks, ...(p.thread_ts ? { thread_ts: p.thread_ts } : {}), bot_id: 'B0BOT', user: 'U0BOT' };
        this.messages.set(`${channel}/${ts}`, message);
        return { ok: true, channel, ts, message };
      }
      case 'chat.update': {
        const key = `${String(p.channel)}/${String(p.ts)}`;
        if (!this.messages.has(key)) return { ok: false, error: 'message_not_found' };
        const invalid = this.messageProblems(p);
        if (invalid) return invalid;
        this.messages.set(key, { ...this.messages.get(key), text: p.text, blocks: p.blocks });
        return { ok: true, channel: p.channel, ts: p.ts, text: p.text, message: { text: p.text, blocks: p.blocks } };
      }
      case 'chat.postEphemeral': {
        const invalid = this.messageProblems(p);
        if (invalid) return invalid;
        if (!p.user) return { ok: false, error: 'user_not_in_channel' };
        return { ok: true, message_ts: this.nextTs() };
      }
      case 'usergroups.users.list': {
        const members = this.options.groups?.[String(p.usergroup)];
        return members ? { ok: true, users: members } : { ok: false, error: 'no_such_subteam' };
      }
      case 'files.getUploadURLExternal': {
        const id = `F${String(++this.fileCounter).padStart(8, '0')}`;
        return { ok: true, upload_url: `${this.url}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const files = (p.files as Array<{ id: string; title?: string }>) ?? [];
        const missing = files.find((f) => !this.uploads.has(f.id));
        if (missing) return { ok: false, error: 'file_not_found' };
        return { ok: true, files: files.map((f) => ({ id: f.id, title: f.title ?? '' })) };
      }
      case 'apps.connections.open': {
        const socket = this.options.socket;
        if (!socket) return { ok: false, error: 'invalid_auth' };
        return 'error' in socket ? { ok: false, error: socket.error } : { ok: true, url: socket.url };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private messageProblems(p: Json): Json | undefined {
    if (!p.text && !p.blocks) return { ok: false, error: 'no_text' };
    const problem = blockProblems(p.blocks);
    if (!problem) return undefined;
    return problem.startsWith('msg_blocks_too_long') ? { ok: false, error: 'msg_blocks_too_long' } : { ok: false, error: 'invalid_blocks', errors: [problem] };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
