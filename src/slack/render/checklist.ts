/**
 * Checklists: the shape of a rotation plan in Slack (☐ / ☑ per step, in order) and of the expiry
 * digest's "rotate these" list. Used by the digest now; plan_rotation's answer will use it too.
 */
import { escapeMrkdwn } from '../text.js';
import { sections, type Block } from './blocks.js';

export interface ChecklistItem {
  done: boolean;
  /** mrkdwn-safe text is made here: pass plain text. */
  text: string;
  detail?: string;
}

export function checklist(title: string, items: ChecklistItem[]): Block[] {
  const lines = items.map((item, index) => `${item.done ? '☑' : '☐'} ${index + 1}. ${escapeMrkdwn(item.text)}${item.detail ? `\n      _${escapeMrkdwn(item.detail)}_` : ''}`);
  return sections(`*${escapeMrkdwn(title)}*\n${lines.join('\n')}`);
}
