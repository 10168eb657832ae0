// The real `openssl` CLI as an independent judge of the files crdb-tls writes: nothing here
// parses X.509 itself beyond reading openssl's own text output.
import { spawnSync } from 'node:child_process';

export interface OpensslOptions {
  cwd?: string;
  /** Fed to openssl's stdin (e.g. a PEM when -in is omitted). */
  input?: string | Buffer;
}

export interface OpensslResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs openssl and returns whatever happened (for checks that expect a failure). */
export function opensslResult(args: string[], opts: OpensslOptions = {}): OpensslResult {
  const result = spawnSync('openssl', args, { cwd: opts.cwd, input: opts.input ?? '', encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw new Error(`could not run openssl ${args.join(' ')}: ${result.error.message}`);
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs openssl and returns stdout; throws with stderr when it fails. */
export function openssl(args: string[], opts: OpensslOptions = {}): string {
  const result = opensslResult(args, opts);
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} exited ${result.status}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** The PEM blocks of a bundle, each with its BEGIN/END lines, in file order. */
export function pemBlocks(text: string, type = 'CERTIFICATE'): string[] {
  const pattern = new RegExp(`-----BEGIN ${type}-----[\\s\\S]*?-----END ${type}-----\\n?`, 'g');
  return [...text.matchAll(pattern)].map((m) => (m[0].endsWith('\n') ? m[0] : `${m[0]}\n`));
}

/** `openssl x509 -noout <flag>` on a file (or a PEM on stdin): the value after "name=". */
function x509Field(cert: CertSource, flag: string, extra: string[] = []): string {
  const out = openssl(['x509', '-noout', flag, ...extra, ...cert.args], cert.opts).trim();
  const eq = out.indexOf('=');
  return eq >= 0 ? out.slice(eq + 1).trim() : out;
}

interface CertSource {
  args: string[];
  opts: OpensslOptions;
}

/** A certificate given as a file path or as PEM text (e.g. one block of a bundle). */
export type Cert = string | { pem: string };
const source = (cert: Cert): CertSource => (typeof cert === 'string' ? { args: ['-in', cert], opts: {} } : { args: [], opts: { input: cert.pem } });

/** Subject in OpenSSL 3's default one-line form, e.g. "O = Cockroach, CN = node". */
export const subjectOf = (cert: Cert) => x509Field(source(cert), '-subject', ['-nameopt', 'oneline']);
export const issuerOf = (cert: Cert) => x509Field(source(cert), '-issuer', ['-nameopt', 'oneline']);
/** Serial as upper-case hex, as openssl prints it. */
export const serialOf = (cert: Cert) => x509Field(source(cert), '-serial');
export const fingerprintOf = (cert: Cert) => x509Field(source(cert), '-fingerprint', ['-sha256']);
export const certModulus = (cert: Cert) => x509Field(source(cert), '-modulus');
export const certPublicKey = (cert: Cert) => openssl(['x509', '-noout', '-pubkey', ...source(cert).args], source(cert).opts);
export const x509Text = (cert: Cert) => openssl(['x509', '-noout', '-text', ...source(cert).args], source(cert).opts);

/** The modulus of an RSA private key file (PEM, any of PKCS#1 / PKCS#8). */
export const keyModulus = (keyFile: string) => openssl(['rsa', '-noout', '-modulus', '-in', keyFile]).trim().replace(/^Modulus=/, '');

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Parses openssl's "Nov 26 06:35:45 2026 GMT". */
export function parseOpensslDate(text: string): Date {
  const m = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/.exec(text.trim());
  if (!m) throw new Error(`unexpected openssl date ${JSON.stringify(text)}`);
  const month = MONTHS.indexOf(m[1]!);
  if (month < 0) throw new Error(`unexpected month in ${JSON.stringify(text)}`);
  return new Date(Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])));
}

export function validityOf(cert: Cert): { notBefore: Date; notAfter: Date } {
  const { args, opts } = source(cert);
  const out = openssl(['x509', '-noout', '-startdate', '-enddate', ...args], opts);
  const value = (name: string) => {
    const line = out.split('\n').find((l) => l.startsWith(`${name}=`));
    if (!line) throw new Error(`openssl printed no ${name}: ${out}`);
    return parseOpensslDate(line.slice(name.length + 1));
  };
  return { notBefore: value('notBefore'), notAfter: value('notAfter') };
}

export interface Extension {
  critical: boolean;
  /** The lines openssl prints under the extension's name, trimmed and joined by "\n". */
  value: string;
}

/**
 * The X509v3 extensions of `openssl x509 -text`, keyed by openssl's display name
 * ("X509v3 Key Usage", "X509v3 Subject Alternative Name", ...).
 */
export function extensionsOf(cert: Cert): Map<string, Extension> {
  const lines = x509Text(cert).split('\n');
  const start = lines.findIndex((l) => l.trim() === 'X509v3 extensions:');
  const extensions = new Map<string, Extension>();
  if (start < 0) return extensions;
  const headerIndent = (lines[start + 1] ?? '').search(/\S/);
  let current: Extension | undefined;
  for (const line of lines.slice(start + 1)) {
    const indent = line.search(/\S/);
    if (indent < 0) continue;
    if (indent < headerIndent) break; // "Signature Algorithm:" closes the section
    if (indent === headerIndent) {
      const m = /^(.*?):( critical)?\s*$/.exec(line.trim());
      if (!m) throw new Error(`unexpected extension header ${JSON.stringify(line)}`);
      current = { critical: Boolean(m[2]), value: '' };
      extensions.set(m[1]!, current);
    } else if (current) {
      current.value = current.value ? `${current.value}\n${line.trim()}` : line.trim();
    }
  }
  return extensions;
}

/** A comma-separated extension value as a sorted list ("Digital Signature, Key Encipherment"). */
export const listOf = (value: string | undefined) => (value ?? '').split(/,\s*/).map((s) => s.trim()).filter(Boolean).sort();

/** A key identifier as bare upper-case hex pairs (OpenSSL 1.1 prefixes AKIDs with "keyid:"). */
export const keyIdOf = (value: string | undefined) => (value ?? '').replace(/^keyid:/, '').split('\n')[0]!.trim().toUpperCase();
