// The expiry timeline of 500 certificates: drawing the SVG in-process against printing the text
// table of the same inventory (what `rotate check` prints), and rasterising it with resvg against a
// headless Chromium (already started, one page reused) screenshotting the same SVG.
import { chromium } from 'playwright-core';
import { DEFAULT_THRESHOLDS, statusFor, type Inventory, type InventoryItem } from '../src/rotation/items.js';
import { renderInventoryTable } from '../src/rotation/render.js';
import { timelineModel } from '../src/rotation/timeline.js';
import { rasterizeSvg } from '../src/rotation/timeline-png.js';
import { renderTimelineSvg } from '../src/rotation/timeline-svg.js';
import { interleave, progress, row, runWhenInvokedDirectly, type BenchResult } from './harness.js';

export interface TimelineOptions {
  runs: number;
  warmups: number;
  certificates: number;
}

/** Certificates from 30 days expired to 10 years left, over 5 certs dirs and 2 CAs each. */
function inventoryOf(count: number, now: Date): Inventory {
  const items: InventoryItem[] = [];
  for (let n = 0; n < count; n++) {
    const days = -30 + ((n * 7919) % 3680);
    const seconds = days * 86_400;
    const dir = `/srv/certs${n % 5}`;
    items.push({
      source: 'certs_dir', location: dir, what: `client.user${n}.crt (client certificate for user${n})`, usage: 'Client', path: `${dir}/client.user${n}.crt`, position: 0,
      subject: `CN=user${n}`, issuer: n % 2 ? 'O=Cockroach,CN=Cockroach CA' : 'O=Cockroach,CN=Cockroach CA 2026', serial: n.toString(16), sha256_fingerprint: `fp${n}`,
      not_after: new Date(now.getTime() + seconds * 1000).toISOString(), seconds_left: seconds, days_left: days, status: statusFor(seconds, DEFAULT_THRESHOLDS), error: null,
    });
  }
  const counts = { ok: 0, warn: 0, fail: 0, expired: 0, error: 0 };
  for (const i of items) counts[i.status]++;
  return { generated_at: now.toISOString(), thresholds: DEFAULT_THRESHOLDS, items, sources: [], counts, earliest: null };
}

export async function benchTimeline(options: TimelineOptions): Promise<BenchResult> {
  const inventory = inventoryOf(options.certificates, new Date());
  const svg = renderTimelineSvg(timelineModel(inventory));
  const height = Number(/ height="(\d+)"/.exec(svg)![1]);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1160, height } });
    const timed = async (fn: () => unknown) => {
      const start = performance.now();
      await fn();
      return performance.now() - start;
    };
    const drawSvg = () => {
      const out = renderTimelineSvg(timelineModel(inventory));
      if ((out.match(/class="cert"/g) ?? []).length !== options.certificates) throw new Error('the timeline lost a certificate');
    };
    const table = () => void renderInventoryTable(inventory, Infinity);
    const resvg = async () => {
      const png = await rasterizeSvg(svg);
      if (png.length < 10_000) throw new Error('resvg drew an empty picture');
    };
    const screenshot = async () => {
      await page.setContent(`<!doctype html><body style="margin:0">${svg}</body>`);
      const png = await page.screenshot({ type: 'png' });
      if (png.length < 10_000) throw new Error('Chromium drew an empty picture');
    };
    progress(`timeline: ${options.warmups} checked warm-up run(s) each, ${options.certificates} certificates, SVG ${Math.round(svg.length / 1024)} KiB, ${height} px high`);
    for (let w = 0; w < options.warmups; w++) for (const fn of [drawSvg, table, resvg, screenshot]) await Promise.resolve(fn());
    const s = await interleave('timeline', options.runs, { drawSvg: () => timed(drawSvg), table: () => timed(table), resvg: () => timed(resvg), screenshot: () => timed(screenshot) });
    return {
      rows: [
        row('timeline-svg', `timeline SVG of ${options.certificates} certificates, in-process`, s.drawSvg, s.table, 'renderTimelineSvg(timelineModel(inventory))', 'renderInventoryTable(inventory) (the text table rotate check prints)'),
        row('timeline-png', `timeline PNG of ${options.certificates} certificates, in-process`, s.resvg, s.screenshot, 'rasterizeSvg(svg) (@resvg/resvg-js)', 'headless Chromium (started once): setContent(svg) + screenshot'),
      ],
      notes: [`timeline: the SVG of ${options.certificates} certificates is ${Math.round(svg.length / 1024)} KiB and ${height} px high; the text table prints every row (no limit) for a like-for-like peer.`],
    };
  } finally {
    await browser.close();
  }
}

await runWhenInvokedDirectly(import.meta.url, () => benchTimeline({ runs: 10, warmups: 1, certificates: 500 }));
