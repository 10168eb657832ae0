/**
 * The Block Kit pieces we post, and Slack's limits on them (docs.slack.dev, Block Kit reference):
 * 50 blocks a message, 3000 characters in a section's text, 150 in a header, 75 in a button's
 * text and 2000 in its value, 10 elements in a context block, 25 in an actions block, and for a
 * confirm dialog 100 (title), 300 (text) and 30 (its buttons). Every builder here keeps to them,
 * and paginate() spreads a long answer over several messages.
 */
import { clip } from '../text.js';

const LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** The notification / fallback `text` of a message; Slack cuts at 40,000, we stay far below. */
  fallbackText: 3000,
} as const;

/**
 * Above this many characters of blocks an answer is posted as a file (a snippet) with a short
 * message: ten screens of blocks help nobody, and Slack would need several messages for them.
 */
export const SNIPPET_THRESHOLD = 12_000;

/**
 * Characters of block text per message when an answer is spread over several: Slack refuses a
 * message whose blocks hold ~13,000 characters or more in all (msg_blocks_too_long; observed,
 * slackapi/bolt-js#2509), well before 50 sections of 3000 would.
 */
const PAGE_TEXT_BUDGET = 11_000;

export interface PlainText { type: 'plain_text'; text: string; emoji?: boolean }
interface Mrkdwn { type: 'mrkdwn'; text: string }
export interface ConfirmDialog { title: PlainText; text: Mrkdwn; confirm: PlainText; deny: PlainText; style?: 'primary' | 'danger' }
export interface ButtonElement { type: 'button'; text: PlainText; action_id: string; value?: string; style?: 'primary' | 'danger'; confirm?: ConfirmDialog }

export type Block =
  | { type: 'header'; text: PlainText; block_id?: string }
  | { type: 'section'; text: Mrkdwn; block_id?: string }
  | { type: 'context'; elements: Mrkdwn[]; block_id?: string }
  | { type: 'divider' }
  | { type: 'actions'; elements: ButtonElement[]; block_id?: string };

/** One answer: blocks for the channel, a short notification text, and the whole answer as plain text for a snippet. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
  /** The full answer as plain text; posted as a file when the blocks would be too long. */
  plain?: { title: string; filename: string; content: string };
}

const plain = (text: string, max: number): PlainText => ({ type: 'plain_text', text: clip(text.replace(/\s+/g, ' ').trim() || ' ', max), emoji: true });

export const header = (text: string): Block => ({ type: 'header', text: plain(text, LIMITS.headerText) });

export const divider = (): Block => ({ type: 'divider' });

export function context(...texts: string[]): Block {
  return { type: 'context', elements: texts.filter(Boolean).slice(0, LIMITS.contextElements).map((text) => ({ type: 'mrkdwn', text: clip(text, LIMITS.sectionText) })) };
}

const FENCE = '```';

/**
 * Cuts mrkdwn into pieces of at most `max` characters at line ends (inside a line only when one
 * line alone is longer), closing a code block at the cut and opening it again after it.
 */
export function splitMrkdwn(text: string, max: number = LIMITS.sectionText): string[] {
  if (text.length <= max) return [text];
  const budget = max - 2 * FENCE.length - 2;
  const pieces: string[] = [];
  let current = '';
  let inFence = false;
  const flush = () => {
    if (!current) return;
    pieces.push(inFence ? `${current}${FENCE}` : current);
    current = inFence ? FENCE : '';
  };
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    let rest = index < lines.length - 1 ? `${line}\n` : line;
    const closesFence = inFence && line.trim() === FENCE;
    while (rest) {
      const room = budget - current.length;
      if (rest.length <= room || closesFence) {
        current += rest;
        rest = '';
      } else if (current.length > (inFence ? FENCE.length : 0)) {
        flush();
      } else {
        // One line longer than a whole section: cut it, keeping entities (&amp; …) whole.
        let cut = room;
        const amp = rest.lastIndexOf('&', cut);
        if (amp > cut - 6 && amp > 0) cut = amp;
        current += rest.slice(0, cut);
        rest = rest.slice(cut);
        flush();
      }
    }
    const fences = line.split(FENCE).length - 1;
    if (fences % 2 === 1) inFence = !inFence;
  });
  if (current && current !== FENCE) pieces.push(current);
  return pieces.map((piece) => piece.replace(/\n+$/, '')).filter((piece) => piece.trim() !== '' && piece !== FENCE + FENCE);
}

/** One or more section blocks holding the mrkdwn text. */
export function sections(text: string): Block[] {
  if (!text.trim()) return [];
  return splitMrkdwn(text).map((piece) => ({ type: 'section', text: { type: 'mrkdwn', text: piece } }));
}

export function button(text: string, actionId: string, value: string, extra: Partial<Pick<ButtonElement, 'style' | 'confirm'>> = {}): ButtonElement {
  if (value.length > LIMITS.buttonValue) throw new Error(`button value of ${value.length} characters is over Slack's ${LIMITS.buttonValue}`);
  return { type: 'button', text: plain(text, LIMITS.buttonText), action_id: clip(actionId, LIMITS.actionId), value, ...extra };
}

export function actions(elements: ButtonElement[], blockId?: string): Block[] {
  if (elements.length === 0) return [];
  return [{ type: 'actions', elements: elements.slice(0, LIMITS.actionsElements), ...(blockId ? { block_id: blockId } : {}) }];
}

export function confirmDialog(title: string, text: string, confirm: string, deny: string): ConfirmDialog {
  return {
    title: plain(title, LIMITS.confirmTitle),
    text: { type: 'mrkdwn', text: clip(text, LIMITS.confirmText) },
    confirm: plain(confirm, LIMITS.confirmButton),
    deny: plain(deny, LIMITS.confirmButton),
    style: 'danger',
  };
}

/** Characters of text a block carries (what Slack renders). */
export function blockLength(block: Block): number {
  switch (block.type) {
    case 'header':
    case 'section':
      return block.text.text.length;
    case 'context':
      return block.elements.reduce((sum, e) => sum + e.text.length, 0);
    case 'actions':
      return block.elements.reduce((sum, e) => sum + e.text.text.length, 0);
    default:
      return 0;
  }
}

/** Blocks spread over messages of at most 50 blocks and PAGE_TEXT_BUDGET characters, never ending a page on a header. */
export function paginate(blocks: Block[], perMessage: number = LIMITS.blocksPerMessage, textBudget: number = PAGE_TEXT_BUDGET): Block[][] {
  const pages: Block[][] = [];
  let page: Block[] = [];
  let text = 0;
  for (const block of blocks) {
    const length = blockLength(block);
    const full = page.length >= perMessage || (block.type === 'header' && page.length >= perMessage - 1) || (page.length > 0 && text + length > textBudget);
    if (full) {
      // A header stays with what follows it.
      const carried = page[page.length - 1]?.type === 'header' && page.length > 1 ? page.pop() : undefined;
      pages.push(page);
      page = carried ? [carried] : [];
      text = carried ? blockLength(carried) : 0;
    }
    page.push(block);
    text += length;
  }
  if (page.length) pages.push(page);
  return pages;
}

export function fallbackText(text: string): string {
  return clip(text, LIMITS.fallbackText);
}
