import { ToolError } from '../core/errors.js';
import { bytesOf, children, fromDer, oidOf, toDer, type Asn1 } from './asn1.js';

// PKCS#12 (RFC 7292) object identifiers: content types and bag types.
const P12 = {
  data: '1.2.840.113549.1.7.1',
  certBag: '1.2.840.113549.1.12.10.1.3',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  x509Certificate: '1.2.840.113549.1.9.22.1',
} as const;

export interface Pkcs12Contents {
  /** DER of every certificate in a bag that is not encrypted. */
  certificates: Buffer[];
  /** An unencrypted key bag (PKCS#8 DER), when there is one; the usual shrouded key needs the password. */
  plainKey: Buffer | null;
  /** Some contents are encrypted (with the password): certificates may hide there. */
  encrypted: boolean;
}

/** An OCTET STRING's bytes, also when BER splits it into constructed parts (Windows exports do). */
function octetBytes(node: Asn1 | undefined): Buffer {
  if (node && Array.isArray(node.value)) return Buffer.concat(children(node).map(octetBytes));
  return bytesOf(node);
}

/**
 * What a PKCS#12 file shows without its password: certificates in plain SafeContents (node-forge,
 * which buildPkcs12 uses, and `openssl pkcs12 -export -certpbe NONE` write them so) — enough to
 * tell whether a .p12 still holds the certificate of its .crt. The MAC is not checked (it needs the
 * password), so this is for comparing, never for trusting.
 */
export function readPkcs12Contents(der: Buffer, source: string): Pkcs12Contents {
  const contents: Pkcs12Contents = { certificates: [], plainKey: null, encrypted: false };
  try {
    const [, authSafe] = children(fromDer(der));
    const [type, explicit] = children(authSafe);
    if (oidOf(type) !== P12.data) throw new Error('authSafe is not data (public-key integrity mode is not supported)');
    for (const info of children(fromDer(octetBytes(children(explicit)[0])))) {
      const [infoType, infoContent] = children(info);
      if (oidOf(infoType) !== P12.data) {
        contents.encrypted = true;
        continue;
      }
      for (const bag of children(fromDer(octetBytes(children(infoContent)[0])))) {
        const [bagId, bagValue] = children(bag);
        const value = children(bagValue)[0];
        if (oidOf(bagId) === P12.certBag) {
          const [certId, certValue] = children(value);
          if (oidOf(certId) === P12.x509Certificate) contents.certificates.push(octetBytes(children(certValue)[0]));
        } else if (oidOf(bagId) === P12.keyBag && value) {
          contents.plainKey = toDer(value);
        }
      }
    }
  } catch (error) {
    throw new ToolError('invalid_input', `${source} is not a readable PKCS#12 file (${(error as Error).message})`, 'Recreate it from the certificate and key (see crdb-tls cert list for the command).');
  }
  return contents;
}
