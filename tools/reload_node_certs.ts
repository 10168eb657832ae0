import * as z from 'zod';
import { defineTool, type ToolContext } from '../src/core/tool.js';
import { DEFAULT_RELOAD_TIMEOUT_MS, ReloadReport, assessReload, reloadNodeCerts, renderReload, type ReloadOptions } from '../src/rotation/reload.js';
import { hostField, portField } from './probe_server.js';
import { readMaterial } from './probe-material.js';

const Input = z.object({
  pid: z.number().int().min(1).optional().describe('Process id of the node (give pid or pidfile)'),
  pidfile: z.string().min(1).max(4096).optional().describe('Pid file of the node: cockroach --pid-file, or PostgreSQL\'s <data dir>/postmaster.pid (first line)'),
  host: hostField,
  port: portField,
  ca: z.string().min(1).max(4096).optional().describe('CA file to verify the served chain against'),
  servername: z.string().min(1).max(255).optional().describe('SNI / name checked, when it differs from host'),
  expect_cert: z.string().min(1).max(4096).optional().describe('The certificate file the node should serve after the reload (compared by SHA-256 fingerprint); default: any certificate other than the one served before'),
  expect_same: z.boolean().default(false).describe('Only trust files changed (ca.crt): success is the node answering with the same certificate'),
  timeout_ms: z.number().int().min(500).max(600_000).default(DEFAULT_RELOAD_TIMEOUT_MS).describe('How long to wait for the node to serve the expected certificate'),
  interval_ms: z.number().int().min(50).max(10_000).default(250).describe('Time between probes'),
});

async function options(input: z.infer<typeof Input>, ctx: ToolContext): Promise<ReloadOptions> {
  // Refused before anything: no probe, no signal (CRDB_TLS_NETWORK_ALLOW).
  await ctx.config.network.admitAll([{ host: input.host, port: input.port }]);
  const ca = await readMaterial(input.ca, 'CA', ctx);
  return {
    ...(input.pid !== undefined ? { pid: input.pid } : {}),
    ...(input.pidfile !== undefined ? { pidfile: ctx.paths.resolve(input.pidfile, 'pid file') } : {}),
    host: input.host,
    port: input.port,
    ...(ca ? { ca } : {}),
    ...(input.servername ? { servername: input.servername } : {}),
    ...(input.expect_cert ? { expectCert: ctx.paths.resolve(input.expect_cert, 'expected certificate') } : {}),
    expectSame: input.expect_same,
    timeoutMs: input.timeout_ms,
    intervalMs: input.interval_ms,
    network: ctx.config.network,
    ...(ctx.config.reloadProcesses ? { allowedProcesses: ctx.config.reloadProcesses } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.progress ? { progress: ctx.progress } : {}),
  };
}

export default defineTool({
  name: 'reload_node_certs',
  title: 'Reload a node\'s certificates (SIGHUP) and check what it serves',
  description:
    'Sends SIGHUP to a node process on this machine (CockroachDB rescans its certs dir; a PostgreSQL postmaster re-reads its TLS files), then probes host:port until the node serves the expected certificate (compared by SHA-256 fingerprint: expect_cert, or simply a different one than before) or timeout_ms passes. ' +
    'Reports success, or that the node kept its old certificate (CockroachDB keeps it when a reload fails) with where to look. Only a process whose executable is cockroach, postgres or postmaster (CRDB_TLS_RELOAD_PROCESSES) is signalled, and only the PostgreSQL postmaster, not a backend; the process start time is part of what is confirmed. Signalling a process is medium severity and goes through the confirmation gate. ' +
    'Example: { "pidfile": "/var/run/cockroach.pid", "host": "node1.example.com", "port": 26257, "ca": "certs/ca.crt", "expect_cert": "certs/node.crt" }',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  effects: 'signals-process',
  input: Input,
  output: ReloadReport,
  assess: async (input, ctx) => assessReload(await options(input, ctx)),
  run: async (input, ctx) => reloadNodeCerts(await options(input, ctx)),
  summary: renderReload,
});
