// Certificates for the Cloud tests, generated at test time: CAs with distinct names (so that a
// test can tell which CA an impact names), client certificates they sign, and an expired CA.
import crypto from 'node:crypto';
import { issueCertificate, type IssuedCertificate } from '../../src/pki/issue.js';
import { spkiDer } from '../../src/pki/keys.js';

export const DAY_MS = 86_400_000;

export interface TestCa {
  name: string;
  key: crypto.KeyObject;
  cert: IssuedCertificate;
  pem: string;
  /** OpenSSL-independent SHA-256 of the DER, colon-separated upper-case hex (Node's fingerprint256 format). */
  fingerprint: string;
}

const ecKey = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

export function sha256Fingerprint(der: Buffer): string {
  return crypto.createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
}

/** A self-signed CA called `name`, valid from `now - 1 day` for `lifetimeMs`. */
export function makeCa(name: string, lifetimeMs = 365 * DAY_MS, now?: Date): TestCa {
  const key = ecKey();
  const cert = issueCertificate({ profile: 'ca', commonName: name, subjectPublicKey: spkiDer(key), lifetimeMs, ...(now ? { now } : {}) }, { key });
  return { name, key, cert, pem: cert.pem, fingerprint: sha256Fingerprint(cert.der) };
}

/** A CA whose validity ended yesterday. */
export function expiredCa(name: string): TestCa {
  return makeCa(name, 30 * DAY_MS, new Date(Date.now() - 31 * DAY_MS));
}

/** A client certificate for SQL user `user` signed by `ca` (and, for a leaf check, a non-CA certificate). */
export function clientCert(ca: TestCa, user: string): IssuedCertificate {
  return issueCertificate({ profile: 'client', commonName: user, subjectPublicKey: spkiDer(ecKey()), lifetimeMs: 30 * DAY_MS }, { certificate: ca.cert.parsed, key: ca.key });
}

export const bundle = (...cas: TestCa[]) => cas.map((ca) => ca.pem).join('\n');

/** A random cluster ID shaped like the Cloud's (a UUID). */
export const clusterId = () => crypto.randomUUID();
