// Certs dirs for the rotation unit tests, made at test time with EC keys (instant) in the layout
// `cockroach cert` writes (reference §1.3): ca.crt, node.crt/node.key, client.USER.crt/.key, and the
// CA key outside the certs dir.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ParsedCertificate } from '../../src/pki/certificate.js';
import { issueCertificate, type IssuedCertificate } from '../../src/pki/issue.js';
import { privateKeyPem, spkiDer } from '../../src/pki/keys.js';

export const DAY_MS = 86_400_000;
const ecKey = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

export interface TestCa {
  cert: IssuedCertificate;
  key: crypto.KeyObject;
  signer: { certificate: ParsedCertificate; key: crypto.KeyObject };
}

export function makeCa(days: number, name = 'Cockroach CA', now = new Date()): TestCa {
  const key = ecKey();
  const cert = issueCertificate({ profile: 'ca', commonName: name, subjectPublicKey: spkiDer(key), lifetimeMs: days * DAY_MS, now }, { key });
  return { cert, key, signer: { certificate: cert.parsed, key } };
}

export function writeCaKey(ca: TestCa, file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, privateKeyPem(ca.key), { mode: 0o600 });
}

/** Writes cert + key files; `days` from now. */
export function writeLeaf(ca: TestCa, dir: string, profile: 'node' | 'client', name: string, days: number, hosts: string[] = ['localhost', '127.0.0.1']): { cert: string; key: string } {
  const key = ecKey();
  const isIp = (h: string) => /^[\d.]+$/.test(h) || h.includes(':');
  const issued = issueCertificate({
    profile,
    commonName: profile === 'node' ? 'node' : name,
    subjectPublicKey: spkiDer(key),
    lifetimeMs: days * DAY_MS,
    ...(profile === 'node' ? { dnsNames: hosts.filter((h) => !isIp(h)), ipAddresses: hosts.filter(isIp) } : {}),
  }, ca.signer);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stem = profile === 'node' ? name : `client.${name}`;
  const cert = path.join(dir, `${stem}.crt`);
  const keyFile = path.join(dir, `${stem}.key`);
  fs.writeFileSync(cert, issued.pem, { mode: 0o644 });
  fs.writeFileSync(keyFile, privateKeyPem(key), { mode: 0o600 });
  return { cert, key: keyFile };
}

export function writeBundle(file: string, ...cas: TestCa[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, cas.map((c) => c.cert.pem).join(''), { mode: 0o644 });
}
