import * as z from 'zod';
import { CLIENT_IDS, DEPLOYMENTS } from './clients.js';

/**
 * The connection domain's public shapes as zod schemas (DESIGN.md §2): tool inputs and outputs are
 * checked and listed from these. They live apart from the code that parses and writes settings, so
 * that a `crdb-tls diagnose` that never validates through zod does not load it (src/cli/diagnose-lane.ts).
 */

export const ClientId = z.enum(CLIENT_IDS);
export type ClientId = z.infer<typeof ClientId>;

/** Where the cluster runs: CockroachDB Cloud, or nodes someone runs (their own CA). */
export const Deployment = z.enum(DEPLOYMENTS);
export type Deployment = z.infer<typeof Deployment>;

export const SettingsClient = ClientId.exclude(['kafka-changefeed']);
export type SettingsClient = z.infer<typeof SettingsClient>;

export const Snippet = z.object({
  label: z.string(),
  language: z.string().describe('url, conninfo, shell, env, js, ts, go, python, java, csharp, prisma, text'),
  text: z.string(),
});
export type Snippet = z.infer<typeof Snippet>;

export const Prerequisite = z.object({ why: z.string(), command: z.string() });
export type Prerequisite = z.infer<typeof Prerequisite>;

export const ConnectionSettings = z.object({
  client: SettingsClient,
  client_name: z.string(),
  deployment: Deployment,
  auth: z.enum(['client-certificate', 'password']),
  sslmode: z.literal('verify-full'),
  host: z.string(),
  port: z.number().int(),
  user: z.string(),
  database: z.string(),
  cluster_routing_id: z.string().nullable(),
  files: z.object({
    ca: z.string().describe('CA certificate the client trusts (sslrootcert)'),
    cert: z.string().nullable(),
    key: z.string().nullable().describe('The key file in the format THIS client reads (PKCS#8 DER .pk8 for Java, PKCS#12 for Prisma)'),
    key_format: z.string().nullable(),
  }),
  settings: z.array(Snippet).describe('The settings, most useful form first'),
  prerequisites: z.array(Prerequisite).describe('Commands to run first (key conversion, CA download)'),
  sslmode_semantics: z.string().describe("What verify-full is called in this client, and where its sslmode differs from libpq's"),
  notes: z.array(z.string()),
});
export type ConnectionSettings = z.infer<typeof ConnectionSettings>;

export const ConnectionAnalysis = z.object({
  format: z.enum(['url', 'keyword', 'dotnet']),
  scheme: z.string().nullable(),
  redacted: z.string().describe('The connection string with every password and secret replaced by ****'),
  hosts: z.array(z.object({ host: z.string(), port: z.number().int().nullable() })),
  user: z.string().nullable(),
  database: z.string().nullable(),
  has_password: z.boolean(),
  sslmode: z.string().nullable().describe('As written (normalised to libpq spelling), or null when absent'),
  params: z.record(z.string(), z.string()).describe('Query / keyword parameters, lowercased names, secrets as ****'),
  notes: z.array(z.string()).describe('What these settings mean for the client: sslmode semantics, traps, missing pieces'),
});
export type ConnectionAnalysis = z.infer<typeof ConnectionAnalysis>;
