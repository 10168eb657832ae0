import * as z from 'zod';
import { safeVerify, type ParsedCertificate } from './certificate.js';

export const ChainVerification = z.object({
  verified: z.boolean(),
  path: z.array(z.string()).describe('Subjects from the leaf to the trusted CA'),
  error: z.string().optional(),
});
export type ChainVerification = z.infer<typeof ChainVerification>;

const MAX_DEPTH = 8;

function issuedBy(cert: ParsedCertificate, candidate: ParsedCertificate): boolean {
  return cert.x509.checkIssued(candidate.x509) && safeVerify(cert.x509, candidate.x509.publicKey);
}

/**
 * Builds a path from `leaf` to one of `trusted`, through `intermediates`, checking signatures,
 * validity dates and that every issuer is a CA; errors use OpenSSL's wording so that they match
 * what people see from clients.
 */
export function verifyChain(leaf: ParsedCertificate, intermediates: ParsedCertificate[], trusted: ParsedCertificate[], now = new Date()): ChainVerification {
  const path: string[] = [leaf.info.subject];
  const fail = (error: string): ChainVerification => ({ verified: false, path, error });
  let current = leaf;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (current.notAfter <= now) return fail(`certificate has expired: ${current.info.subject} (not after ${current.info.not_after})`);
    if (current.notBefore > now) return fail(`certificate is not yet valid: ${current.info.subject} (not before ${current.info.not_before})`);
    if (trusted.some((t) => t.der.equals(current.der))) return { verified: true, path };
    const anchor = trusted.find((t) => issuedBy(current, t));
    const next = anchor ?? intermediates.find((i) => i !== current && issuedBy(current, i));
    if (!next) {
      return fail(current.info.self_signed ? `self-signed certificate: ${current.info.subject} is not among the trusted CAs` : `unable to get local issuer certificate: no trusted CA signed ${current.info.subject} (issuer ${current.info.issuer})`);
    }
    if (!next.info.is_ca || !next.keyCertSign) return fail(`invalid CA certificate: ${next.info.subject} signed ${current.info.subject} but is not a CA`);
    path.push(next.info.subject);
    if (anchor) {
      if (anchor.notAfter <= now) return fail(`certificate has expired: ${anchor.info.subject} (not after ${anchor.info.not_after})`);
      return { verified: true, path };
    }
    current = next;
  }
  return fail('certificate chain too long');
}

/** The certificate of `pool` that signed `leaf`, if any. */
export function findIssuer(leaf: ParsedCertificate, pool: ParsedCertificate[]): ParsedCertificate | undefined {
  return pool.find((candidate) => candidate !== leaf && issuedBy(leaf, candidate));
}
