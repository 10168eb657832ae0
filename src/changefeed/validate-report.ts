/**
 * The shapes a sink TLS check fills in: what each embedded certificate and key is, the material
 * as CockroachDB gets it, who reads it, and the report the certificate and key checks write to.
 */
import * as z from 'zod';
import type { ParsedCertificate } from '../pki/certificate.js';
import { CertificateInfo } from '../pki/schemas.js';
import type { SinkProblem } from './problems.js';
import type { Endpoint, SinkKind } from './sink-params.js';

export const EmbeddedCertificate = CertificateInfo.pick({
  subject: true, issuer: true, not_before: true, not_after: true, days_left: true, sha256_fingerprint: true, is_ca: true, public_key: true, ext_key_usage: true,
}).extend({
  param: z.enum(['ca_cert', 'client_cert']),
  where: z.enum(['sink', 'schema_registry']),
  encoding: z.enum(['pem', 'der']).describe('How the certificate sits in the URI; CockroachDB reads PEM only'),
});
export type EmbeddedCertificate = z.infer<typeof EmbeddedCertificate>;

export const EmbeddedKey = z.object({
  param: z.literal('client_key'),
  where: z.enum(['sink', 'schema_registry']),
  encoding: z.enum(['pem', 'der', 'other']),
  format: z.enum(['PKCS#1', 'PKCS#8', 'SEC1']).nullable(),
  type: z.string().nullable().describe('rsa, ec, ed25519, ...; null when the key cannot be read'),
  bits: z.number().int().optional(),
  curve: z.string().optional(),
  encrypted: z.boolean(),
  matches_certificate: z.boolean().nullable().describe('Whether client_key belongs to client_cert; null when one of them cannot be read'),
});
export type EmbeddedKey = z.infer<typeof EmbeddedKey>;

/** Bytes exactly as CockroachDB gets them after base64 decoding. */
export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface MaterialContext {
  where: Endpoint;
  /** Who reads the material: the Kafka sink (ignores a bad ca_cert), the webhook sink or the registry (refuse it). */
  reader: SinkKind | 'schema_registry';
  now: Date;
  /** File names to put in fix commands (defaults: ca.crt, client.crt, client.key). */
  files?: { ca?: string; cert?: string; key?: string };
}

export interface TlsMaterialReport {
  certificates: EmbeddedCertificate[];
  key: EmbeddedKey | null;
  problems: SinkProblem[];
  /** The parsed CA and client certificates, for callers that go further (a handshake test). */
  caCertificates: ParsedCertificate[];
  clientCertificates: ParsedCertificate[];
}
