import crypto from 'node:crypto';
import { OID, Type, bytesOf, children, fromDer, integerOf, oidOf } from './asn1.js';

/**
 * Private keys handed to OpenSSL in the form it decodes fastest. OpenSSL 3's decoder framework
 * tries decoder after decoder on PEM input and on PKCS#8 (each try a full parse): reading a
 * PKCS#1 RSA key as DER of its own type costs a third of the same key as PEM, and a quarter of it
 * wrapped in PKCS#8 (bench/list-certs.ts: a listing reads a thousand keys). The key is still
 * parsed and checked by OpenSSL; only the guessing is skipped. Undefined: take the general path.
 */

/** The DER type to name for a PEM label, as CockroachDB's PEMToPrivateKey maps them. */
const DER_TYPE_OF_LABEL: Record<string, 'pkcs1' | 'sec1' | 'pkcs8'> = { 'RSA PRIVATE KEY': 'pkcs1', 'EC PRIVATE KEY': 'sec1', 'PRIVATE KEY': 'pkcs8' };

export function privateKeyFromDer(der: Buffer, label: string | null): crypto.KeyObject | undefined {
  const type = label === null ? 'pkcs8' : DER_TYPE_OF_LABEL[label];
  if (!type) return undefined;
  try {
    if (type === 'pkcs8') {
      const rsa = rsaKeyInPkcs8(der);
      return rsa ? crypto.createPrivateKey({ key: rsa, format: 'der', type: 'pkcs1' }) : undefined;
    }
    return crypto.createPrivateKey({ key: der, format: 'der', type });
  } catch {
    return undefined;
  }
}

/**
 * The RSAPrivateKey inside a PKCS#8 PrivateKeyInfo (RFC 5208 §5, RFC 5958 §2: version 0 or 1,
 * algorithm rsaEncryption with NULL or no parameters), or undefined for anything else.
 */
function rsaKeyInPkcs8(der: Buffer): Buffer | undefined {
  const [version, algorithm, privateKey] = children(fromDer(der));
  const [algorithmId, parameters] = children(algorithm);
  if (version?.type !== Type.INTEGER || ![0, 1].includes(integerOf(version))) return undefined;
  if (oidOf(algorithmId) !== OID.rsaEncryption || (parameters && parameters.type !== Type.NULL)) return undefined;
  if (privateKey?.type !== Type.OCTETSTRING) return undefined;
  return bytesOf(privateKey);
}
