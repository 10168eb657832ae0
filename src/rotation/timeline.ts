import type { Inventory, InventoryItem } from './items.js';
import type { PlanView } from './steps.js';

/**
 * What the expiry timeline shows, before any drawing: the certificates of an inventory grouped by
 * where they were found and then by the CA that issued them, soonest first, each with the plan
 * steps that replace or remove it. The renderer (src/render/timeline-svg.ts) only places this.
 */

interface TimelineStepMark {
  number: number;
  /** replaces: the step writes this certificate's file anew; removes: the step drops this CA from a bundle. */
  effect: 'replaces' | 'removes';
  title: string;
}

export interface TimelineRow {
  label: string;
  /** One line for a person: subject, file, serial — shown on hover and read by screen readers. */
  detail: string;
  status: InventoryItem['status'];
  not_after: string | null;
  days_left: number | null;
  error: string | null;
  steps: TimelineStepMark[];
  /** The inventory item drawn in this row (what an interactive view shows in full). */
  item: InventoryItem;
}

interface TimelineIssuerGroup {
  issuer: string;
  rows: TimelineRow[];
}

export interface TimelineSourceGroup {
  source: InventoryItem['source'];
  location: string;
  label: string;
  issuers: TimelineIssuerGroup[];
}

export interface TimelineModel {
  title: string;
  now: string;
  thresholds: Inventory['thresholds'];
  counts: Inventory['counts'];
  groups: TimelineSourceGroup[];
  /** Set when a plan overlay is drawn. */
  plan: { id: string; steps: number } | null;
}

const SOURCE_WORD: Record<InventoryItem['source'], string> = {
  certs_dir: 'certs dir',
  file: 'file',
  node: 'served by node',
  sql: 'cluster metrics over SQL',
  cloud_client_ca: 'Cloud Client CA of cluster',
};

/** "client.alice.crt (client certificate for alice)": the file, then what it is, said once. */
const rowLabel = (item: InventoryItem) => {
  const file = item.path?.split('/').pop();
  const what = item.usage && !item.what.toLowerCase().includes(item.usage.toLowerCase()) ? `${item.what} (${item.usage})` : item.what;
  return !file || what.startsWith(file) ? what : `${file} (${what})`;
};

const rowDetail = (item: InventoryItem) =>
  [item.subject && `subject ${item.subject}`, item.issuer && `issuer ${item.issuer}`, item.serial && `serial ${item.serial}`, item.path ?? item.location, item.not_after && `expires ${item.not_after}`, item.error && `unreadable: ${item.error}`]
    .filter(Boolean)
    .join(' · ');

/** Which plan steps touch an item: the file a step writes, or a CA (by fingerprint) a step removes. */
function stepsFor(item: InventoryItem, plan: PlanView | undefined): TimelineStepMark[] {
  if (!plan) return [];
  const marks: TimelineStepMark[] = [];
  for (const step of plan.steps) {
    if (item.path && step.kind !== 'remove_ca' && step.files.some((f) => f.path === item.path)) marks.push({ number: step.number, effect: 'replaces', title: step.title });
    if (step.action?.kind === 'remove_ca' && item.sha256_fingerprint && step.action.remove.some((ca) => ca.sha256_fingerprint === item.sha256_fingerprint)) {
      marks.push({ number: step.number, effect: 'removes', title: step.title });
    }
  }
  return marks;
}

const bySoonest = (a: InventoryItem, b: InventoryItem) => (a.seconds_left ?? -Infinity) - (b.seconds_left ?? -Infinity);

export function timelineModel(inventory: Inventory, plan?: PlanView, title = 'Certificate expiry timeline'): TimelineModel {
  const sources = new Map<string, TimelineSourceGroup>();
  const issuers = new Map<string, TimelineIssuerGroup>();
  for (const item of [...inventory.items].sort(bySoonest)) {
    const sourceKey = `${item.source}\0${item.location}`;
    let group = sources.get(sourceKey);
    if (!group) {
      group = { source: item.source, location: item.location, label: `${SOURCE_WORD[item.source]} ${item.location}`, issuers: [] };
      sources.set(sourceKey, group);
    }
    const issuer = item.status === 'error' ? 'unreadable' : item.issuer === null ? 'issuer unknown' : item.issuer === item.subject ? `self-signed (${item.issuer})` : item.issuer;
    const issuerKey = `${sourceKey}\0${issuer}`;
    let issuerGroup = issuers.get(issuerKey);
    if (!issuerGroup) {
      issuerGroup = { issuer, rows: [] };
      issuers.set(issuerKey, issuerGroup);
      group.issuers.push(issuerGroup);
    }
    issuerGroup.rows.push({ label: rowLabel(item), detail: rowDetail(item), status: item.status, not_after: item.not_after, days_left: item.days_left, error: item.error, steps: stepsFor(item, plan), item });
  }
  return {
    title,
    now: inventory.generated_at,
    thresholds: inventory.thresholds,
    counts: inventory.counts,
    groups: [...sources.values()],
    plan: plan ? { id: plan.id, steps: plan.steps.length } : null,
  };
}
