import path from 'node:path';
import type { ParsedCertificate } from '../../pki/certificate.js';
import type { ProbeReport } from '../../net/probe.js';
import { DAY_SECONDS, hostLabel, type HostTarget, type InventoryResult, type Thresholds } from '../inventory.js';
import type { LeafFile, LocalModel } from '../model.js';
import type { ServerKind } from '../server-kind.js';
import { sh, StepList, type Scope } from '../steps.js';

export type ServedCert = ProbeReport['chain'][number];

/** What the planner was asked, with paths already resolved. */
export interface PlanRequest {
  id: string;
  createdBy: string;
  now: Date;
  scope: Scope;
  withinDays: number;
  thresholds: Thresholds;
  certsDirs: string[];
  nodeFiles: Array<{ cert: string; key: string }>;
  trustFiles: string[];
  hosts: HostTarget[];
  /** The CA file the probes (and the reload checks) verify nodes against. */
  probeCa: string | null;
  /** Pid file of the node process on this machine; it serves hosts[0]. */
  pidfile: string | null;
  sqlRedacted: string[];
  cloudCluster: string | null;
  caKey: string | null;
  clientCaKey: string | null;
  newCaKey: string | null;
  newClientCaKey: string | null;
  leafLifetimeHours: number;
  caLifetimeHours: number;
  inventory: InventoryResult;
}

/** Everything a template reads and the list it appends to. */
export interface PlanEnv {
  req: PlanRequest;
  model: LocalModel;
  list: StepList;
  notes: string[];
  /** Leaf files some step already reissues (by path). */
  covered: Set<string>;
  /** The server behind the pid file (hosts[0]): the reload texts fit it. */
  server: ServerKind;
  /** What each host serves (by host:port), and the local node file it is (same fingerprint), if any. */
  served: Map<string, { cert: ServedCert | undefined; leaf: LeafFile | undefined }>;
}

export const apply = (req: PlanRequest, n: number) => `crdb-tls rotate apply ${req.id} --step ${n}`;
export const markDone = (req: PlanRequest, n: number) => `crdb-tls rotate apply ${req.id} --step ${n} --mark-done`;
export const rollback = (req: PlanRequest, n: number) => `crdb-tls rotate rollback ${req.id} --step ${n}`;

const shortFingerprint = (fp: string) => `${fp.slice(0, 23)}…`;
export function describeCert(cert: ParsedCertificate | ServedCert): string {
  const info = 'info' in cert ? cert.info : cert;
  return `${info.subject || '(empty subject)'} [SHA-256 ${shortFingerprint(info.sha256_fingerprint)}, expires ${info.not_after.slice(0, 10)}]`;
}

export const isDueCert = (cert: { notAfter: Date } | { not_after: string }, req: PlanRequest) => {
  const notAfter = 'notAfter' in cert ? cert.notAfter.getTime() : Date.parse(cert.not_after);
  return notAfter - req.now.getTime() < req.withinDays * DAY_SECONDS * 1000;
};

/** Hours a leaf may live: the default, cut so that it never outlives the CA that signs it (reference §1.1). */
export function leafLifetime(req: PlanRequest, signer: ParsedCertificate | undefined): { hours: number; capped: boolean } {
  if (!signer) return { hours: req.leafLifetimeHours, capped: false };
  const caHoursLeft = Math.floor((signer.notAfter.getTime() - req.now.getTime()) / 3_600_000) - 24;
  if (caHoursLeft >= req.leafLifetimeHours) return { hours: req.leafLifetimeHours, capped: false };
  return { hours: Math.max(1, caHoursLeft), capped: true };
}

export const keySizeOf = (cert: ParsedCertificate) => (cert.info.public_key.type === 'rsa' && cert.info.public_key.bits && cert.info.public_key.bits >= 2048 ? Math.min(cert.info.public_key.bits, 8192) : 2048);

export const hostsOf = (cert: ParsedCertificate) => [...cert.info.sans.dns, ...cert.info.sans.ip];

/** A new CA key beside the current one, named by date, never an existing file. */
export function newKeyPath(current: string | null, explicit: string | null, stem: string, now: Date, taken: Set<string>): string | null {
  if (explicit) return explicit;
  if (!current) return null;
  const date = now.toISOString().slice(0, 10).replaceAll('-', '');
  let candidate = path.join(path.dirname(current), `${stem}.${date}.key`);
  for (let n = 2; taken.has(candidate); n++) candidate = path.join(path.dirname(current), `${stem}.${date}-${n}.key`);
  return candidate;
}

export const label = hostLabel;

/** The certs dir flag as cockroach takes it. */
export const certsDirFlag = (dir: string) => `--certs-dir=${sh(dir)}`;

