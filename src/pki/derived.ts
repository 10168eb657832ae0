import fs from 'node:fs/promises';
import path from 'node:path';
import { readBoundedFile } from '../core/read-file.js';
import { parseCertificateDer, type ParsedCertificate } from './certificate.js';
import { clientCertName, clientKeyName, clientPkcs12Name, clientPkcs8KeyName, clientPkcs8PemKeyName } from './certnames.js';
import { keyMatches, readPrivateKey } from './keys.js';
import { readPkcs12Contents } from './pkcs12.js';
import { sh } from './shell-word.js';

/**
 * Files made FROM a client certificate and its key, for clients that cannot read the PEM pair
 * (reference §1.3, §6.4): client.USER.key.pk8 (PKCS#8 DER, `--also-generate-pkcs8-key`, classic
 * pgJDBC), client.USER.key.pem (PKCS#8 PEM, pgJDBC >= 42.7.9) and client.USER.p12 (DBeaver, Java
 * keystores, .NET). Each is a copy in another format: when the .crt/.key are replaced (a rotation)
 * and the copy is not, its users keep logging in with the old certificate until the CA that
 * signed it is removed, and are then locked out.
 */

export type DerivedKind = 'pkcs8-der' | 'pkcs8-pem' | 'pkcs12';

export interface DerivedFile {
  path: string;
  kind: DerivedKind;
}

const DERIVED_NAMES: Array<{ kind: DerivedKind; name: (user: string) => string }> = [
  { kind: 'pkcs8-der', name: clientPkcs8KeyName },
  { kind: 'pkcs8-pem', name: clientPkcs8PemKeyName },
  { kind: 'pkcs12', name: clientPkcs12Name },
];

const exists = (file: string) => fs.lstat(file).then(() => true, () => false);

/** The derived files of client.USER.crt among the names of its directory (a listing has them: no stat per file). */
export function derivedFilesAmong(names: ReadonlySet<string>, dir: string, user: string): DerivedFile[] {
  return DERIVED_NAMES.filter(({ name }) => names.has(name(user))).map(({ kind, name }) => ({ path: path.join(dir, name(user)), kind }));
}

/** The derived files of client.USER.crt that exist beside it. */
export async function findDerivedFiles(dir: string, user: string): Promise<DerivedFile[]> {
  const found: DerivedFile[] = [];
  for (const { kind, name } of DERIVED_NAMES) {
    const file = path.join(dir, name(user));
    if (await exists(file)) found.push({ path: file, kind });
  }
  return found;
}

export interface DerivedCheck {
  file: DerivedFile;
  /** true: it holds the certificate's key (and certificate); false: it does not; null: cannot tell without a password. */
  matches: boolean | null;
  /** What is wrong, for a person; null when it matches. */
  problem: string | null;
  /** The command that makes it again from the .crt/.key. */
  regenerate: string;
  /** Certificates a .p12 holds (readable without the password). */
  certificates: ParsedCertificate[];
}

/**
 * The commands that make each derived file from client.USER.crt/.key. The .p12: the chain openssl
 * builds from ca.crt (leaf and the CA that signed it, not every CA of the bundle), the key
 * 3DES-encrypted with a SHA-1 MAC like buildPkcs12 (pkcs12.ts), the certificates unencrypted so
 * that `crdb-tls cert list` can compare them; openssl asks for the export password.
 */
export function regenerateCommand(file: DerivedFile, certPath: string, keyPath: string, caPath: string, user: string): string {
  switch (file.kind) {
    case 'pkcs8-der':
      return `openssl pkcs8 -topk8 -inform PEM -outform DER -nocrypt -in ${sh(keyPath)} -out ${sh(file.path)}`;
    case 'pkcs8-pem':
      return `openssl pkcs8 -topk8 -inform PEM -outform PEM -nocrypt -in ${sh(keyPath)} -out ${sh(file.path)}`;
    case 'pkcs12':
      return `openssl pkcs12 -export -in ${sh(certPath)} -inkey ${sh(keyPath)} -chain -CAfile ${sh(caPath)} -name ${sh(user)} -keypbe PBE-SHA1-3DES -certpbe NONE -macalg sha1 -out ${sh(file.path)}`;
  }
}

/** Whether a derived file still goes with its certificate (and, for a .p12, with the CAs trusted now). */
export async function checkDerivedFile(file: DerivedFile, cert: ParsedCertificate, options: { certPath: string; keyPath: string; caPath: string; user: string; trustedCas?: ParsedCertificate[]; now?: Date; insideRoots?: ((realPath: string) => boolean) | undefined }): Promise<DerivedCheck> {
  const name = path.basename(file.path);
  const crtName = path.basename(options.certPath);
  const regenerate = regenerateCommand(file, options.certPath, options.keyPath, options.caPath, options.user);
  const result = (matches: boolean | null, problem: string | null, certificates: ParsedCertificate[] = []): DerivedCheck => ({ file, matches, problem, regenerate, certificates });
  let bytes: Buffer;
  try {
    bytes = await readBoundedFile(file.path, 'derived key file', { insideRoots: options.insideRoots });
  } catch (error) {
    return result(false, `${name} cannot be read: ${(error as Error).message}`);
  }
  if (file.kind !== 'pkcs12') {
    try {
      const key = readPrivateKey(bytes, name);
      if (keyMatches(key, cert.publicKey)) return result(true, null);
      return result(false, `${name} holds another key than ${crtName}: it was not made again when ${crtName} was replaced; clients reading it send a key that does not fit the certificate`);
    } catch (error) {
      return result(false, `${name} is not a readable private key (${(error as Error).message})`);
    }
  }
  let contents;
  try {
    contents = readPkcs12Contents(bytes, name);
  } catch (error) {
    return result(false, (error as Error).message);
  }
  const now = options.now ?? new Date();
  const certificates = contents.certificates.flatMap((der, i) => {
    try {
      return [parseCertificateDer(der, `${name} (certificate ${i + 1})`, now)];
    } catch {
      return [];
    }
  });
  const leaves = certificates.filter((c) => !c.info.is_ca);
  if (leaves.length === 0) {
    return contents.encrypted ? result(null, null, certificates) : result(false, `${name} holds no client certificate`, certificates);
  }
  if (!leaves.some((c) => c.der.equals(cert.der))) {
    const held = leaves[0]!.info;
    return result(false, `${name} holds ${held.subject} [SHA-256 ${held.sha256_fingerprint.slice(0, 23)}…, expires ${held.not_after.slice(0, 10)}], not the certificate in ${crtName} [SHA-256 ${cert.info.sha256_fingerprint.slice(0, 23)}…]: it was not made again when ${crtName} was replaced`, certificates);
  }
  const trusted = options.trustedCas;
  if (trusted && trusted.length > 0) {
    const gone = certificates.filter((c) => c.info.is_ca && !trusted.some((t) => t.der.equals(c.der)));
    if (gone.length > 0) return result(false, `${name} also holds the CA ${gone.map((c) => `${c.info.subject} [SHA-256 ${c.info.sha256_fingerprint.slice(0, 23)}…]`).join(', ')}, which the CA files here no longer hold`, certificates);
  }
  return result(true, null, certificates);
}

/** The .crt and .key a derived file belongs to (CockroachDB names, reference §1.3). */
export function pairOf(dir: string, user: string): { cert: string; key: string } {
  return { cert: path.join(dir, clientCertName(user)), key: path.join(dir, clientKeyName(user)) };
}
