import type { Inventory, InventoryItem } from './items.js';
import type { PlanView } from './steps.js';
import { timelineModel, type TimelineModel, type TimelineRow, type TimelineSourceGroup } from './timeline.js';
import { renderTimelineSvg } from './timeline-svg.js';

/**
 * The expiry timeline to explore in a browser (the MCP App page): the same SVG as the CLI's
 * --chart and the Slack upload, with one checkbox per source to filter by, and the full details
 * of the certificate under the pointer or the keyboard focus. Runs in the page, not in Node: it
 * only builds DOM. Certificate text reaches the page as SVG text escaped by the renderer or as
 * textContent, never as markup of its own.
 */

const STATUS_WORD: Record<InventoryItem['status'], string> = { ok: 'ok', warn: 'warn', fail: 'fail', expired: 'expired', error: 'unreadable' };

export interface TimelineExplorer {
  /** Shows only the sources whose labels are given (all when omitted). */
  showSources(labels?: string[]): void;
}

function countsOf(groups: TimelineSourceGroup[]): TimelineModel['counts'] {
  const counts = { ok: 0, warn: 0, fail: 0, expired: 0, error: 0 };
  for (const group of groups) for (const issuer of group.issuers) for (const row of issuer.rows) counts[row.status]++;
  return counts;
}

const rowsOf = (groups: TimelineSourceGroup[]): TimelineRow[] => groups.flatMap((g) => g.issuers.flatMap((i) => i.rows));

function detailLines(row: TimelineRow, group: TimelineSourceGroup): Array<[string, string]> {
  const item = row.item;
  const left = item.days_left === null ? null : item.days_left < 0 ? `expired ${-item.days_left} days ago` : `${item.days_left} days left`;
  const lines: Array<[string, string | null]> = [
    ['Status', `${STATUS_WORD[item.status]}${left ? `, ${left}` : ''}`],
    ['Expires', item.not_after],
    ['Subject', item.subject],
    ['Issuer', item.issuer],
    ['Usage', item.usage],
    ['Serial', item.serial],
    ['SHA-256', item.sha256_fingerprint],
    ['File', item.path === null ? null : `${item.path}${item.position !== null && item.position > 0 ? ` (certificate ${item.position + 1} in the file)` : ''}`],
    ['Source', group.label],
    ['Unreadable', item.error],
    ['Plan', row.steps.length ? row.steps.map((s) => `step ${s.number} ${s.effect === 'removes' ? 'removes it' : 'replaces it'}: ${s.title}`).join('; ') : null],
  ];
  return lines.filter((line): line is [string, string] => line[1] !== null && line[1] !== '');
}

export function mountTimelineExplorer(root: HTMLElement, inventory: Inventory, plan?: PlanView): TimelineExplorer {
  const doc = root.ownerDocument;
  const model = timelineModel(inventory, plan);
  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string) => {
    const node = doc.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  };

  const filters = el('fieldset', { class: 'sources' });
  filters.append(el('legend', {}, 'Sources'));
  const chart = el('div', { class: 'chart' });
  const details = el('section', { class: 'details', 'aria-live': 'polite', 'aria-label': 'Certificate details' });
  const hint = 'Point at a certificate, or move to it with Tab, for its details.';
  details.append(el('p', { class: 'hint' }, hint));
  root.replaceChildren(filters, chart, details);

  const boxes = model.groups.map((group) => {
    const total = rowsOf([group]).length;
    const label = el('label');
    const box = el('input', { type: 'checkbox', value: group.label });
    box.checked = true;
    label.append(box, doc.createTextNode(` ${group.label} (${total})`));
    filters.append(label);
    box.addEventListener('change', () => draw());
    return box;
  });

  const show = (row: TimelineRow, group: TimelineSourceGroup, mark: Element) => {
    for (const other of chart.querySelectorAll('g.cert.selected')) other.classList.remove('selected');
    mark.classList.add('selected');
    const list = el('dl');
    for (const [term, value] of detailLines(row, group)) list.append(el('dt', {}, term), el('dd', {}, value));
    details.replaceChildren(el('h2', {}, row.label), list);
  };

  function draw() {
    const groups = model.groups.filter((_, i) => boxes[i]!.checked);
    if (groups.length === 0) {
      chart.replaceChildren(el('p', { class: 'empty' }, 'No source selected: tick one above to see its certificates.'));
      details.replaceChildren(el('p', { class: 'hint' }, hint));
      return;
    }
    const shown: TimelineModel = { ...model, groups, counts: countsOf(groups) };
    // The renderer's own output: every certificate-supplied string in it is escaped (xmlText).
    chart.innerHTML = renderTimelineSvg(shown);
    const owners = groups.flatMap((group) => rowsOf([group]).map((row) => ({ row, group })));
    chart.querySelectorAll('g.cert').forEach((mark, i) => {
      const owner = owners[i];
      if (!owner) return;
      // The whole line answers the pointer, not only its painted bits (the windows lie under the gaps).
      const box = (mark as SVGGraphicsElement).getBBox();
      const band = doc.createElementNS('http://www.w3.org/2000/svg', 'rect');
      for (const [name, value] of Object.entries({ class: 'hit', x: '0', y: String(box.y - 1), width: '100%', height: String(box.height + 2), fill: 'transparent' })) band.setAttribute(name, value);
      mark.prepend(band);
      mark.setAttribute('tabindex', '0');
      mark.setAttribute('data-row', String(i));
      const open = () => show(owner.row, owner.group, mark);
      mark.addEventListener('mouseenter', open);
      mark.addEventListener('focus', open);
      mark.addEventListener('click', open);
    });
    details.replaceChildren(el('p', { class: 'hint' }, hint));
  }

  draw();
  return {
    showSources(labels) {
      boxes.forEach((box) => (box.checked = labels === undefined || labels.includes(box.value)));
      draw();
    },
  };
}
