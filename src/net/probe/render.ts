import type { ProbeReport } from './report.js';

/** The report's one-line summary. */
export function summarize(report: ProbeReport): string {
  const target = `${report.target.host}:${report.target.port}`;
  if (report.ok) {
    const cert = report.client_certificate;
    return `${target}: ${report.tls?.protocol} ${report.tls?.cipher}, chain verified, host name matches${cert.accepted ? `, client certificate accepted (logged in as ${cert.login_user})` : ''}`;
  }
  const first = report.findings.find((f) => f.severity === 'error');
  return `${target}: ${first ? `${first.code}: ${first.message}` : 'TLS could not be checked'}`;
}

/** The probe as a person reads it (CLI, Slack). */
export function renderProbe(report: ProbeReport): string {
  const lines: string[] = [];
  lines.push(`${report.ok ? 'OK' : 'FAULT'}  ${report.summary}`);
  const p = report.pgwire;
  lines.push(`pgwire SSLRequest: ${p.answer === 'S' ? 'S (TLS offered)' : p.answer === 'N' ? 'N (no TLS)' : p.answer}${p.detail ? ` — ${p.detail}` : ''}`);
  if (report.tls) lines.push(`TLS: ${report.tls.protocol}, ${report.tls.cipher}${report.target.servername ? `, SNI ${report.target.servername}` : ', no SNI (IP address)'}`);
  if (report.chain.length) {
    lines.push(`chain (${report.chain_source === 'tls' ? 'as presented' : 'from the handshake records'}):`);
    for (const c of report.chain) {
      const sans = [...c.sans.dns.map((d) => `DNS:${d}`), ...c.sans.ip.map((i) => `IP:${i}`)].join(', ');
      lines.push(`  ${c.position}: ${c.subject}`);
      lines.push(`     issuer ${c.issuer}; valid ${c.not_before} → ${c.not_after} (${c.days_left} days left)${sans ? `; SANs ${sans}` : ''}`);
      lines.push(`     SHA-256 ${c.sha256_fingerprint}`);
    }
  }
  if (report.verification) {
    const v = report.verification;
    const against = v.trust === 'ca_file' ? `CA ${v.ca_source}` : "Node's bundled public CAs";
    lines.push(`verification against ${against}: ${v.verified === null ? 'not checked' : v.verified ? 'OK' : `FAILED (${v.error})`}`);
  }
  if (report.hostname) lines.push(`host name ${report.hostname.name}: ${report.hostname.matches ? 'matches' : `does NOT match (${report.hostname.error})`}`);
  const cc = report.client_certificate;
  if (cc.server_answer !== 'not_tried' || cc.sent) {
    const verdict = cc.accepted === true ? 'accepted' : cc.accepted === false ? 'REFUSED' : cc.sent ? 'not decided' : 'none sent';
    lines.push(`client certificate: ${verdict}${cc.subject ? ` (${cc.subject})` : ''}${cc.login_user ? `; login as ${cc.login_user}: ${cc.server_answer}` : ''}${cc.detail ? ` — ${cc.detail.split('\n')[0]}` : ''}`);
  }
  if (report.client_ca_names) {
    const n = report.client_ca_names;
    const source = n.source === 'handshake_records' ? 'from the TLS 1.2 handshake records' : n.source === 'openssl' ? 'from openssl s_client' : 'not read';
    lines.push(`client-CA names the server accepts (${source}${n.protocol ? `, ${n.protocol}` : ''}): ${n.names.length ? n.names.join('; ') : n.requested_client_certificate === false ? 'the server did not ask for a client certificate' : '—'}${n.note ? ` (${n.note})` : ''}`);
  }
  const shown = report.findings.filter((f) => f.code !== 'unknown' || f.severity !== 'info');
  if (shown.length) {
    lines.push('', 'findings:');
    for (const f of shown) lines.push(`  [${f.severity}] ${f.code}: ${f.message}`);
  }
  const first = report.findings.find((f) => f.severity === 'error' && f.fix_steps.length);
  if (first) {
    lines.push('', `how to fix ${first.code}:`);
    for (const s of first.fix_steps) {
      lines.push(`  ${s.step}. ${s.action}`);
      if (s.command) lines.push(`     $ ${s.command}`);
    }
  }
  lines.push('', `time: ${report.timings_ms.total} ms (timeout ${report.timeout_ms} ms)`);
  return lines.join('\n');
}
