// Test material for the changefeed sink URI tests: CAs, client and server certificates with keys
// in every format CockroachDB reads, generated at test time; and a decoder that follows the
// reference's rules (§5.2) written independently of src/changefeed, so that it can judge it.
import crypto from 'node:crypto';
import { issueCaCertificate, issueCertificate, type IssuedCertificate } from '../../src/pki/issue.js';
import { spkiDer } from '../../src/pki/keys.js';

export const DAY_MS = 86_400_000;

/** The key formats of reference §5.2: PKCS#1 (RSA), PKCS#8 (any), SEC1 (EC). */
export type KeyKind = 'rsa-pkcs1' | 'rsa-pkcs8' | 'ec-p256-sec1' | 'ec-p256-pkcs8' | 'ec-p384-sec1' | 'ec-p384-pkcs8';
export const KEY_KINDS: KeyKind[] = ['rsa-pkcs1', 'rsa-pkcs8', 'ec-p256-sec1', 'ec-p256-pkcs8', 'ec-p384-sec1', 'ec-p384-pkcs8'];

export const nodeKeyType = (kind: KeyKind): 'pkcs1' | 'pkcs8' | 'sec1' => (kind.endsWith('pkcs1') ? 'pkcs1' : kind.endsWith('sec1') ? 'sec1' : 'pkcs8');
export const PEM_LABEL: Record<'pkcs1' | 'pkcs8' | 'sec1', string> = { pkcs1: 'RSA PRIVATE KEY', pkcs8: 'PRIVATE KEY', sec1: 'EC PRIVATE KEY' };

// An RSA-2048 key takes ~0.1-0.3 s of CPU to make and these tests are about formats, not about
// fresh keys, so each process makes a few and hands them out in turn: consecutive calls (a CA and
// the key it certifies, a key and the wrong key) still get different keys. EC keys stay fresh.
const RSA_POOL_SIZE = 4;
const rsaPool: crypto.KeyObject[] = [];
let rsaNext = 0;

function pooledRsaKey(): crypto.KeyObject {
  const index = rsaNext++ % RSA_POOL_SIZE;
  rsaPool[index] ??= crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  return rsaPool[index];
}

export function generateKey(kind: KeyKind): crypto.KeyObject {
  if (kind.startsWith('rsa')) return pooledRsaKey();
  return crypto.generateKeyPairSync('ec', { namedCurve: kind.includes('p384') ? 'secp384r1' : 'prime256v1' }).privateKey;
}

export interface KeyMaterial {
  kind: KeyKind;
  key: crypto.KeyObject;
  pem: string;
  der: Buffer;
}

export function keyMaterial(kind: KeyKind, key = generateKey(kind)): KeyMaterial {
  const type = nodeKeyType(kind);
  return { kind, key, pem: key.export({ format: 'pem', type }) as string, der: key.export({ format: 'der', type }) as Buffer };
}

export interface Ca {
  key: crypto.KeyObject;
  cert: IssuedCertificate;
}

export function makeCa(kind: 'rsa' | 'ec' = 'ec', lifetimeMs = 365 * DAY_MS, now?: Date): Ca {
  const key = kind === 'rsa' ? generateKey('rsa-pkcs8') : generateKey('ec-p256-pkcs8');
  return { key, cert: issueCaCertificate(key, lifetimeMs, now) };
}

/** A client certificate (clientAuth) for `key`, signed by `ca`. */
export function clientCertificate(ca: Ca, key: crypto.KeyObject, commonName = 'cdc', lifetimeMs = 90 * DAY_MS, now?: Date): IssuedCertificate {
  return issueCertificate({ profile: 'client', commonName, subjectPublicKey: spkiDer(key), lifetimeMs, ...(now ? { now } : {}) }, { certificate: ca.cert.parsed, key: ca.key });
}

/** A server certificate (serverAuth + clientAuth) for 127.0.0.1 and localhost, like a broker's TLS listener. */
export function serverCertificate(ca: Ca, key: crypto.KeyObject): IssuedCertificate {
  return issueCertificate({ profile: 'node', commonName: 'broker', subjectPublicKey: spkiDer(key), dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], lifetimeMs: 30 * DAY_MS }, { certificate: ca.cert.parsed, key: ca.key });
}

// ---- the reference's decoding rules, independent of src/changefeed ---------------------------

/**
 * What CockroachDB gets for each query parameter (reference §5.2): Go's url.ParseQuery splits on
 * '&', turns '+' into a space and %XX into bytes (and drops pairs with ';' or a bad escape, which
 * must never happen for our URIs, so this throws instead); the first value of a name wins.
 */
export function referenceQuery(uri: string): Map<string, string> {
  if (/[\x00-\x1f\x7f]/.test(uri)) throw new Error('the URI holds a control character; Go url.Parse refuses it');
  if (uri.includes('#')) throw new Error("the URI holds a '#'; Go url.Parse would cut it there");
  const question = uri.indexOf('?');
  const values = new Map<string, string>();
  if (question < 0) return values;
  for (const pair of uri.slice(question + 1).split('&')) {
    if (pair === '') continue;
    if (pair.includes(';')) throw new Error(`pair ${pair.slice(0, 20)} holds ';'; Go drops it`);
    const eq = pair.indexOf('=');
    const unescape = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    const name = unescape(eq < 0 ? pair : pair.slice(0, eq));
    if (!values.has(name)) values.set(name, unescape(eq < 0 ? '' : pair.slice(eq + 1)));
  }
  return values;
}

/** Go's base64.StdEncoding.DecodeString for one-line input: standard alphabet and padding required. */
export function referenceBase64(value: string): Buffer {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value)) throw new Error('not standard padded base64');
  return Buffer.from(value, 'base64');
}

/** A PEM parameter of a URI, decoded with the reference's rules. */
export function referencePem(uri: string, param: string): Buffer {
  const value = referenceQuery(uri).get(param);
  if (value === undefined) throw new Error(`${param} is missing`);
  return referenceBase64(value);
}

/** The string literal after `name =` in a SQL statement, with '' undone. */
export function sqlOptionLiteral(statement: string, name: string): string | undefined {
  const match = new RegExp(`${name}\\s*=\\s*'((?:[^']|'')*)'`).exec(statement);
  return match?.[1]?.replace(/''/g, "'");
}

/** The sink literal of `INTO '...'`, with '' undone. */
export function sqlIntoLiteral(statement: string): string | undefined {
  return /\bINTO\s+'((?:[^']|'')*)'/.exec(statement)?.[1]?.replace(/''/g, "'");
}

/** Characters that break URIs, SQL literals and shells when left raw. */
export const RESERVED = [...'+&#=%;?/:@ !$\'()*,[]"\\<>{}|^~`\t'];
const LETTERS = [...'abcXYZ0189-_.'];
const UNICODE = ['é', 'ß', '漢', '🔑', '\u00a0'];

export function randomSecret(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    const pool = random() < 0.5 ? RESERVED : random() < 0.8 ? LETTERS : UNICODE;
    out += pool[Math.floor(random() * pool.length)];
  }
  return out;
}

/** Parts of a PEM key body long enough to identify it, for "never printed" checks. */
export function keyFragments(pem: string): string[] {
  const lines = pem.split(/\r?\n/).filter((line) => line && !line.startsWith('-----'));
  const body = lines.join('');
  return [body, ...lines.filter((line) => line.length >= 40), Buffer.from(pem).toString('base64').slice(40, 120)];
}
