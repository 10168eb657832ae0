import path from 'node:path';
import type { ParsedCertificate } from '../pki/certificate.js';
import { CA_CERT, CLIENT_CA_CERT, type CertFileKind } from '../pki/certnames.js';
import { findDerivedFiles, type DerivedKind } from '../pki/derived.js';
import { findIssuer } from '../pki/verify.js';
import type { InventoryEntry } from './items.js';

/**
 * The local picture a plan is made from: which files are CA bundles (ca.crt, ca-client.crt, extra
 * trust files), which are node and client certificates with their keys, and who signed whom.
 */

export interface CertFile {
  path: string;
  dir: string;
  name: string;
  kind: CertFileKind | undefined;
  sha256: string;
  certs: ParsedCertificate[];
  unreadable: number;
}

export interface LeafFile {
  file: CertFile;
  cert: ParsedCertificate;
  role: 'node' | 'client';
  keyPath: string;
  user?: string;
  /** client.USER.key.pk8 (PKCS#8 DER), rewritten with the key when it exists. */
  pkcs8: string | null;
  /** client.USER.key.pem (PKCS#8 PEM, pgJDBC >= 42.7.9), rewritten with the key when it exists. */
  pkcs8Pem: string | null;
  /** client.USER.p12: needs its password, so a person makes it again (a manual step). */
  pkcs12: string | null;
  /** Named with node_files (e.g. a PostgreSQL data dir's server.crt), not found in a certs dir. */
  explicit: boolean;
}

/**
 * The files that serve one node identity: the same certificate (and so the same key) in several
 * places, e.g. certs/node.crt and a PostgreSQL data dir's server.crt copied from it. A rotation
 * makes ONE new key and certificate for it and writes it to every place; two keys would leave the
 * copies disagreeing, and the reload check would expect a file the server does not read.
 */
export interface NodeIdentity {
  /** The file a certs dir holds (what `cockroach cert create-node` writes), else the first named. */
  primary: LeafFile;
  /** Every other file holding the same certificate. */
  copies: LeafFile[];
}

export function nodeIdentities(leaves: LeafFile[]): NodeIdentity[] {
  const groups = new Map<string, LeafFile[]>();
  for (const leaf of leaves) {
    const fp = leaf.cert.info.sha256_fingerprint;
    groups.set(fp, [...(groups.get(fp) ?? []), leaf]);
  }
  return [...groups.values()].map((group) => {
    const primary = group.find((l) => !l.explicit) ?? group[0]!;
    return { primary, copies: group.filter((l) => l !== primary) };
  });
}

export interface LocalModel {
  files: Map<string, CertFile>;
  caBundles: CertFile[];
  clientCaBundles: CertFile[];
  trustFiles: CertFile[];
  nodeLeaves: LeafFile[];
  clientLeaves: LeafFile[];
  allCas: ParsedCertificate[];
  issuerOf(cert: ParsedCertificate): ParsedCertificate | undefined;
}


export async function buildModel(entries: InventoryEntry[], certsDirs: string[], nodeFiles: Array<{ cert: string; key: string }>, trustFiles: string[]): Promise<LocalModel> {
  const files = new Map<string, CertFile>();
  for (const entry of entries) {
    if (!entry.file) continue;
    let file = files.get(entry.file.path);
    if (!file) {
      file = { path: entry.file.path, dir: entry.file.dir, name: entry.file.name, kind: entry.file.kind, sha256: entry.file.sha256, certs: [], unreadable: 0 };
      files.set(file.path, file);
    }
    if (entry.cert) file.certs.push(entry.cert);
    else file.unreadable++;
  }
  const inDirs = (name: string) => certsDirs.map((dir) => files.get(path.join(dir, name))).filter((f): f is CertFile => f !== undefined && f.certs.length > 0);
  const caBundles = inDirs(CA_CERT);
  const clientCaBundles = inDirs(CLIENT_CA_CERT);
  const trust = trustFiles.map((file) => files.get(file)).filter((f): f is CertFile => f !== undefined && f.certs.length > 0);
  const allCas = [...caBundles, ...clientCaBundles, ...trust].flatMap((f) => f.certs).filter((c) => c.info.is_ca);

  const nodeLeaves: LeafFile[] = [];
  const clientLeaves: LeafFile[] = [];
  const explicit = new Map(nodeFiles.map((n) => [n.cert, n.key]));
  for (const file of files.values()) {
    const cert = file.certs[0];
    if (!cert) continue;
    if (explicit.has(file.path)) {
      nodeLeaves.push({ file, cert, role: 'node', keyPath: explicit.get(file.path)!, pkcs8: null, pkcs8Pem: null, pkcs12: null, explicit: true });
      continue;
    }
    if (!certsDirs.includes(file.dir) || !file.kind?.keyFile) continue;
    const keyPath = path.join(file.dir, file.kind.keyFile);
    if (file.kind.usage === 'Node') nodeLeaves.push({ file, cert, role: 'node', keyPath, pkcs8: null, pkcs8Pem: null, pkcs12: null, explicit: false });
    if (file.kind.usage === 'Client' && file.kind.user) {
      const user = file.kind.user;
      const derived = await findDerivedFiles(file.dir, user);
      const of = (kind: DerivedKind) => derived.find((d) => d.kind === kind)?.path ?? null;
      clientLeaves.push({ file, cert, role: 'client', keyPath, user, pkcs8: of('pkcs8-der'), pkcs8Pem: of('pkcs8-pem'), pkcs12: of('pkcs12'), explicit: false });
    }
  }
  return {
    files,
    caBundles,
    clientCaBundles,
    trustFiles: trust,
    nodeLeaves,
    clientLeaves,
    allCas,
    issuerOf: (cert) => findIssuer(cert, allCas),
  };
}
