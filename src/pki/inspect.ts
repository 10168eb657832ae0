import * as z from 'zod';
import { parseCertificates, type CertificateInfo } from './certificate.js';
import { lintAgainstIssuer, lintCertificate, lintNodeChainAsClient, type CertRole } from './lint.js';
import * as schemas from './schemas.js';
import { findIssuer, verifyChain, type Purpose } from './verify.js';

export const Inspection = z.object({
  source: z.string(),
  certificates: z.array(schemas.CertificateInfo).describe('Every certificate of the input, in order'),
  chain: schemas.ChainVerification.extend({ ca_source: z.string() }).nullable().describe('Present when a CA was given'),
  findings: z.array(schemas.Finding),
});
export type Inspection = z.infer<typeof Inspection>;

// The RFC 5280 verdict is for the purpose the certificate looks made for; CockroachDB's stricter
// profile (a node certificate also serves as a client when nodes dial each other) is a lint finding.
const PURPOSE_OF_ROLE: Record<CertRole, Purpose> = { ca: 'any', node: 'server_auth', client: 'client_auth', other: 'any' };

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
  const role = guessRole(leaf.info);
  const issuer = findIssuer(leaf, [...certs.slice(1), ...trusted]);
  if (issuer && !leaf.info.is_ca) findings.push(...lintAgainstIssuer(leaf, issuer));
  const verdict = input.ca ? verifyChain(leaf, certs.slice(1), trusted, { purpose: PURPOSE_OF_ROLE[role], now }) : null;
  if (verdict?.verified && role === 'node') findings.push(...lintNodeChainAsClient(verifyChain(leaf, certs.slice(1), trusted, { purpose: 'client_auth', now })));
  const chain = verdict && input.ca ? { ...verdict, ca_source: input.ca.source } : null;
  return { source: input.source, certificates: certs.map((c) => c.info), chain, findings };
}
