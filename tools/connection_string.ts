import fs from 'node:fs/promises';
import * as z from 'zod';
import { defineTool, type ToolContext } from '../src/core/tool.js';
import { filesToLookFor } from '../src/connection/driver-inputs.js';
import { refuseCaPairByPath } from './client-pair.js';
import { buildConnectionSettings, ConnectionSettings, Deployment, renderConnectionSettings, SettingsClient } from '../src/diagnose/index.js';

/** Which of the files that change the settings exist; a path outside the allowed roots is not looked at. */
async function lookFor(paths: string[], ctx: ToolContext): Promise<{ existingFiles: string[]; lookedAt: string[] }> {
  const existingFiles: string[] = [];
  const lookedAt: string[] = [];
  for (const p of paths) {
    let resolved: string;
    try {
      resolved = ctx.paths.resolve(p, 'file');
    } catch {
      continue;
    }
    lookedAt.push(p);
    if (await fs.stat(resolved).then((s) => s.isFile(), () => false)) existingFiles.push(p);
  }
  return { existingFiles, lookedAt };
}

export default defineTool({
  name: 'connection_string',
  title: 'Correct TLS connection settings for a client',
  description:
    'Builds verify-full connection settings for one client — psql/libpq, Go pgx and lib/pq, cockroach sql, psycopg, asyncpg, SQLAlchemy, ' +
    'pgJDBC and DBeaver (PKCS#8 DER key), .NET Npgsql, node-postgres, TypeORM, Prisma (PKCS#12 identity) — for a self-hosted cluster or ' +
    'CockroachDB Cloud (SNI / routing id), with the commands to prepare key files and a note wherever the driver\'s sslmode differs from libpq\'s. ' +
    'It names the files and reads only the client certificate and key given, to refuse a CA\'s (CA:TRUE) as the client pair; for Java it also looks whether a .pk8 already exists (and then points at it). Example: { "client": "node-pg", "host": "db.example.com", "ca": "certs/ca.crt", "cert": "certs/client.app.crt", "key": "certs/client.app.key" }',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  // 'reads-files': the client certificate and key are read (inside CRDB_TLS_ROOTS) only to refuse a
  // CA's pair; files that are not here (named for another machine) are only named.
  effects: 'reads-files',
  input: z.object({
    client: SettingsClient.describe('The client or driver to configure'),
    host: z.string().min(1).max(255).describe('Host name the client dials (the name in the node certificate)'),
    port: z.number().int().min(1).max(65535).optional().describe('SQL port (default 26257)'),
    user: z.string().min(1).max(63).optional().describe('SQL user (default: from client.USER.crt, else root)'),
    database: z.string().min(1).max(63).optional().describe('Database (default defaultdb)'),
    ca: z.string().min(1).max(4096).optional().describe('Path of the CA certificate that signed the node certificates'),
    cert: z.string().min(1).max(4096).optional().describe('Path of the client certificate (with key)'),
    key: z.string().min(1).max(4096).optional().describe('Path of the client private key (PEM, as CockroachDB writes it)'),
    cluster: z.string().min(1).max(100).optional().describe('CockroachDB Cloud routing id (<cluster-name>-<tenant id>) for clients that cannot send SNI'),
    deployment: Deployment.optional().describe('cloud or self-hosted (default: cloud for *.cockroachlabs.cloud or with cluster)'),
  }),
  output: ConnectionSettings,
  run: async (input, ctx) => {
    await refuseCaPairByPath({ cert: input.cert, key: input.key, ca: input.ca }, ctx);
    return buildConnectionSettings({ ...input, ...(await lookFor(filesToLookFor(input), ctx)) });
  },
  summary: renderConnectionSettings,
});
