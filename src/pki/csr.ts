import crypto from 'node:crypto';
import { ToolError } from '../core/errors.js';
import { OID, bytesOf, children, fromDer, oidOf, textOf, toDer } from './asn1.js';
import { pemBlocks } from './pem.js';

export interface CertificateSigningRequest {
  commonName: string;
  subjectPublicKey: Buffer;
  publicKey: crypto.KeyObject;
}

const HASH_OF_SIGNATURE: Record<string, string | null> = {
  [OID.sha256WithRSA]: 'sha256', [OID.sha384WithRSA]: 'sha384', [OID.sha512WithRSA]: 'sha512',
  [OID.ecdsaWithSha256]: 'sha256', [OID.ecdsaWithSha384]: 'sha384', [OID.ecdsaWithSha512]: 'sha512', [OID.ed25519]: null,
};

/**
 * Reads a PKCS#10 CSR (PEM or DER) and checks its self-signature, so that whoever sent it holds
 * the private key. Any key type Node supports; node-forge's CSR parser only knows RSA.
 */
export function parseCsr(contents: Buffer, source: string): CertificateSigningRequest {
  const text = contents.toString('utf8');
  const der = text.includes('-----BEGIN') ? pemBlocks(text).find((b) => b.type.endsWith('CERTIFICATE REQUEST'))?.der : contents;
  if (!der) throw new ToolError('invalid_csr', `${source} holds no CERTIFICATE REQUEST block`, 'Create one with: openssl req -new -key client.key -subj "/O=Cockroach/CN=<user>" -out client.csr');
  let request;
  try {
    const [info, algorithm, signature] = children(fromDer(der));
    const [, subject, spki] = children(info);
    const subjectPublicKey = toDer(spki!);
    const publicKey = crypto.createPublicKey({ key: subjectPublicKey, format: 'der', type: 'spki' });
    const hash = HASH_OF_SIGNATURE[oidOf(children(algorithm)[0])];
    if (hash === undefined) throw new Error('unsupported signature algorithm');
    const signed = crypto.verify(hash, toDer(info!), publicKey, bytesOf(signature).subarray(1));
    if (!signed) throw new ToolError('invalid_csr', `${source}: the CSR's signature does not match its public key`, 'The request was altered or corrupted; create it again.');
    let commonName = '';
    for (const attr of children(subject).flatMap((rdn) => children(rdn))) {
      const [type, value] = children(attr);
      if (oidOf(type) === OID.commonName) commonName = textOf(value);
    }
    request = { commonName, subjectPublicKey, publicKey };
  } catch (error) {
    if (error instanceof ToolError) throw error;
    throw new ToolError('invalid_csr', `${source} is not a valid certificate signing request (${(error as Error).message})`, 'Give a PKCS#10 CSR in PEM (-----BEGIN CERTIFICATE REQUEST-----) or DER.');
  }
  return request;
}
