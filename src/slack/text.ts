/**
 * Text crossing the Slack boundary. Inbound: Slack escapes `&`, `<` and `>` as entities and wraps
 * links, mentions and channels in `<…>`; we turn that back into what the person pasted. Outbound:
 * mrkdwn needs the same three characters escaped, and every string we post passes a last scrub so
 * that no private key or key parameter reaches a channel whatever a tool put in its output
 * (DESIGN.md §5).
 */
import { holdsPrivateKey } from '../changefeed/redact.js';


/** What the person typed or pasted, from Slack's escaped form of it. */
export function fromSlackText(text: string): string {
  return text
    .replace(/<((?:https?|mailto|[a-z][a-z0-9+.-]*):[^|>]*)(?:\|[^>]*)?>/gi, '$1')
    .replace(/<#[A-Z0-9]+\|([^>]*)>/g, '#$1')
    .replace(/<@([A-Z0-9]+)(?:\|[^>]*)?>/g, '@$1')
    .replace(/<!(?:here|channel|everyone)(?:\|[^>]*)?>/g, '')
    .replace(/<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/**
 * Removes the code fences (```) people wrap pasted errors in, and backticks around the whole
 * text. Backticks inside stay: some clients print them (pgx: failed to connect to `host=...`).
 */
export function withoutCodeMarks(text: string): string {
  const unfenced = text.replace(/```[a-z0-9_+-]*\n?/gi, '').trim();
  return /^`[^`]+`$/.test(unfenced) ? unfenced.slice(1, -1).trim() : unfenced;
}

/** Text safe inside mrkdwn (also inside code blocks, where Slack still reads entities). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A code block; a ``` inside the text would end it early, so it is broken up. */
export function codeBlock(text: string): string {
  return '```' + escapeMrkdwn(text.replace(/```/g, '`\u200b``')) + '```';
}

const REMOVED_KEY = '[private key removed]';
const REDACTED_VALUE = '[redacted]';

const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
/** Runs of base64 (standard, URL-safe or percent-encoded) long enough to hold key material. */
const BASE64_RUN = /[A-Za-z0-9+/_%-]{64,}={0,2}/g;
const KEY_PARAMETER = /\b(client_key|sasl_password|sasl_client_secret|sslpassword|password|api_secret|api_key|shared_access_key|webhook_auth_header)(=|%3D)(?!\[redacted\]|\*{3,}|&lt;redacted&gt;|<redacted>)([^&\s'"<>|`]+)/gi;
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^/?#@:\s]*):(?!\*{3,}|\[redacted\]|&lt;redacted&gt;|<redacted>)[^/?#@\s]+@/gi;

/** True when the text holds a private key in PEM, or a base64 of one. */
export function holdsPrivateKeyText(text: string): boolean {
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) return true;
  return (text.match(BASE64_RUN) ?? []).some((run) => holdsPrivateKey(run));
}

/** The last line of defence before a string is posted: keys, key parameters and URL passwords go. */
export function scrubOutgoing(text: string): string {
  return text
    .replace(PEM_PRIVATE_KEY, REMOVED_KEY)
    .replace(BASE64_RUN, (run) => (holdsPrivateKey(run) ? REMOVED_KEY : run))
    .replace(KEY_PARAMETER, (_m, name: string, eq: string) => `${name}${eq}${REDACTED_VALUE}`)
    .replace(URL_PASSWORD, `$1:${REDACTED_VALUE}@`);
}

/** Applies scrubOutgoing to every string inside a message payload (text, blocks, attachments). */
export function scrubPayload<T>(value: T): T {
  if (typeof value === 'string') return scrubOutgoing(value) as T;
  if (Array.isArray(value)) return value.map((item) => scrubPayload(item)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, scrubPayload(v)])) as T;
  }
  return value;
}

/** Cuts text to `max` characters, ending in an ellipsis when cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

export interface Word {
  word: string;
  /** Offset just past the word (and its closing quote) in the line. */
  end: number;
}

/**
 * Splits a command line into words the way a shell would for quotes ("…", '…', and the curly
 * quotes phones and macOS type), without any other shell meaning.
 */
export function splitWords(line: string): Word[] {
  const words: Word[] = [];
  const closing: Record<string, string> = { '"': '"', "'": "'", '“': '”', '‘': '’', '”': '”' };
  let current = '';
  let inWord = false;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === closing[quote]) quote = null;
      else current += ch;
      continue;
    }
    if (ch in closing) {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push({ word: current, end: i });
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (inWord) words.push({ word: current, end: line.length });
  return words;
}
