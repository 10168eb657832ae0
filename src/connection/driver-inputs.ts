/**
 * What a connection-settings request holds and what it answers: the input, the output types (their
 * zod schemas are in schemas.ts, off the diagnosis path), the defaults, and the input resolved (user from the certificate name, cluster routing id) plus
 * the key and keystore files each family looks for.
 */
import path from 'node:path';
import { ToolError } from '../core/errors.js';
import type { ClientId, Deployment } from './clients.js';
import { isCloudHost } from './pasted-settings.js';

/** The clients connection_string writes settings for: every client but a changefeed sink. */
export type SettingsClient = Exclude<ClientId, 'kafka-changefeed'>;

export const DEFAULT_PORT = 26257;
const DEFAULT_DATABASE = 'defaultdb';
/** CockroachDB's certs-dir convention, relative so it reads as a placeholder. */
export const DEFAULT_CA_PATH = 'certs/ca.crt';

export interface SettingsInput {
  client: SettingsClient;
  host: string;
  port?: number;
  user?: string;
  database?: string;
  ca?: string;
  cert?: string;
  key?: string;
  /** CockroachDB Cloud Basic/Standard routing id (`<name>-<tenant id>`) */
  cluster?: string;
  /** Of the paths filesToLookFor names, those that exist (the caller looked; nothing here reads files). */
  existingFiles?: string[];
  /** Those the caller could look at (inside the allowed roots); the others are unknown. */
  lookedAt?: string[];
  deployment?: Deployment;
}

export type { ConnectionSettings, Prerequisite, Snippet } from './schemas.js';

export interface Resolved {
  client: SettingsClient;
  host: string;
  port: number;
  user: string;
  database: string;
  ca: string;
  cert: string | null;
  key: string | null;
  cluster: string | null;
  deployment: Deployment;
  existing: Set<string>;
  lookedAt: Set<string>;
}

const CERT_FILE_PREFIX = 'client.';
const CERT_FILE_SUFFIX = '.crt';

/** `client.alice.crt` → alice (the CockroachDB naming). */
export function userFromCertName(certPath: string): string | undefined {
  const base = path.basename(certPath);
  if (base.startsWith(CERT_FILE_PREFIX) && base.endsWith(CERT_FILE_SUFFIX) && base.length > CERT_FILE_PREFIX.length + CERT_FILE_SUFFIX.length) {
    return base.slice(CERT_FILE_PREFIX.length, -CERT_FILE_SUFFIX.length);
  }
  return undefined;
}

export function resolve(input: SettingsInput): Resolved {
  if (!input.host.trim()) throw new ToolError('invalid_input', 'host is required', 'Pass the host name the client dials (--host).');
  if ((input.cert === undefined) !== (input.key === undefined)) {
    throw new ToolError('invalid_input', 'a client certificate needs both cert and key', 'Pass --cert and --key together (or neither, for password authentication).');
  }
  const deployment: Deployment = input.deployment ?? (input.cluster || isCloudHost(input.host) ? 'cloud' : 'self-hosted');
  const user = input.user ?? (input.cert ? userFromCertName(input.cert) : undefined) ?? (deployment === 'cloud' ? '{username}' : 'root');
  return {
    client: input.client,
    host: input.host.trim(),
    port: input.port ?? DEFAULT_PORT,
    user,
    database: input.database ?? DEFAULT_DATABASE,
    ca: input.ca ?? DEFAULT_CA_PATH,
    cert: input.cert ?? null,
    key: input.key ?? null,
    cluster: input.cluster ?? null,
    deployment,
    existing: new Set(input.existingFiles ?? []),
    lookedAt: new Set(input.lookedAt ?? []),
  };
}

/** Java reads PKCS#8 DER: CockroachDB writes it as client.USER.key.pk8. */
export function pkcs8PathFor(key: string): string {
  return key.toLowerCase().endsWith('.pk8') ? key : `${key}.pk8`;
}

/** Where a .pk8 for this key may already be: CockroachDB's client.USER.key.pk8, or client.USER.pk8 as the DBeaver docs name it. */
export function pkcs8Candidates(key: string): string[] {
  if (key.toLowerCase().endsWith('.pk8')) return [key];
  return [...new Set([`${key}.pk8`, key.toLowerCase().endsWith('.key') ? `${key.slice(0, -'.key'.length)}.pk8` : `${key}.pk8`])];
}

/** The paths whose existence changes the settings (a .pk8 already made, a certificate a command would replace). */
export function filesToLookFor(input: Pick<SettingsInput, 'client' | 'cert' | 'key'>): string[] {
  if ((input.client !== 'jdbc' && input.client !== 'dbeaver') || !input.key) return [];
  return [...pkcs8Candidates(input.key), ...(input.cert ? [input.cert] : [])];
}

/** Prisma reads a PKCS#12 identity: client.USER.p12 next to the certificate. */
export function pkcs12PathFor(cert: string): string {
  return cert.toLowerCase().endsWith(CERT_FILE_SUFFIX) ? `${cert.slice(0, -CERT_FILE_SUFFIX.length)}.p12` : `${cert}.p12`;
}
