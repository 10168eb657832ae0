import * as z from 'zod';
import { MAX_PASTED_TEXT } from '../src/core/read-file.js';
import { defineTool } from '../src/core/tool.js';
import { readMaterial } from './probe-material.js';
import { ClientId } from '../src/diagnose/index.js';
import { DEFAULT_PROBE_TIMEOUT_MS, ProbeReport, probeServer, renderProbe } from '../src/net/probe.js';


export const hostField = z.string().min(1).max(255).describe('Host name or IP address of the node / load balancer, as the client dials it');
export const portField = z.number().int().min(1).max(65535).default(26257).describe('SQL port (default 26257)');

export default defineTool({
  name: 'probe_server',
  title: 'Probe a server\'s TLS (pgwire SSLRequest + handshake)',
  description:
    'Connects to host:port like `openssl s_client -starttls postgres`: sends the pgwire SSLRequest, does the TLS handshake and reports whether the server speaks TLS at all ' +
    '(S / N / not pgwire / closed / no answer), protocol and cipher, the whole presented chain (subject, issuer, SANs, validity, fingerprints), verification against ca ' +
    "(or Node's bundled public CAs), the host-name check, whether the client certificate (cert + key) is accepted (it sends a StartupMessage: TLS 1.3 refuses a client certificate only after the handshake), " +
    'and the client-CA names the server lists in its TLS 1.2 CertificateRequest. Every fault is a finding with a diagnosis code and the same fix steps as diagnose_error. ' +
    'Nothing is written; the whole probe ends within timeout_ms (default 5000). The target must be allowed by CRDB_TLS_NETWORK_ALLOW (refused otherwise, before any connection); a port that is not pgwire is classified, its bytes are not shown. ' +
    'Example: { "host": "db.example.com", "port": 26257, "ca": "certs/ca.crt", "cert": "certs/client.app.crt", "key": "certs/client.app.key" }',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  effects: 'network',
  input: z.object({
    host: hostField,
    port: portField,
    ca: z.string().min(1).max(MAX_PASTED_TEXT).optional().describe('CA certificate(s) to verify the server against: a file path or PEM text (default: Node\'s bundled public CAs)'),
    cert: z.string().min(1).max(MAX_PASTED_TEXT).optional().describe('Client certificate to present (path or PEM); needs key'),
    key: z.string().min(1).max(MAX_PASTED_TEXT).optional().describe('Client private key (path, or PEM); never echoed'),
    servername: z.string().min(1).max(255).optional().describe('SNI and the name checked against the certificate, when it differs from host (e.g. a Cloud host reached through an IP)'),
    user: z.string().min(1).max(63).optional().describe('SQL user of the test login (default: the client certificate\'s CN, else root)'),
    database: z.string().min(1).max(63).optional().describe('Database of the test login (default defaultdb)'),
    timeout_ms: z.number().int().min(100).max(60_000).default(DEFAULT_PROBE_TIMEOUT_MS).describe('Budget for the whole probe, every phase included'),
    client_ca_names: z.boolean().default(true).describe('Also read the client-CA names of the CertificateRequest (a second, short handshake when the server negotiates TLS 1.3)'),
    client: ClientId.optional().describe('The client the fix steps are written for (default: libpq parameters)'),
  }),
  output: ProbeReport,
  run: async (input, ctx) => {
    const [ca, cert, key] = await Promise.all([readMaterial(input.ca, 'CA', ctx), readMaterial(input.cert, 'client certificate', ctx), readMaterial(input.key, 'client key', ctx)]);
    return probeServer({
      host: input.host,
      port: input.port,
      network: ctx.config.network,
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      ...(input.servername ? { servername: input.servername } : {}),
      ...(input.user ? { user: input.user } : {}),
      ...(input.database ? { database: input.database } : {}),
      ...(input.client ? { client: input.client } : {}),
      timeoutMs: input.timeout_ms,
      clientCaNames: input.client_ca_names,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.progress ? { progress: ctx.progress } : {}),
    });
  },
  summary: renderProbe,
});
