import { scaleSymlog } from 'd3-scale';
import type { TimelineModel, TimelineRow } from './timeline.js';

/**
 * The expiry timeline as SVG: one row per certificate, grouped by source and issuing CA, on a
 * symmetric-log time axis (linear for the first week, logarithmic after it) so that a 10-year CA
 * and a 30-day leaf both get room; today's line; the fail and warn windows shaded and hatched.
 * Status is told three ways — colour (Okabe–Ito, safe for the common colour-blindnesses), marker
 * shape and a word in the right column — so it survives a monochrome print. Text stays text.
 */

const WIDTH = 1160;
const LABEL_X = 16;
const PLOT_X0 = 450;
const PLOT_X1 = 930;
const RIGHT_X = 950;
const ROW_H = 20;
const GROUP_H = 28;
const ISSUER_H = 20;
const TOP = 132;
const FONT = "font-family=\"'DejaVu Sans', Verdana, Arial, sans-serif\"";

// Okabe & Ito (2008), "Color Universal Design": distinguishable with protan, deutan and tritan vision.
const COLOUR = { ok: '#009E73', warn: '#E69F00', fail: '#D55E00', expired: '#000000', error: '#CC79A7', plan: '#0072B2' } as const;
const STATUS_WORD: Record<TimelineRow['status'], string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL', expired: 'EXPIRED', error: 'ERROR' };
const DAY_MS = 86_400_000;

/** XML 1.0 allows no C0 controls but tab/newline; drop them with the bidi controls, then escape. */
function xmlText(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffe\uffff]/g, '').replace(/[<>&"']/g, (c) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' } as const)[c as '<']};`);
}

/** Labels are cut to what fits their column; DejaVu Sans averages about 0.56 em a character. */
function fit(text: string, px: number, size: number): string {
  const max = Math.max(4, Math.floor(px / (size * 0.56)));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function marker(status: TimelineRow['status'], x: number, y: number): string {
  const c = COLOUR[status];
  switch (status) {
    case 'ok':
      return `<circle cx="${x}" cy="${y}" r="5.5" fill="${c}" stroke="#000" stroke-width="1"/>`;
    case 'warn':
      return `<path d="M${x} ${y - 7}L${x + 7} ${y + 5}L${x - 7} ${y + 5}Z" fill="${c}" stroke="#000" stroke-width="1"/>`;
    case 'fail':
      return `<path d="M${x} ${y - 7}L${x + 7} ${y}L${x} ${y + 7}L${x - 7} ${y}Z" fill="${c}" stroke="#000" stroke-width="1"/>`;
    case 'expired':
      return `<rect x="${x - 6}" y="${y - 6}" width="12" height="12" fill="${c}"/><path d="M${x - 4} ${y - 4}L${x + 4} ${y + 4}M${x + 4} ${y - 4}L${x - 4} ${y + 4}" stroke="#fff" stroke-width="2"/>`;
    case 'error':
      return `<circle cx="${x}" cy="${y}" r="7" fill="#fff" stroke="${c}" stroke-width="2"/><text x="${x}" y="${y + 4}" font-size="11" font-weight="bold" text-anchor="middle" fill="#000">?</text>`;
  }
}

function ticksFor(minDays: number, maxDays: number): Array<{ days: number; label: string }> {
  const candidates: Array<[number, string]> = [
    [-3650, '−10 y'], [-1825, '−5 y'], [-730, '−2 y'], [-365, '−1 y'], [-90, '−90 d'], [-30, '−30 d'], [-7, '−7 d'],
    [0, 'today'], [7, '+7 d'], [30, '+30 d'], [90, '+90 d'], [182, '+6 mo'], [365, '+1 y'], [730, '+2 y'], [1825, '+5 y'], [3650, '+10 y'], [7300, '+20 y'], [18250, '+50 y'],
  ];
  return candidates.filter(([d]) => d >= minDays && d <= maxDays).map(([days, label]) => ({ days, label }));
}

export interface TimelineSvgOptions {
  /** Shown in the SVG's description; defaults to the model's own counts. */
  description?: string;
}

export function renderTimelineSvg(model: TimelineModel, options: TimelineSvgOptions = {}): string {
  const now = Date.parse(model.now);
  const rows = model.groups.flatMap((g) => g.issuers.flatMap((i) => i.rows));
  const daysOf = (row: TimelineRow) => (row.not_after === null ? null : (Date.parse(row.not_after) - now) / DAY_MS);
  const known = rows.map(daysOf).filter((d): d is number => d !== null);
  const { warn_days: warn, fail_days: fail } = model.thresholds;
  const minDays = Math.min(0, ...known.map((d) => d * 1.15));
  const maxDays = Math.max(warn * 1.25, 30, ...known.map((d) => d * 1.1));
  const x = scaleSymlog().constant(7).domain([minDays, maxDays]).range([PLOT_X0, PLOT_X1]).clamp(true);
  const px = (days: number) => Math.round(x(days) * 10) / 10;

  const body: string[] = [];
  let y = TOP;
  for (const group of model.groups) {
    y += GROUP_H;
    body.push(`<g class="source" data-source="${group.source}"><rect x="0" y="${y - GROUP_H + 4}" width="${WIDTH}" height="${GROUP_H - 4}" fill="#eef2f5"/><text x="${LABEL_X}" y="${y - 8}" font-size="14" font-weight="bold">${xmlText(fit(group.label, WIDTH - 2 * LABEL_X, 14))}</text></g>`);
    for (const issuer of group.issuers) {
      y += ISSUER_H;
      body.push(`<text class="issuer" x="${LABEL_X + 10}" y="${y - 6}" font-size="12" font-style="italic" fill="#333">${xmlText(fit(`issued by ${issuer.issuer}`, PLOT_X0 - LABEL_X - 20, 12))}</text>`);
      for (const row of issuer.rows) {
        y += ROW_H;
        const mid = y - ROW_H / 2;
        const days = daysOf(row);
        const parts: string[] = [`<title>${xmlText(`${row.label} — ${STATUS_WORD[row.status]}${row.days_left !== null ? `, ${row.days_left} days left` : ''} — ${row.detail}`)}</title>`];
        parts.push(`<text x="${LABEL_X + 22}" y="${mid + 4}" font-size="12">${xmlText(fit(row.label, PLOT_X0 - LABEL_X - 32, 12))}</text>`);
        let markX = PLOT_X0 + 8;
        if (days !== null) {
          markX = px(days);
          const from = Math.min(markX, px(0));
          const to = Math.max(markX, px(0));
          parts.push(`<rect x="${from}" y="${mid - 2.5}" width="${Math.max(0.5, to - from)}" height="5" fill="${COLOUR[row.status]}" fill-opacity="0.45"${row.status === 'expired' ? ' stroke="#000" stroke-dasharray="3 2" stroke-width="0.8"' : ''}/>`);
        }
        parts.push(marker(row.status, markX, mid));
        row.steps.forEach((step, i) => {
          const bx = Math.min(markX + 12 + i * 58, PLOT_X1 - 52);
          parts.push(`<g class="plan-step" data-step="${step.number}" data-effect="${step.effect}"><rect x="${bx}" y="${mid - 8}" width="54" height="16" rx="8" fill="#fff" stroke="${COLOUR.plan}" stroke-width="1.5"${step.effect === 'removes' ? ' stroke-dasharray="3 2"' : ''}/><text x="${bx + 27}" y="${mid + 4}" font-size="10.5" text-anchor="middle" fill="${COLOUR.plan}">${step.effect === 'removes' ? '−' : '↻'} step ${step.number}</text></g>`);
        });
        const right = row.not_after === null ? `ERROR: ${row.error ?? 'unreadable'}` : `${row.not_after.slice(0, 10)} · ${row.days_left! < 0 ? `expired ${-row.days_left!} d ago` : `${row.days_left} d`} · ${STATUS_WORD[row.status]}`;
        parts.push(`<text x="${RIGHT_X}" y="${mid + 4}" font-size="11.5"${row.status === 'ok' ? '' : ' font-weight="bold"'}>${xmlText(fit(right, WIDTH - RIGHT_X - 8, 11.5))}</text>`);
        body.push(`<g class="cert" role="listitem" data-status="${row.status}" data-x="${markX}"${row.not_after ? ` data-not-after="${xmlText(row.not_after)}"` : ''}>${parts.join('')}</g>`);
      }
    }
  }
  const height = y + 40;

  const ticks = ticksFor(minDays, maxDays);
  const grid = ticks.map((t) => `<g class="tick" data-days="${t.days}"><line x1="${px(t.days)}" x2="${px(t.days)}" y1="${TOP - 8}" y2="${height - 30}" stroke="#999" stroke-width="0.6" stroke-dasharray="2 3"/><text x="${px(t.days)}" y="${TOP - 14}" font-size="11" text-anchor="middle">${xmlText(t.label)}</text></g>`);
  const windowY = TOP - 8;
  const windowH = height - 30 - windowY;
  const windows = [
    `<rect class="window" data-window="fail" x="${px(0)}" y="${windowY}" width="${Math.max(0, px(fail) - px(0))}" height="${windowH}" fill="url(#fail-hatch)"/>`,
    `<rect class="window" data-window="warn" x="${px(fail)}" y="${windowY}" width="${Math.max(0, px(warn) - px(fail))}" height="${windowH}" fill="url(#warn-hatch)"/>`,
  ];
  const today = `<g class="today"><line x1="${px(0)}" x2="${px(0)}" y1="${TOP - 8}" y2="${height - 30}" stroke="#000" stroke-width="2"/><text x="${px(0)}" y="${height - 14}" font-size="11" text-anchor="middle" font-weight="bold">today ${xmlText(model.now.slice(0, 10))}</text></g>`;

  const c = model.counts;
  const summary = `${rows.length} certificates: ${c.expired} expired, ${c.fail} fail (under ${fail} days), ${c.warn} warn (under ${warn} days), ${c.ok} ok, ${c.error} unreadable.`;
  const description = options.description ?? `${summary} Generated ${model.now}.${model.plan ? ` Overlay: the ${model.plan.steps} steps of rotation plan ${model.plan.id}.` : ''}`;
  const legendItems: Array<[string, string]> = [
    [marker('ok', 0, 0), 'ok'],
    [marker('warn', 0, 0), `warn (< ${warn} d)`],
    [marker('fail', 0, 0), `fail (< ${fail} d)`],
    [marker('expired', 0, 0), 'expired'],
    [marker('error', 0, 0), 'unreadable'],
  ];
  const legend = legendItems.map(([mark, text], i) => `<g class="legend-item" transform="translate(${LABEL_X + 10 + i * 150} 78)">${mark}<text x="14" y="4" font-size="12">${xmlText(text)}</text></g>`);
  legend.push(`<g class="legend-item" transform="translate(${LABEL_X + 2} 94)"><rect x="0" y="0" width="22" height="12" fill="url(#fail-hatch)" stroke="#666" stroke-width="0.5"/><text x="30" y="10" font-size="12">fail window</text><rect x="142" y="0" width="22" height="12" fill="url(#warn-hatch)" stroke="#666" stroke-width="0.5"/><text x="172" y="10" font-size="12">warn window</text>${model.plan ? `<rect x="292" y="-2" width="54" height="16" rx="8" fill="#fff" stroke="${COLOUR.plan}" stroke-width="1.5"/><text x="319" y="10" font-size="10.5" text-anchor="middle" fill="${COLOUR.plan}">↻ step N</text><text x="354" y="10" font-size="12">replaced by plan step N (− removes a CA)</text>` : ''}</g>`);

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="timeline-title timeline-desc" ${FONT}>`,
    `<title id="timeline-title">${xmlText(model.title)}</title>`,
    `<desc id="timeline-desc">${xmlText(description)}</desc>`,
    '<defs>',
    `<pattern id="fail-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="${COLOUR.fail}" fill-opacity="0.12"/><line x1="0" y1="0" x2="0" y2="6" stroke="${COLOUR.fail}" stroke-opacity="0.5" stroke-width="1.5"/></pattern>`,
    `<pattern id="warn-hatch" width="10" height="10" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="10" height="10" fill="${COLOUR.warn}" fill-opacity="0.10"/><line x1="0" y1="0" x2="0" y2="10" stroke="${COLOUR.warn}" stroke-opacity="0.45" stroke-width="1"/></pattern>`,
    '</defs>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${LABEL_X}" y="30" font-size="20" font-weight="bold">${xmlText(model.title)}</text>`,
    `<text class="summary" x="${LABEL_X}" y="54" font-size="13">${xmlText(summary)}${model.plan ? xmlText(` Plan ${model.plan.id}.`) : ''}</text>`,
    ...legend,
    ...windows,
    ...grid,
    today,
    `<g role="list">${body.join('')}</g>`,
    '</svg>',
  ].join('\n');
}
