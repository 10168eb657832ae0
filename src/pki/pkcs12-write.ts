import type crypto from 'node:crypto';
import forge from 'node-forge';
import { privateKeyPem } from './keys.js';

/**
 * A PKCS#12 file with the client key and certificate chain, for DBeaver, Java keystores and .NET.
 * 3DES with a SHA-1 MAC: the combination every one of those (and OpenSSL 3 without its legacy
 * provider) can read; node-forge writes it. Apart from the reading side (pkcs12.ts) because
 * writing needs all of forge (pki, PBE, 3DES, HMAC), which only the commands that make a .p12 load.
 */
export function buildPkcs12(key: crypto.KeyObject, chainPem: string[], password: string, friendlyName: string): Buffer {
  const forgeKey = forge.pki.privateKeyFromPem(privateKeyPem(key));
  const certs = chainPem.map((pem) => forge.pki.certificateFromPem(pem));
  const asn1 = forge.pkcs12.toPkcs12Asn1(forgeKey, certs, password, { algorithm: '3des', friendlyName, generateLocalKeyId: true });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

