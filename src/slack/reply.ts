/**
 * Where one answer goes and how it gets there: a message that says "working on it" right away,
 * updated with progress while a long tool runs, then replaced by the answer; what does not fit
 * one message continues in the thread, and an answer too long for blocks is attached as a file.
 * When the app may not post in the channel, the answer goes to the person alone through the
 * request's response_url. Every payload passes scrubPayload on its way out (DESIGN.md §5).
 */
import type { Logger } from '../core/log.js';
import { blockLength, context, paginate, SNIPPET_THRESHOLD, type Block, type SlackMessage } from './render/blocks.js';
import { scrubPayload } from './text.js';

/** The part of Slack's Web API the face uses; app.ts implements it over Bolt's WebClient. */
export interface SlackApi {
  postMessage(args: { channel: string; text: string; blocks?: Block[]; thread_ts?: string }): Promise<{ ts: string }>;
  update(args: { channel: string; ts: string; text: string; blocks: Block[] }): Promise<void>;
  postEphemeral(args: { channel: string; user: string; text: string; blocks?: Block[]; thread_ts?: string }): Promise<void>;
  uploadSnippet(args: { channel: string; thread_ts?: string; filename: string; title: string; content: string; initial_comment?: string }): Promise<void>;
  /** An image (files.uploadV2 with bytes): the expiry timeline, with its words as alt text. */
  uploadImage(args: { channel: string; thread_ts?: string; filename: string; title: string; data: Buffer; alt_text: string }): Promise<void>;
  /** Members of a user group (usergroups.users.list). */
  groupMembers(groupId: string): Promise<string[]>;
}

/** A Web API error with Slack's code (not_in_channel, channel_not_found, ...). */
export class SlackApiError extends Error {
  constructor(readonly code: string) {
    super(`Slack answered ${code}`);
  }
}

/** Posts to the request's response_url: to the person alone, working wherever the app is not a member. */
export type Respond = (message: { text: string; blocks?: Block[]; response_type: 'ephemeral' | 'in_channel'; replace_original?: boolean }) => Promise<void>;

const CANNOT_POST = new Set(['not_in_channel', 'channel_not_found', 'is_archived', 'restricted_action', 'cannot_reply_to_message']);
const PROGRESS_INTERVAL_MS = 1000;

export interface ReplyTarget {
  channel: string;
  /** Answer in this thread (a mention, a shortcut on a message); undefined: a new message in the channel. */
  threadTs?: string;
  user: string;
  respond?: Respond;
  /** Answer the person alone (help, audit): through respond, else chat.postEphemeral. */
  privately?: boolean;
}

export class Reply {
  private ts: string | undefined;
  private ephemeralOnly = false;
  private lastProgress = 0;
  private progressChain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly api: SlackApi,
    private readonly log: Logger,
    readonly target: ReplyTarget,
  ) {}

  /** Continues on a message already posted (the confirmation message a click came from). */
  static onMessage(api: SlackApi, log: Logger, target: ReplyTarget, ts: string): Reply {
    const reply = new Reply(api, log, target);
    reply.ts = ts;
    return reply;
  }

  /** The answer's message, once posted (the thread its continuation goes to). */
  get messageTs(): string | undefined {
    return this.ts;
  }

  get threadRoot(): string | undefined {
    return this.target.threadTs ?? this.ts;
  }

  /** Says at once that the work started; falls back to the person alone when the app may not post here. */
  async start(text: string): Promise<void> {
    if (this.target.privately) {
      this.ephemeralOnly = true;
      return;
    }
    try {
      const posted = await this.api.postMessage(scrubPayload({ channel: this.target.channel, text, blocks: [context(text)], ...(this.target.threadTs ? { thread_ts: this.target.threadTs } : {}) }));
      this.ts = posted.ts;
    } catch (error) {
      if (!(error instanceof SlackApiError) || !CANNOT_POST.has(error.code) || !this.target.respond) throw error;
      this.log.info({ channel: this.target.channel, code: error.code }, 'cannot post in the channel; answering the person alone');
      this.ephemeralOnly = true;
    }
  }

  /** Shows how a long call is going, at most once a second. */
  progress(text: string): void {
    if (!this.ts || this.ephemeralOnly) return;
    const now = Date.now();
    if (now - this.lastProgress < PROGRESS_INTERVAL_MS) return;
    this.lastProgress = now;
    const ts = this.ts;
    this.progressChain = this.progressChain
      .then(() => this.api.update(scrubPayload({ channel: this.target.channel, ts, text, blocks: [context(`⏳ ${text}`)] })))
      .catch((error) => this.log.warn({ err: error }, 'progress update failed'));
  }

  /** Replaces the "working" message with the answer; the rest goes to the thread or into a file. */
  async finish(message: SlackMessage): Promise<void> {
    await this.progressChain;
    const total = message.blocks.reduce((sum, b) => sum + blockLength(b), 0);
    if (total > SNIPPET_THRESHOLD && message.plain && !this.ephemeralOnly) {
      const lead = message.blocks.slice(0, message.blocks.findIndex((b) => b.type === 'section') + 1 || 2).filter((b) => blockLength(b) <= 3000);
      const short: SlackMessage = { text: message.text, blocks: [...lead.slice(0, 3), context(`The whole answer (${total.toLocaleString('en-US')} characters) is attached in the thread as ${message.plain.filename}.`)] };
      await this.show(short.blocks, short.text);
      await this.api.uploadSnippet(scrubPayload({
        channel: this.target.channel,
        ...(this.threadRoot ? { thread_ts: this.threadRoot } : {}),
        filename: message.plain.filename,
        title: message.plain.title,
        content: message.plain.content,
      }));
      return;
    }
    const pages = paginate(message.blocks);
    for (let i = 0; i < pages.length; i++) {
      if (i === 0) await this.show(pages[0]!, message.text);
      else await this.post(pages[i]!, `${message.text} (${i + 1}/${pages.length})`);
    }
  }

  /**
   * A picture of the answer, posted into its thread once the answer is there (a person alone gets
   * none: Slack uploads cannot be ephemeral). Only words pass scrubPayload; the bytes are drawn
   * from structured results, not from pasted text.
   */
  async attachPicture(picture: { data: Buffer; filename: string; alt: string; title: string }): Promise<boolean> {
    if (this.ephemeralOnly || this.target.privately) return false;
    const words = scrubPayload({ filename: picture.filename, title: picture.title, alt_text: picture.alt });
    await this.api.uploadImage({ channel: this.target.channel, ...(this.threadRoot ? { thread_ts: this.threadRoot } : {}), ...words, data: picture.data });
    return true;
  }

  /** The first page: in place of the "working" message. */
  private async show(blocks: Block[], text: string): Promise<void> {
    if (this.ephemeralOnly || this.target.privately) {
      await this.whisper({ text, blocks });
      return;
    }
    if (this.ts) await this.api.update(scrubPayload({ channel: this.target.channel, ts: this.ts, text, blocks }));
    else this.ts = (await this.api.postMessage(scrubPayload({ channel: this.target.channel, text, blocks, ...(this.target.threadTs ? { thread_ts: this.target.threadTs } : {}) }))).ts;
  }

  /** A continuation: in the thread. */
  private async post(blocks: Block[], text: string): Promise<void> {
    if (this.ephemeralOnly || this.target.privately) {
      await this.whisper({ text, blocks });
      return;
    }
    await this.api.postMessage(scrubPayload({ channel: this.target.channel, text, blocks, ...(this.threadRoot ? { thread_ts: this.threadRoot } : {}) }));
  }

  /** A note to the person alone (usage, help, a refusal of their click). */
  async whisper(message: SlackMessage): Promise<void> {
    if (this.target.respond) {
      await this.target.respond(scrubPayload({ response_type: 'ephemeral', text: message.text, blocks: message.blocks }));
      return;
    }
    await this.api.postEphemeral(scrubPayload({ channel: this.target.channel, user: this.target.user, text: message.text, blocks: message.blocks, ...(this.target.threadTs ? { thread_ts: this.target.threadTs } : {}) }));
  }
}
