// `npm run bench`: runs every benchmark and prints one table of ratios against peer tools measured
// in this same run. Nothing is written into the repository; `--json` prints the results as JSON.
//
//   npm run bench                                   table on stdout, progress on stderr
//   npm run --silent bench -- --json                JSON on stdout
//   npm run bench -- --only issue                   one benchmark (issue | list)
//   BENCH_RUNS=25 BENCH_LIST_RUNS=7 npm run bench   more runs
//
// Env: BENCH_RUNS (client cert issuance runs, default 20), BENCH_SIGN_RUNS (CSR signing runs,
// default BENCH_RUNS), BENCH_LIST_RUNS (listing runs of ours, default 5), BENCH_LIST_PEER_RUNS (runs of
// the openssl listing loop, default 2: one run is ~1,000 openssl start-ups, ~45 s on 2 cores),
// BENCH_LIST_CERTS (client certs in the listing fixture, default 1000), BENCH_WARMUPS (untimed checked
// runs of ours before each benchmark, default 1; the client-cert peers get them too), BENCH_SLACK_ROUNDS
// and BENCH_SLACK_WARMUPS (bursts of 50 slash commands, default 60 after 5 warm-up bursts).
import { checkBundle, envInt, neutralNodeEnvironment, machineInfo, medianRange, progress, ratioText, type BenchResult, type BenchRow } from './harness.js';
import { benchIssueClientCert } from './issue-client-cert.js';
import { benchListCerts } from './list-certs.js';
import { benchDiagnose } from './diagnose.js';
import { benchColdStart } from './cold-start.js';
import { benchSlackAck, SLACK_ROUNDS, SLACK_WARMUPS } from './slack-ack.js';
import { benchProbe } from './probe.js';
import { benchInventory } from './inventory.js';
import { benchTimeline } from './timeline.js';

const BENCHMARKS = ['issue', 'list', 'diagnose', 'probe', 'slack', 'inventory', 'cold-start', 'timeline'] as const;
type BenchmarkName = (typeof BENCHMARKS)[number];

function usage(message: string): never {
  process.stderr.write(`bench: ${message}\nusage: node --import tsx bench/run.ts [--json] [--only issue,list]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): { json: boolean; only: Set<BenchmarkName> } {
  let json = false;
  let only = new Set<BenchmarkName>(BENCHMARKS);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      if (!value) usage('--only needs a list of benchmarks');
      const names = value.split(',').map((s) => s.trim());
      const unknown = names.filter((n) => !(BENCHMARKS as readonly string[]).includes(n));
      if (unknown.length) usage(`unknown benchmark ${unknown.join(', ')} (known: ${BENCHMARKS.join(', ')})`);
      only = new Set(names as BenchmarkName[]);
    } else usage(`unknown argument ${arg}`);
  }
  return { json, only };
}

function table(rows: BenchRow[]): string {
  const header = ['benchmark', 'ours: median (min – max)', 'peer: median (min – max)', 'ratio peer/ours'];
  const body = rows.map((r) => [r.benchmark, medianRange(r.ours), medianRange(r.peer), ratioText(r)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const { json, only } = parseArgs(process.argv.slice(2));
  checkBundle();
  const issueRuns = envInt('BENCH_RUNS', 20);
  const config = {
    issue_runs: issueRuns,
    sign_runs: envInt('BENCH_SIGN_RUNS', issueRuns),
    list_runs: envInt('BENCH_LIST_RUNS', 5),
    list_peer_runs: Math.min(envInt('BENCH_LIST_PEER_RUNS', 2), envInt('BENCH_LIST_RUNS', 5)),
    list_certificates: envInt('BENCH_LIST_CERTS', 1000),
    diagnose_runs: envInt('BENCH_DIAGNOSE_RUNS', 15),
    slack_rounds: envInt('BENCH_SLACK_ROUNDS', SLACK_ROUNDS),
    slack_warmups: envInt('BENCH_SLACK_WARMUPS', SLACK_WARMUPS),
    slack_concurrency: envInt('BENCH_SLACK_CONCURRENCY', 50),
    probe_runs: envInt('BENCH_PROBE_RUNS', 20),
    inventory_runs: envInt('BENCH_INVENTORY_RUNS', 5),
    inventory_peer_runs: envInt('BENCH_INVENTORY_PEER_RUNS', 2),
    inventory_certificates: envInt('BENCH_INVENTORY_CERTS', 1000),
    inventory_dirs: envInt('BENCH_INVENTORY_DIRS', 4),
    cold_start_runs: envInt('BENCH_COLD_RUNS', 20),
    timeline_runs: envInt('BENCH_TIMELINE_RUNS', 10),
    timeline_certificates: envInt('BENCH_TIMELINE_CERTS', 500),
    warmups: envInt('BENCH_WARMUPS', 1),
  };
  const machine = machineInfo();
  progress(`node ${machine.node}, ${machine.openssl_cli}, ${machine.cpus} CPUs; runs: ${JSON.stringify(config)}`);

  const started = performance.now();
  const results: BenchResult[] = [{ rows: [], notes: neutralNodeEnvironment(10) }];
  if (only.has('issue')) results.push(await benchIssueClientCert({ issueRuns: config.issue_runs, signRuns: config.sign_runs, warmups: config.warmups }));
  if (only.has('list')) results.push(await benchListCerts({ runs: config.list_runs, peerRuns: config.list_peer_runs, warmups: config.warmups, certificates: config.list_certificates }));
  if (only.has('diagnose')) results.push(await benchDiagnose({ runs: config.diagnose_runs, warmups: config.warmups }));
  if (only.has('slack')) results.push(await benchSlackAck({ rounds: config.slack_rounds, concurrency: config.slack_concurrency, warmups: config.slack_warmups }));
  if (only.has('probe')) results.push(await benchProbe({ runs: config.probe_runs, warmups: config.warmups }));
  if (only.has('inventory')) results.push(await benchInventory({ runs: config.inventory_runs, peerRuns: config.inventory_peer_runs, warmups: config.warmups, certificates: config.inventory_certificates, dirs: config.inventory_dirs }));
  if (only.has('cold-start')) results.push(await benchColdStart({ runs: config.cold_start_runs, warmups: config.warmups }));
  if (only.has('timeline')) results.push(await benchTimeline({ runs: config.timeline_runs, warmups: config.warmups, certificates: config.timeline_certificates }));
  const rows = results.flatMap((r) => r.rows);
  const notes = results.flatMap((r) => r.notes);
  const totalSeconds = (performance.now() - started) / 1000;

  if (json) {
    process.stdout.write(JSON.stringify({ machine, config, total_seconds: Number(totalSeconds.toFixed(1)), ratio: 'peer median / ours median; > 1 means ours is faster', rows, notes }, (_key, value: unknown) => (typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 100) / 100 : value), 2) + '\n');
    return;
  }
  const runsLine = [
    only.has('issue') ? `client cert ${config.issue_runs}, sign CSR ${config.sign_runs}` : '',
    only.has('list') ? `list ${config.list_runs} (openssl loop ${config.list_peer_runs})` : '',
    only.has('diagnose') ? `diagnose ${config.diagnose_runs}` : '',
    only.has('slack') ? `slack ${config.slack_rounds} rounds of ${config.slack_concurrency} concurrent requests` : '',
    only.has('probe') ? `probe ${config.probe_runs}` : '',
    only.has('inventory') ? `inventory ${config.inventory_runs} (openssl loop ${config.inventory_peer_runs})` : '',
    only.has('cold-start') ? `cold start ${config.cold_start_runs}` : '',
    only.has('timeline') ? `timeline ${config.timeline_runs} (${config.timeline_certificates} certificates)` : '',
  ].filter(Boolean).join(', ');
  const commands = new Map<string, string>();
  for (const r of rows) {
    commands.set(`ours ${r.benchmark}`, r.ours_command);
    commands.set(`peer ${r.benchmark.replace(/, (CLI \(spawn\)|in-process)$/, '')}`, r.peer_command);
  }
  const out = [
    'crdb-tls benchmarks',
    `machine: node ${machine.node} (bundled OpenSSL ${machine.node_openssl}); openssl CLI: ${machine.openssl_cli}; ${machine.cpus} CPUs (${machine.cpu_model}); ${machine.os}`,
    `runs per contender: ${runsLine} (+${config.warmups} checked warm-up per contender, not counted${only.has('list') ? '; the openssl listing loop has none, its first timed run is checked' : ''}); contenders interleaved; total ${totalSeconds.toFixed(0)} s`,
    'ratio = peer median / ours median: above 1 ours is faster, below 1 ours is slower.',
    '',
    table(rows),
    '',
    'commands:',
    ...[...commands].map(([k, v]) => `  ${k}: ${v}`),
    '',
    'notes:',
    ...notes.map((n) => `  - ${n}`),
  ];
  process.stdout.write(out.join('\n') + '\n');
}

await main();
