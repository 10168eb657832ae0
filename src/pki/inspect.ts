import * as z from 'zod';
import { CertificateInfo, parseCertificates } from './certificate.js';
import { Finding, lintAgainstIssuer, lintCertificate, type CertRole } from './lint.js';
import { ChainVerification, findIssuer, verifyChain } from './verify.js';

export const Inspection = z.object({
  source: z.string(),
  certificates: z.array(CertificateInfo).describe('Every certificate of the input, in order'),
  chain: ChainVerification.extend({ ca_source: z.string() }).nullable().describe('Present when a CA was given'),
  findings: z.array(Finding),
});
export type Inspection = z.infer<typeof Inspection>;

function guessRole(info: CertificateInfo): CertRole {
  if (info.is_ca) return 'ca';
  if (info.common_name === 'node' || info.ext_key_usage.includes('serverAuth')) return 'node';
  if (info.ext_key_usage.includes('clientAuth')) return 'client';
  return 'other';
}

export interface InspectInput {
  contents: Buffer | string;
  source: string;
  ca?: { contents: Buffer | string; source: string };
  now?: Date;
}

/** Fields, fingerprints and lint findings of every certificate, and the chain against a CA. */
export function inspectCertificates(input: InspectInput): Inspection {
  const now = input.now ?? new Date();
  const certs = parseCertificates(input.contents, input.source, now);
  const trusted = input.ca ? parseCertificates(input.ca.contents, input.ca.source, now) : [];
  const findings = certs.flatMap((cert) => lintCertificate(cert, guessRole(cert.info), now));
  const leaf = certs[0]!;
  const issuer = findIssuer(leaf, [...certs.slice(1), ...trusted]);
  if (issuer && !leaf.info.is_ca) findings.push(...lintAgainstIssuer(leaf, issuer));
  const chain = input.ca ? { ...verifyChain(leaf, certs.slice(1), trusted, now), ca_source: input.ca.source } : null;
  return { source: input.source, certificates: certs.map((c) => c.info), chain, findings };
}
