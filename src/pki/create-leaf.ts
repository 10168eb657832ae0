import net from 'node:net';
import path from 'node:path';
import { ToolError } from '../core/errors.js';
import type { CertificateInfo } from './certificate.js';
import { CA_CERT, NODE_CERT, NODE_KEY, clientCertName, clientKeyName, clientPkcs12Name, clientPkcs8KeyName } from './certnames.js';
import { existsBesidesInterruptedWrite } from './staging.js';
import { clientCaPath, loadSigningCa, readFileOrThrow } from './certs-dir.js';
import { parseCsr } from './csr.js';
import { CERT_MODE, KEY_MODE, octalMode, stateFingerprint, writeFilesAtomically, writeIntoCertsDir, type PlannedFile, type WrittenFile } from './files.js';
import type { InsideRoots } from './pinned-dir.js';
import type { Impact } from './impact.js';
import { issueCertificate } from './issue.js';
import { generateRsaKey, privateKeyPem, privateKeyPkcs8Der, spkiDer, type KeyGenWatch } from './keys.js';
import { buildPkcs12 } from './pkcs12-write.js';
import { USERNAME_HINT, normalizeSqlUsername, privilegeOf, usernameProblem } from './username.js';

interface SigningOptions {
  certsDir: string;
  caKeyPath: string;
  keySize: number;
  lifetimeMs: number;
  overwrite: boolean;
  /** Progress and cancellation of the key generation. */
  watch?: KeyGenWatch;
  /** The roots check, applied again when the files are placed (the key generation takes seconds). */
  insideRoots?: InsideRoots;
}

export interface LeafResult {
  certificate_file: string;
  key_file?: string;
  /** The mode the key file got, e.g. "0600" (a replaced 0400 key stays 0400). */
  key_mode?: string;
  extra_files: string[];
  signed_by: string;
  certificate: CertificateInfo;
}

const DNS_NAME = /^(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** Each host becomes an IP SAN when it parses as an IP, a DNS SAN otherwise (x509.go). */
export function splitHosts(hosts: string[]): { dnsNames: string[]; ipAddresses: string[] } {
  if (hosts.length === 0) throw new ToolError('invalid_input', 'create-node needs at least one host', 'List every name and address clients use to reach the node: crdb-tls cert create-node localhost 127.0.0.1 node1.example.com ...');
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const host of hosts) {
    if (net.isIP(host)) ipAddresses.push(host);
    else if (DNS_NAME.test(host) && host.length <= 253) dnsNames.push(host);
    else throw new ToolError('invalid_input', `host ${JSON.stringify(host)} is neither an IP address nor a DNS name`, 'Give host names like node1.example.com or *.example.com, or IP addresses like 10.0.0.1.');
  }
  return { dnsNames, ipAddresses };
}

/** `privilege`: what the certificate's name gives its holder (username.ts privilegeOf), when it is privileged. */
function fileImpact(existing: boolean[], paths: string[], what: string, privilege: string | undefined): Pick<Impact, 'severity' | 'changes' | 'impact' | 'rollback'> {
  const replacing = paths.filter((_, i) => existing[i]);
  const changes = paths.map((p, i) => (existing[i] ? `replace ${p}` : `create ${p}`));
  const severity = replacing.length > 0 || privilege ? 'high' : 'low';
  const impact = replacing.length > 0
    ? `Replaces the ${what} in ${replacing.join(', ')}. Anything using the old files keeps its open connections but its next handshake uses the new ones; a process that cached the old key is not affected until it reloads.${privilege ? ` ${privilege}` : ''}`
    : `Creates the ${what}.${privilege ? ` ${privilege}` : ''}`;
  const rollback = replacing.length > 0 ? `Restore ${replacing.join(', ')} from a backup; the old files are not kept.` : `Delete ${paths.join(', ')}.`;
  return { severity, changes, impact, rollback };
}

const modeWritten = (written: WrittenFile[], file: string) => octalMode(written.find((w) => w.path === file)!.mode);

async function refuseExisting(paths: string[], overwrite: boolean): Promise<boolean[]> {
  const existing = await Promise.all(paths.map(existsBesidesInterruptedWrite));
  const clash = paths.find((_, i) => existing[i]);
  if (clash && !overwrite) throw new ToolError('already_exists', `${clash} already exists`, 'Pass --overwrite to replace it (the old certificate and key are then gone).');
  return existing;
}

// --- node certificates -------------------------------------------------------------------

export interface CreateNodeOptions extends SigningOptions {
  hosts: string[];
}

export async function assessCreateNode(o: CreateNodeOptions): Promise<Impact> {
  splitHosts(o.hosts);
  const paths = [path.join(o.certsDir, NODE_CERT), path.join(o.certsDir, NODE_KEY)];
  await loadSigningCa(path.join(o.certsDir, CA_CERT), o.caKeyPath);
  const existing = await refuseExisting(paths, o.overwrite);
  return { ...fileImpact(existing, paths, `node certificate for ${o.hosts.join(', ')}`, undefined), state_fingerprint: await stateFingerprint([...paths, path.join(o.certsDir, CA_CERT)]) };
}

export async function createNodeCert(o: CreateNodeOptions): Promise<LeafResult> {
  const { dnsNames, ipAddresses } = splitHosts(o.hosts);
  const caCertPath = path.join(o.certsDir, CA_CERT);
  const ca = await loadSigningCa(caCertPath, o.caKeyPath);
  const [certPath, keyPath] = [path.join(o.certsDir, NODE_CERT), path.join(o.certsDir, NODE_KEY)];
  await refuseExisting([certPath, keyPath], o.overwrite);
  const key = await generateRsaKey(o.keySize, o.watch);
  const issued = issueCertificate({ profile: 'node', commonName: 'node', subjectPublicKey: spkiDer(key), dnsNames, ipAddresses, lifetimeMs: o.lifetimeMs }, ca);
  const written = await writeIntoCertsDir(o.certsDir, [
    { path: keyPath, contents: privateKeyPem(key), mode: KEY_MODE, overwrite: o.overwrite },
    { path: certPath, contents: issued.pem, mode: CERT_MODE, overwrite: o.overwrite },
  ], { insideRoots: o.insideRoots });
  return { certificate_file: certPath, key_file: keyPath, key_mode: modeWritten(written, keyPath), extra_files: [], signed_by: caCertPath, certificate: issued.parsed.info };
}

// --- client certificates -----------------------------------------------------------------

export interface CreateClientOptions extends SigningOptions {
  user: string;
  pkcs8: boolean;
  /** When set, also write client.USER.p12 protected by this password. */
  pkcs12Password?: string;
  tenantScopes: string[];
}

/** URI SANs that scope a client certificate to tenants (x509.go); none means every tenant. */
function tenantUris(scopes: string[], user: string): string[] {
  return scopes.map((id) => {
    if (!/^[1-9][0-9]{0,19}$/.test(id)) throw new ToolError('invalid_input', `tenant scope ${JSON.stringify(id)} is not a tenant ID`, 'Tenant IDs are positive integers, e.g. --tenant-scope 1,2.');
    return `crdb://tenant/${id}/user/${user}`;
  });
}

function clientPaths(o: CreateClientOptions, user: string): string[] {
  return [
    path.join(o.certsDir, clientCertName(user)),
    path.join(o.certsDir, clientKeyName(user)),
    ...(o.pkcs8 ? [path.join(o.certsDir, clientPkcs8KeyName(user))] : []),
    ...(o.pkcs12Password !== undefined ? [path.join(o.certsDir, clientPkcs12Name(user))] : []),
  ];
}

export async function assessCreateClient(o: CreateClientOptions): Promise<Impact> {
  const user = normalizeSqlUsername(o.user);
  tenantUris(o.tenantScopes, user);
  const caPath = await clientCaPath(o.certsDir);
  await loadSigningCa(caPath, o.caKeyPath);
  const paths = clientPaths(o, user);
  const existing = await refuseExisting(paths, o.overwrite);
  return { ...fileImpact(existing, paths, user === 'node' ? 'client certificate of the node identity (CN=node, used by the nodes themselves)' : `client certificate for SQL user ${user}`, privilegeOf(user)), state_fingerprint: await stateFingerprint([...paths, caPath]) };
}

export async function createClientCert(o: CreateClientOptions): Promise<LeafResult> {
  const user = normalizeSqlUsername(o.user);
  const uris = tenantUris(o.tenantScopes, user);
  const caPath = await clientCaPath(o.certsDir);
  const ca = await loadSigningCa(caPath, o.caKeyPath);
  const paths = clientPaths(o, user);
  await refuseExisting(paths, o.overwrite);
  const key = await generateRsaKey(o.keySize, o.watch);
  const issued = issueCertificate({ profile: 'client', commonName: user, subjectPublicKey: spkiDer(key), uris, lifetimeMs: o.lifetimeMs }, ca);
  const [certPath, keyPath, ...extraPaths] = paths as [string, string, ...string[]];
  const files: PlannedFile[] = [
    { path: keyPath, contents: privateKeyPem(key), mode: KEY_MODE, overwrite: o.overwrite },
    { path: certPath, contents: issued.pem, mode: CERT_MODE, overwrite: o.overwrite },
  ];
  if (o.pkcs8) files.push({ path: path.join(o.certsDir, clientPkcs8KeyName(user)), contents: privateKeyPkcs8Der(key), mode: KEY_MODE, overwrite: o.overwrite });
  if (o.pkcs12Password !== undefined) {
    const p12 = buildPkcs12(key, [issued.pem, ca.certificate.x509.toString()], o.pkcs12Password, user);
    files.push({ path: path.join(o.certsDir, clientPkcs12Name(user)), contents: p12, mode: KEY_MODE, overwrite: o.overwrite });
  }
  const written = await writeIntoCertsDir(o.certsDir, files, { insideRoots: o.insideRoots });
  return { certificate_file: certPath, key_file: keyPath, key_mode: modeWritten(written, keyPath), extra_files: extraPaths, signed_by: caPath, certificate: issued.parsed.info };
}

// --- client certificates from a CSR --------------------------------------------------------

export interface SignCsrOptions extends Omit<SigningOptions, 'keySize'> {
  /** The SQL user asked for; the CSR's CN must name it. Absent: the user is the CSR's CN. */
  user?: string | undefined;
  csrPath: string;
  outPath: string;
  tenantScopes: string[];
}

/**
 * The certificate is for the CSR's CN (CockroachDB takes the SQL user from it, reference §3.2).
 * A user named as well must be that CN: signing `create-client mallory --csr eve.csr` as CN=eve
 * would hand out a login for someone other than the one asked for (and checked by policy).
 */
async function readCsrUser(csrPath: string, asked: string | undefined) {
  const csr = parseCsr(await readFileOrThrow(csrPath, 'CSR'), csrPath);
  const normalized = csr.commonName.normalize('NFC').toLowerCase();
  const problem = usernameProblem(normalized);
  if (problem) throw new ToolError('invalid_csr', `the CSR's common name ${JSON.stringify(csr.commonName)} is not a valid SQL user name (${problem})`, `The CN must be the SQL user the certificate logs in as. ${USERNAME_HINT}`);
  if (asked !== undefined) {
    const user = normalizeSqlUsername(asked);
    if (user !== normalized) {
      throw new ToolError('invalid_csr', `${csrPath} asks for a certificate for SQL user ${normalized} (its CN), not ${user}; nothing was signed`, `Sign it for the user it names: crdb-tls cert create-client ${normalized} --csr ${csrPath} ..., or leave the user out (it is taken from the CSR); or have ${user} send a CSR with CN=${user}.`);
    }
  }
  return { csr, user: normalized };
}

export async function assessSignCsr(o: SignCsrOptions): Promise<Impact> {
  const { user } = await readCsrUser(o.csrPath, o.user);
  const caPath = await clientCaPath(o.certsDir);
  await loadSigningCa(caPath, o.caKeyPath);
  const existing = await refuseExisting([o.outPath], o.overwrite);
  return { ...fileImpact(existing, [o.outPath], `client certificate for SQL user ${user} from ${o.csrPath}`, privilegeOf(user)), state_fingerprint: await stateFingerprint([o.csrPath, o.outPath, caPath]) };
}

export async function signClientCsr(o: SignCsrOptions): Promise<LeafResult> {
  const { csr, user } = await readCsrUser(o.csrPath, o.user);
  const caPath = await clientCaPath(o.certsDir);
  const ca = await loadSigningCa(caPath, o.caKeyPath);
  await refuseExisting([o.outPath], o.overwrite);
  const issued = issueCertificate({ profile: 'client', commonName: user, subjectPublicKey: csr.subjectPublicKey, uris: tenantUris(o.tenantScopes, user), lifetimeMs: o.lifetimeMs }, ca);
  await writeFilesAtomically([{ path: o.outPath, contents: issued.pem, mode: CERT_MODE, overwrite: o.overwrite }], { insideRoots: o.insideRoots });
  return { certificate_file: o.outPath, extra_files: [], signed_by: caPath, certificate: issued.parsed.info };
}
