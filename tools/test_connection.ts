import * as z from 'zod';
import { defineTool } from '../src/core/tool.js';
import { ClientId } from '../src/diagnose/index.js';
import { DEFAULT_LOGIN_TIMEOUT_MS, testConnection } from '../src/net/login.js';
import { LoginReport, SslMode, renderLogin } from '../src/net/login-report.js';

const pathField = (what: string) => z.string().min(1).max(4096).optional().describe(what);

export default defineTool({
  name: 'test_connection',
  title: 'Test a login with the given TLS settings',
  description:
    'Logs in for real with node-postgres using the TLS settings given — a connection URL / libpq keyword string (url), or host, port, user, sslmode, ca, cert, key — ' +
    "read with libpq's meaning of sslmode (verify-full checks chain and host, verify-ca the chain only, require/prefer encrypt without checking), then runs SELECT version(). " +
    "On failure the driver's real error goes through diagnose_error: the answer has the diagnosis code, explanation and fix steps. Use it to prove a fix works. " +
    'The password (in the URL, or PGPASSWORD / ~/.pgpass for a host in CRDB_TLS_PASSWORD_HOSTS) is never shown, and never sent over sslmode=disable, allow or prefer. The host must be allowed by CRDB_TLS_NETWORK_ALLOW. Example: { "host": "db.example.com", "user": "app", "sslmode": "verify-full", "ca": "certs/ca.crt", "cert": "certs/client.app.crt", "key": "certs/client.app.key" }',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  effects: 'network',
  input: z.object({
    url: z.string().min(1).max(16_384).optional().describe('Connection URL (postgresql://user@host:26257/db?sslmode=verify-full&sslrootcert=...) or libpq keyword string; the fields below override it'),
    host: z.string().min(1).max(255).optional().describe('Host (required unless in url)'),
    port: z.number().int().min(1).max(65535).optional().describe('Port (default 26257)'),
    user: z.string().min(1).max(63).optional().describe('SQL user (default root)'),
    database: z.string().min(1).max(63).optional().describe('Database (default defaultdb)'),
    sslmode: SslMode.optional().describe('libpq sslmode (default verify-full; with url, as written there, else prefer)'),
    ca: pathField('CA certificate file (sslrootcert); "system" for the public CAs'),
    cert: pathField('Client certificate file (sslcert)'),
    key: pathField('Client key file (sslkey), PEM'),
    client: ClientId.optional().describe('The client the fix steps are written for (default libpq parameters)'),
    timeout_ms: z.number().int().min(100).max(120_000).default(DEFAULT_LOGIN_TIMEOUT_MS).describe('Budget for connecting and the query'),
  }),
  output: LoginReport,
  run: (input, ctx) =>
    testConnection(
      {
        ...(input.url !== undefined ? { url: input.url } : {}),
        ...(input.host !== undefined ? { host: input.host } : {}),
        ...(input.port !== undefined ? { port: input.port } : {}),
        ...(input.user !== undefined ? { user: input.user } : {}),
        ...(input.database !== undefined ? { database: input.database } : {}),
        ...(input.sslmode !== undefined ? { sslmode: input.sslmode } : {}),
        ...(input.ca !== undefined ? { ca: input.ca } : {}),
        ...(input.cert !== undefined ? { cert: input.cert } : {}),
        ...(input.key !== undefined ? { key: input.key } : {}),
        ...(input.client !== undefined ? { client: input.client } : {}),
        timeoutMs: input.timeout_ms,
      },
      {
        resolvePath: (file, what) => ctx.paths.resolve(file, what),
        network: ctx.config.network,
        passwordHosts: ctx.config.passwordHosts,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...(ctx.progress ? { progress: ctx.progress } : {}),
      },
    ),
  summary: renderLogin,
});
