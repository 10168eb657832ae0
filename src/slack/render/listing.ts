/**
 * A certs dir listing as a table (a monospace block: Slack's mrkdwn has no tables) with days
 * left, then what lint found per file, worst first.
 */
import type { CertListing } from '../../pki/list.js';
import { textTable } from '../../pki/listing-text.js';
import { codeBlock, escapeMrkdwn } from '../text.js';
import { context, fallbackText, header, sections, type Block, type SlackMessage } from './blocks.js';

const base = (file: string) => file.split('/').pop() ?? file;

function daysCell(days: number | null): string {
  if (days === null) return '';
  if (days < 0) return `EXPIRED ${-days}d ago`;
  return `${days}`;
}

export function renderListing(listing: CertListing, plainText: string): SlackMessage {
  const rows = listing.rows.map((r) => [r.usage, base(r.certificate_file), r.expires, daysCell(r.days_left), r.error ? `error: ${r.error}` : r.notes]);
  const blocks: Block[] = [
    header(`📜 Certificates in ${listing.certs_dir}`),
    context(
      `${listing.rows.length} file${listing.rows.length === 1 ? '' : 's'}`,
      `${listing.errors} error${listing.errors === 1 ? '' : 's'}, ${listing.warnings} warning${listing.warnings === 1 ? '' : 's'}`,
      ...(listing.earliest_expiry ? [`earliest expiry: \`${escapeMrkdwn(base(listing.earliest_expiry.certificate_file))}\` in *${listing.earliest_expiry.days_left}* days`] : []),
    ),
    ...sections(listing.rows.length ? codeBlock(textTable(['Usage', 'File', 'Expires', 'Days left', 'Notes'], rows)) : '_No certificates found._'),
  ];
  const findings = [...listing.dir_findings.map((f) => ({ file: base(listing.certs_dir), ...f })), ...listing.rows
    .flatMap((r) => r.findings.map((f) => ({ file: base(r.certificate_file), ...f })))]
    .sort((a, b) => (a.level === b.level ? 0 : a.level === 'error' ? -1 : 1));
  if (findings.length) {
    blocks.push(...sections(`*Findings*\n${findings.map((f) => `${f.level === 'error' ? '🔴' : '🟠'} \`${escapeMrkdwn(f.file)}\`: ${escapeMrkdwn(f.message)}`).join('\n')}`));
  }
  if (listing.fail_within_days !== null) {
    blocks.push(context(listing.expiring_within_threshold.length
      ? `⏰ ${listing.expiring_within_threshold.length} file(s) expire within ${listing.fail_within_days} days`
      : `✅ nothing expires within ${listing.fail_within_days} days`));
  }
  return {
    text: fallbackText(`${listing.rows.length} certificates in ${listing.certs_dir}: ${listing.errors} errors, ${listing.warnings} warnings`),
    blocks,
    plain: { title: `Certificates in ${listing.certs_dir}`, filename: 'cert-list.txt', content: plainText },
  };
}
