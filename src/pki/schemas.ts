import * as z from 'zod';
import type { CertificateInfo as CertificateInfoType } from './certificate.js';
import type { Finding as FindingType } from './lint.js';
import type { CertListing as CertListingType } from './list.js';
import type { ChainVerification as ChainVerificationType, Purpose as PurposeType } from './verify.js';

/**
 * The public shapes of the certificate domain as zod schemas, for the tools and the prepared
 * listings. The domain itself (certificate.ts, lint.ts, verify.ts, list.ts) declares the same
 * shapes as plain types and imports none of this, so that `crdb-tls cert list` runs without zod
 * (src/cli/list-lane.ts, issue 19). The checks at the end fail the typecheck when a schema and
 * its type part.
 */

const PublicKeyInfo = z.object({ type: z.string(), bits: z.number().int().optional(), curve: z.string().optional() });
export const CertificateInfo = z.object({
  subject: z.string(),
  common_name: z.string(),
  issuer: z.string(),
  serial: z.string().describe('hex'),
  not_before: z.string(),
  not_after: z.string(),
  days_left: z.number().int(),
  is_ca: z.boolean(),
  path_len: z.number().int().nullable(),
  key_usage: z.array(z.string()),
  ext_key_usage: z.array(z.string()),
  sans: z.object({ dns: z.array(z.string()), ip: z.array(z.string()), uri: z.array(z.string()), email: z.array(z.string()) }),
  public_key: PublicKeyInfo,
  signature_algorithm: z.string(),
  sha256_fingerprint: z.string(),
  self_signed: z.boolean(),
});

export const Finding = z.object({
  rule: z.string(),
  level: z.enum(['error', 'warning']),
  message: z.string(),
});

/**
 * What the leaf is verified for. server_auth and client_auth are OpenSSL's sslserver/sslclient
 * purposes and Go's ExtKeyUsageServerAuth/ClientAuth; any checks the chain alone (a CA file, a
 * certificate of unknown role).
 */
const Purpose = z.enum(['server_auth', 'client_auth', 'any']);

export const ChainVerification = z.object({
  verified: z.boolean(),
  purpose: Purpose.describe('What the leaf was verified for: server_auth (a server certificate), client_auth (a client certificate) or any (the chain alone)'),
  path: z.array(z.string()).describe('Subjects from the leaf to the trusted CA'),
  error: z.string().optional(),
});

const CertRow = z.object({
  usage: z.string(),
  certificate_file: z.string(),
  key_file: z.string(),
  expires: z.string().describe('NotAfter of the first certificate, yyyy/mm/dd as cockroach cert list prints it'),
  expires_at: z.string().nullable(),
  days_left: z.number().int().nullable(),
  notes: z.string(),
  error: z.string(),
  certificates: z.array(z.object({ subject: z.string(), not_after: z.string(), days_left: z.number().int(), sha256_fingerprint: z.string() })),
  findings: z.array(Finding),
});

export const CertListing = z.object({
  certs_dir: z.string(),
  rows: z.array(CertRow),
  dir_findings: z.array(Finding).describe('About the directory itself: writable by others, staging copies an interrupted write left'),
  errors: z.number().int(),
  warnings: z.number().int(),
  earliest_expiry: z.object({ certificate_file: z.string(), not_after: z.string(), days_left: z.number().int() }).nullable(),
  fail_within_days: z.number().nullable(),
  expiring_within_threshold: z.array(z.string()).describe('Certificate files with a certificate expiring within fail_within_days'),
});

// Each schema's type is its plain twin, exactly (a field added to one and not the other fails here).
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(holds: Same<A, B>) => holds;
same<z.infer<typeof CertificateInfo>, CertificateInfoType>(true);
same<z.infer<typeof Finding>, FindingType>(true);
same<z.infer<typeof Purpose>, PurposeType>(true);
same<z.infer<typeof ChainVerification>, ChainVerificationType>(true);
same<z.infer<typeof CertListing>, CertListingType>(true);
