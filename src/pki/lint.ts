import type { ParsedCertificate } from './certificate.js';
import { sh } from './shell-word.js';
import { usernameProblem } from './username.js';
import { signingProblem, type ChainVerification } from './verify.js';

/** One problem found (zod's twin: schemas.ts). */
export interface Finding {
  rule: string;
  level: 'error' | 'warning';
  message: string;
}

export interface LintThresholds {
  /** Days left under which an expiry is an error. */
  failDays: number;
  /** Days left under which an expiry is a warning. */
  warnDays: number;
}
export const DEFAULT_THRESHOLDS: LintThresholds = { failDays: 30, warnDays: 90 };

export type CertRole = 'ca' | 'node' | 'client' | 'other';

const MIN_RSA_BITS = 2048;

/** Rules that look at one certificate alone. */
export function lintCertificate(cert: ParsedCertificate, role: CertRole, now = new Date(), thresholds = DEFAULT_THRESHOLDS): Finding[] {
  const findings: Finding[] = [];
  const { info } = cert;
  const label = `${info.subject} (${info.sha256_fingerprint.slice(0, 11)}…)`;
  if (cert.notAfter <= now) findings.push({ rule: 'expired', level: 'error', message: `${label} expired on ${info.not_after}` });
  else if (info.days_left < thresholds.failDays) findings.push({ rule: 'expiring', level: 'error', message: `${label} expires in ${info.days_left} days (${info.not_after})` });
  else if (info.days_left < thresholds.warnDays) findings.push({ rule: 'expiring', level: 'warning', message: `${label} expires in ${info.days_left} days (${info.not_after})` });
  if (cert.notBefore > now) findings.push({ rule: 'not_yet_valid', level: 'error', message: `${label} is not valid before ${info.not_before}` });
  if (info.public_key.type === 'rsa' && (info.public_key.bits ?? 0) < MIN_RSA_BITS) {
    findings.push({ rule: 'weak_rsa_key', level: 'error', message: `${label} has a ${info.public_key.bits}-bit RSA key; use at least ${MIN_RSA_BITS}` });
  }
  if (/sha1|SHA1/.test(info.signature_algorithm)) findings.push({ rule: 'sha1_signature', level: 'error', message: `${label} is signed with ${info.signature_algorithm}, which clients reject; reissue it` });
  const notCa = role === 'ca' ? signingProblem(cert) : null;
  if (notCa) findings.push({ rule: 'ca_not_ca', level: 'error', message: `${label} is in a CA file but cannot sign certificates: ${notCa}; nothing it signed will verify` });
  if (role === 'node') {
    const missing = ['serverAuth', 'clientAuth'].filter((eku) => !info.ext_key_usage.includes(eku));
    if (info.ext_key_usage.length > 0 && missing.length > 0) {
      findings.push({ rule: 'node_missing_eku', level: 'error', message: `${label} lacks ${missing.join(' and ')}; a node certificate needs both (it serves SQL and dials other nodes)` });
    }
    if (info.sans.dns.length + info.sans.ip.length === 0) {
      findings.push({ rule: 'node_without_sans', level: 'error', message: `${label} has no DNS or IP SANs; clients that verify the host name (verify-full, Go, Java) reject it` });
    }
  }
  if (role === 'client') {
    const problem = usernameProblem(info.common_name);
    if (problem) findings.push({ rule: 'client_cn_invalid', level: 'error', message: `${label}: CN ${JSON.stringify(info.common_name)} is not a valid SQL user name (${problem})` });
    if (info.ext_key_usage.length > 0 && !info.ext_key_usage.includes('clientAuth')) {
      findings.push({ rule: 'client_missing_eku', level: 'error', message: `${label} lacks clientAuth; the server rejects it as a client certificate` });
    }
  }
  return findings;
}

/**
 * CockroachDB's profile beyond the RFC verdict: nodes dial each other, so a node certificate that
 * verifies for serverAuth must verify for clientAuth too (reference §1.2, §3.1), through every CA
 * of its chain (an intermediate's EKU restricts what it vouches for).
 */
export function lintNodeChainAsClient(asClient: ChainVerification): Finding[] {
  if (asClient.verified) return [];
  return [{ rule: 'node_chain_not_client_auth', level: 'error', message: `the node certificate verifies as a server but not as a client, which CockroachDB needs when nodes connect to each other: ${asClient.error}` }];
}

/** Leaf against the CA that signed it: it must not outlive that CA. */
export function lintAgainstIssuer(leaf: ParsedCertificate, issuer: ParsedCertificate): Finding[] {
  if (leaf.notAfter <= issuer.notAfter) return [];
  return [{ rule: 'outlives_ca', level: 'warning', message: `${leaf.info.subject} expires ${leaf.info.not_after}, after its CA (${issuer.info.not_after}); it stops verifying when the CA expires` }];
}

/** Go's os.FileMode rendering, as CockroachDB prints it: 0644 → -rw-r--r-- */
export function formatFileMode(mode: number): string {
  const chars = 'rwxrwxrwx';
  return '-' + [...chars].map((c, i) => (mode & (1 << (8 - i)) ? c : '-')).join('');
}

/**
 * CockroachDB refuses key files looser than 0700, or 0740 when owned by root and by the
 * process's group (pkg/security/permission_check.go, reference §1.5).
 */
export function lintKeyPermissions(fileName: string, mode: number, uid: number, gid: number, filePath = fileName): Finding[] {
  // Most keys are within 0700: they pass without asking the process's group (a call per key).
  if ((mode & 0o777 & ~0o700) === 0) return [];
  const limit = uid === 0 && gid === process.getgid?.() ? 0o740 : 0o700;
  if ((mode & 0o777 & ~limit) === 0) return [];
  return [{ rule: 'key_permissions', level: 'error', message: `key file ${fileName} has permissions ${formatFileMode(mode)}, exceeds ${formatFileMode(limit)}; fix: chmod 600 ${sh(filePath)}` }];
}

/**
 * A certs dir that others may write into: whoever can write there can put their own CA or a
 * client.root.crt beside ours, or swap node.key, whatever the files' own modes say. CockroachDB
 * does not check the directory; `cockroach cert create-*` makes it 0700.
 */
export function lintCertsDirPermissions(dir: string, mode: number): Finding[] {
  const writable = [mode & 0o020 ? 'group' : '', mode & 0o002 ? 'others' : ''].filter(Boolean);
  if (writable.length === 0) return [];
  return [{ rule: 'certs_dir_writable', level: 'warning', message: `certs dir ${dir} is writable by ${writable.join(' and ')} (${formatFileMode(mode).replace(/^-/, 'd')}): anyone who can write there can add or replace certificates and keys; fix: chmod go-w ${sh(dir)}` }];
}

/** Staging copies an interrupted write left (src/pki/staging.ts): one of them may hold a private key. */
export function lintStagingLeftovers(leftovers: Array<{ name: string; for_file: string; kind: string; age_seconds: number; writer_gone: boolean }>): Finding[] {
  return leftovers.map((leftover) => ({
    rule: 'staging_leftover',
    level: 'warning' as const,
    message: `${leftover.name} is a ${leftover.kind === 'backup link' ? 'backup link' : 'staged copy'} of ${leftover.for_file} left by an ${leftover.writer_gone ? 'interrupted write (its process is gone' : 'unfinished write (its process may still be running'}, ${leftover.age_seconds} s old)${/\.(key|p12|pk8|pem)$/.test(leftover.for_file) ? ', and it may hold a private key' : ''}; the next crdb-tls write into this dir removes it${leftover.writer_gone ? '' : ' once it is a minute old'}, first undoing the files a write stopped half-way had placed (do not delete it by hand: a backup link may be the only copy of the file it replaced)`,
  }));
}
