import fs from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileSystemError, ToolError } from '../core/errors.js';
import type { Picture } from '../core/picture.js';
import type { Inventory } from './items.js';
import type { PlanView } from './steps.js';
import { timelineModel } from './timeline.js';

/**
 * The expiry timeline of a check or a plan, as a file (the CLI's --chart) or as a picture for a
 * face (MCP image content, a Slack upload). The renderer and the rasteriser are imported here, on
 * first use, so that the start-up of every other command does not load them.
 */

export interface TimelineSource {
  inventory: Inventory;
  plan?: PlanView;
}

export type TimelineFormat = 'svg' | 'png';

export function timelineFormatOf(file: string): TimelineFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.svg') return 'svg';
  if (ext === '.png') return 'png';
  throw new ToolError('invalid_input', `${file}: a timeline's file name must end in .svg or .png (that is how its format is chosen)`, 'e.g. expiry.svg, or expiry.png for places that do not show SVG');
}

export async function timelineSvg(source: TimelineSource): Promise<string> {
  const { renderTimelineSvg } = await import('./timeline-svg.js');
  return renderTimelineSvg(timelineModel(source.inventory, source.plan));
}

/** Words for the picture: what a screen reader reads, and what a client that shows no images gets. */
function timelineAlt(source: TimelineSource): string {
  const c = source.inventory.counts;
  const first = source.inventory.earliest;
  return `Expiry timeline of ${source.inventory.items.length} certificates: ${c.expired} expired, ${c.fail} fail, ${c.warn} warn, ${c.ok} ok, ${c.error} unreadable${first ? `; first to expire: ${first.what} at ${first.location} on ${first.not_after.slice(0, 10)} (${first.days_left} days)` : ''}${source.plan ? `; overlay: rotation plan ${source.plan.id}` : ''}.`;
}

async function timelinePng(source: TimelineSource): Promise<Buffer> {
  const { rasterizeSvg } = await import('./timeline-png.js');
  // Twice the SVG's size: sharp on the high-density screens Slack is mostly read on.
  return rasterizeSvg(await timelineSvg(source), 2);
}

export async function timelinePicture(source: TimelineSource): Promise<Picture> {
  return { mimeType: 'image/png', data: await timelinePng(source), filename: source.plan ? `rotation-plan-${source.plan.id}.png` : 'expiry-timeline.png', alt: timelineAlt(source) };
}

/** Writes the timeline to `file` (format from its extension), atomically: a reader never sees half a picture. */
export async function writeTimelineFile(file: string, source: TimelineSource): Promise<TimelineFormat> {
  const format = timelineFormatOf(file);
  const content = format === 'svg' ? await timelineSvg(source) : await timelinePng(source);
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  try {
    await fs.writeFile(temp, content, { mode: 0o644, flag: 'wx' });
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw fileSystemError(error, file, 'write the timeline');
  }
  return format;
}
