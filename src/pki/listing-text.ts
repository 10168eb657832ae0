import type { CertificateInfo } from './certificate.js';
import type { Inspection } from './inspect.js';
import type { CertListing } from './list.js';

/** A plain text table, columns padded to their widest cell. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The `cockroach cert list` table plus days left, then what lint found. */
export function renderListingTable(listing: CertListing): string {
  const table = textTable(
    ['Usage', 'Certificate File', 'Key File', 'Expires', 'Days Left', 'Notes', 'Error'],
    listing.rows.map((r) => [r.usage, r.certificate_file, r.key_file, r.expires, r.days_left === null ? '' : String(r.days_left), r.notes, r.error]),
  );
  const findings = [
    ...listing.dir_findings.map((f) => `  ${f.level === 'error' ? 'ERROR' : 'warn '} ${f.message}`),
    ...listing.rows.flatMap((r) => r.findings.map((f) => `  ${f.level === 'error' ? 'ERROR' : 'warn '} ${r.certificate_file}: ${f.message}`)),
  ];
  const threshold = listing.fail_within_days === null ? [] : listing.expiring_within_threshold.length
    ? [`${listing.expiring_within_threshold.length} file(s) expire within ${listing.fail_within_days} days: ${listing.expiring_within_threshold.join(', ')}`]
    : [`Nothing expires within ${listing.fail_within_days} days.`];
  return [
    `Certificate directory: ${listing.certs_dir}`,
    listing.rows.length ? table : '(no certificates found)',
    ...(findings.length ? ['', `Findings (${listing.errors} errors, ${listing.warnings} warnings):`, ...findings] : []),
    ...threshold,
  ].join('\n');
}

function describeCertificate(c: CertificateInfo, index: number): string[] {
  const sans = [...c.sans.dns.map((d) => `DNS:${d}`), ...c.sans.ip.map((i) => `IP:${i}`), ...c.sans.uri.map((u) => `URI:${u}`), ...c.sans.email.map((e) => `email:${e}`)];
  const key = c.public_key.bits ? `${c.public_key.type.toUpperCase()} ${c.public_key.bits} bits` : `${c.public_key.type}${c.public_key.curve ? ` ${c.public_key.curve}` : ''}`;
  return [
    `Certificate #${index + 1}`,
    `  Subject:     ${c.subject}`,
    `  Issuer:      ${c.issuer}${c.self_signed ? ' (self-signed)' : ''}`,
    `  Serial:      ${c.serial}`,
    `  Valid:       ${c.not_before} → ${c.not_after} (${c.days_left} days left)`,
    `  Key:         ${key}; signature ${c.signature_algorithm}`,
    `  CA:          ${c.is_ca ? `yes${c.path_len !== null ? `, path length ${c.path_len}` : ''}` : 'no'}`,
    `  Key usage:   ${c.key_usage.join(', ') || '(none)'}`,
    `  Ext usage:   ${c.ext_key_usage.join(', ') || '(none)'}`,
    `  SANs:        ${sans.join(', ') || '(none)'}`,
    `  SHA-256:     ${c.sha256_fingerprint}`,
  ];
}

export function renderInspection(inspection: Inspection): string {
  const chain = inspection.chain
    ? [inspection.chain.verified ? `Chain: verified against ${inspection.chain.ca_source} (${inspection.chain.path.join(' → ')})` : `Chain: NOT verified against ${inspection.chain.ca_source}: ${inspection.chain.error}`]
    : [];
  const findings = inspection.findings.map((f) => `  ${f.level === 'error' ? 'ERROR' : 'warn '} ${f.message}`);
  return [
    `${inspection.source}: ${inspection.certificates.length} certificate(s)`,
    ...inspection.certificates.flatMap(describeCertificate),
    ...chain,
    ...(findings.length ? ['Findings:', ...findings] : []),
  ].join('\n');
}
