import crypto from 'node:crypto';
import { OID, Type, bytesOf, children, fromDer, integerOf, oidOf } from './asn1.js';
import { TAG, childrenOf, positiveInteger, rootOf } from './der-reader.js';

/**
 * Private keys handed to OpenSSL in the form it decodes fastest. OpenSSL 3's decoder framework
 * tries decoder after decoder on PEM input and on PKCS#8 (each try a full parse): reading a
 * PKCS#1 RSA key as DER of its own type costs a third of the same key as PEM, and a quarter of it
 * wrapped in PKCS#8 (bench/list-certs.ts: a listing reads a thousand keys). The key is still
 * parsed and checked by OpenSSL; only the guessing is skipped. Undefined: take the general path.
 *
 * Even a DER key of its own type costs OpenSSL 3.0 ~120 µs of decoder set-up, against ~9 µs to build
 * the same key from its numbers (a JWK): a two-prime PKCS#1 key in strict DER is handed over as
 * its numbers (rsaKeyFromNumbers), and a listing compares those numbers with the certificate's
 * without building a key at all (keys.ts readPrivateKeyLazily); anything else in that file is left to OpenSSL's DER decoder.
 */

/** The DER type to name for a PEM label, as CockroachDB's PEMToPrivateKey maps them. */
const RSA_JWK_FIELDS = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const;

const DER_TYPE_OF_LABEL: Record<string, 'pkcs1' | 'sec1' | 'pkcs8'> = { 'RSA PRIVATE KEY': 'pkcs1', 'EC PRIVATE KEY': 'sec1', 'PRIVATE KEY': 'pkcs8' };

export function privateKeyFromDer(der: Buffer, label: string | null): crypto.KeyObject | undefined {
  const type = label === null ? 'pkcs8' : DER_TYPE_OF_LABEL[label];
  if (!type) return undefined;
  try {
    const numbers = rsaPrivateNumbers(der, label);
    if (numbers) return rsaKeyFromNumbers(numbers);
    if (type === 'pkcs8') {
      const rsa = rsaKeyInPkcs8(der);
      return rsa ? crypto.createPrivateKey({ key: rsa, format: 'der', type: 'pkcs1' }) : undefined;
    }
    return crypto.createPrivateKey({ key: der, format: 'der', type });
  } catch {
    return undefined;
  }
}

/** The numbers of an RSA private key, named as in a JWK (RFC 7518 §6.3), without sign bytes. */
export type RsaNumbers = Record<(typeof RSA_JWK_FIELDS)[number], Buffer>;

/**
 * The numbers of a two-prime PKCS#1 RSA key in strict DER (rsaNumbersOfPkcs1), bare or in PKCS#8
 * as privateKeyFromDer unwraps it; undefined for any other key or shape (then OpenSSL decodes it).
 */
export function rsaPrivateNumbers(der: Buffer, label: string | null): RsaNumbers | undefined {
  const type = label === null ? 'pkcs8' : DER_TYPE_OF_LABEL[label];
  if (type === 'pkcs1') return rsaNumbersOfPkcs1(der);
  if (type !== 'pkcs8') return undefined;
  try {
    const inner = rsaKeyInPkcs8(der);
    return inner ? rsaNumbersOfPkcs1(inner) : undefined;
  } catch {
    return undefined;
  }
}

/** The key of those numbers, built from a JWK (no decoder set-up). */
export function rsaKeyFromNumbers(numbers: RsaNumbers): crypto.KeyObject {
  const jwk: crypto.JsonWebKey = { kty: 'RSA' };
  for (const name of RSA_JWK_FIELDS) jwk[name] = numbers[name].toString('base64url');
  return crypto.createPrivateKey({ key: jwk, format: 'jwk' });
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


/**
 * RFC 8017 A.1.2 RSAPrivateKey, version 0 (two primes): SEQUENCE of nine INTEGERs, every one after
 * the version positive and in its shortest form, nothing after them. In that shape OpenSSL's
 * d2i_RSAPrivateKey reads exactly these numbers and checks nothing more (not even p·q = n), so the
 * key built from them is the key the DER decoder would give (test/unit/key-der.test.ts compares
 * both on mutated keys). Any other shape, multi-prime (version 1) included: undefined.
 */
function rsaNumbersOfPkcs1(der: Buffer): RsaNumbers | undefined {
  const root = rootOf(der, TAG.SEQUENCE);
  const fields = root && childrenOf(der, root);
  if (!fields || fields.length !== 9) return undefined;
  const version = fields[0]!;
  if (version.tag !== TAG.INTEGER || version.end - version.start !== 1 || der[version.start] !== 0) return undefined;
  const numbers: Partial<RsaNumbers> = {};
  for (let i = 0; i < RSA_JWK_FIELDS.length; i++) {
    const name = RSA_JWK_FIELDS[i]!;
    const value = positiveInteger(der, fields[i + 1]);
    if (!value) return undefined;
    numbers[name] = value;
  }
  return numbers as RsaNumbers;
}
