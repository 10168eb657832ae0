// diagnose_error's speed: diagnoses per second on typical pasted errors (the reference corpus),
// and the time for 1 MiB of adversarial input. Peers, measured in the same run on the same
// texts: the straightforward way to apply the same knowledge (lowercase the text, one
// String.includes per known phrase — it only FINDS phrases; ours also normalises, detects the
// client, extracts facts and writes the fix steps), and `grep -F -i -f phrases` spawned like our CLI.
// Linearity rows (the claims the unit and fuzz tests used to hold as wall-time thresholds): ours
// on the big input per quarter (diagnose, 1 MiB) or per tenth (PEM scan, 10 MB) against ours on
// the small input, in the same run. A ratio near 1 is linear; a quadratic scan shows 0.25 / 0.1.
//
// Runs inside bench/run.ts (`npm run bench -- --only diagnose`) or on its own:
//   node --import tsx bench/diagnose.ts [--json]      (BENCH_DIAGNOSE_RUNS, default 15; BENCH_DIAGNOSE_PASSES, default 20)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { diagnose } from '../src/diagnose/engine.js';
import { normalizeErrorText } from '../src/diagnose/normalize.js';
import { pemBlocks, scanPemBlocks } from '../src/pki/pem.js';
import { ALL_SIGNALS } from '../src/diagnose/rules/index.js';
import { CLI_BUNDLE, REPO_ROOT, Scratch, cliEnv, envInt, interleave, progress, row, runWhenInvokedDirectly, timeSpawn, type BenchResult } from './harness.js';
import { formatMs, summarize } from './stats.js';

const MiB = 1_048_576;
const CORPUS = path.join(REPO_ROOT, 'test', 'corpus', 'reference', 'diagnose-cases.json');

interface CorpusCase {
  text: string;
  expected_code: string;
  given_client?: Parameters<typeof diagnose>[0]['client'];
  connection_string?: string;
}

export interface DiagnoseBenchOptions {
  runs: number;
  warmups: number;
  /** Passes over the corpus per sample: one pass (~91 texts, a few ms) mostly measures V8 warming up, not diagnose. */
  passes?: number;
}

/** The peer's whole algorithm: which known phrases occur, one includes() per phrase. */
const PHRASES = [...new Set(ALL_SIGNALS.map((s) => s.phrase))];
function naiveMatch(text: string): number {
  const lower = text.toLowerCase();
  let found = 0;
  for (const phrase of PHRASES) if (lower.includes(phrase)) found++;
  return found;
}

/** Near-misses of a long phrase: the input that hurts backtracking matchers most. */
export function adversarialMiB(): string {
  const unit = 'x509: certificate signed by unknown authorit';
  return unit.repeat(Math.ceil(MiB / unit.length)).slice(0, MiB);
}

/** BEGIN lines that never END: the input that hurts a PEM scanner that rescans from each BEGIN. */
function unterminatedPem(bytes: number): string {
  const unit = '-----BEGIN CERTIFICATE-----\n';
  return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
}

function loadCorpus(): CorpusCase[] {
  return (JSON.parse(fs.readFileSync(CORPUS, 'utf8')) as { cases: CorpusCase[] }).cases;
}

function timeMs(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

/** Wall ms per item, recording CPU µs per item (process.cpuUsage: user + system) into `cpu`: on a loaded machine wall time includes waiting for a core. */
function timeWithCpu(cpu: number[], items: number, fn: () => void): number {
  const startCpu = process.cpuUsage();
  const ms = timeMs(fn);
  const used = process.cpuUsage(startCpu);
  cpu.push((used.user + used.system) / items);
  return ms / items;
}

export async function benchDiagnose(options: DiagnoseBenchOptions): Promise<BenchResult> {
  const passes = options.passes ?? envInt('BENCH_DIAGNOSE_PASSES', 20);
  const corpus = loadCorpus();
  const texts = corpus.map((c) => c.text);
  const inputs = corpus.map((c) => ({ error_text: c.text, ...(c.given_client ? { client: c.given_client } : {}), ...(c.connection_string ? { connection_string: c.connection_string } : {}) }));
  const correct = corpus.filter((c, i) => diagnose(inputs[i]!).code === c.expected_code).length;
  const adversarial = adversarialMiB();
  const scratch = new Scratch('crdb-tls-bench-diagnose-');
  try {
    const dir = scratch.dir('inputs');
    const phrasesFile = path.join(dir, 'phrases.txt');
    fs.writeFileSync(phrasesFile, PHRASES.join('\n') + '\n');
    const adversarialFile = path.join(dir, 'adversarial.txt');
    fs.writeFileSync(adversarialFile, adversarial);
    const typicalFile = path.join(dir, 'typical.txt');
    fs.writeFileSync(typicalFile, texts.find((t) => t.includes('PKIX'))!);
    const grepCheck = spawnSync('grep', ['-F', '-i', '-c', '-f', phrasesFile, typicalFile], { encoding: 'utf8' });
    if (grepCheck.error) throw new Error('grep is not installed; the CLI peer needs it');

    for (let w = 0; w < options.warmups; w++) {
      for (const input of inputs) diagnose(input);
      diagnose({ error_text: adversarial });
      for (const text of texts) naiveMatch(text);
    }

    progress(`diagnose: ${corpus.length} reference texts per pass, ${passes} passes a sample; 1 MiB adversarial input; ${options.runs} runs`);
    const cpuOurs: number[] = [];
    const cpuPeer: number[] = [];
    const perText = await interleave('diagnose typical', options.runs, {
      ours: () => timeWithCpu(cpuOurs, inputs.length * passes, () => { for (let p = 0; p < passes; p++) for (const input of inputs) diagnose(input); }),
      peer: () => timeWithCpu(cpuPeer, texts.length * passes, () => { for (let p = 0; p < passes; p++) for (const text of texts) naiveMatch(text); }),
    });
    const big = await interleave('diagnose 1 MiB', options.runs, {
      ours: () => timeMs(() => diagnose({ error_text: adversarial })),
      peer: () => timeMs(() => naiveMatch(adversarial)),
    });
    const quarter = adversarial.slice(0, MiB / 4);
    const linear = await interleave('diagnose linearity', options.runs, {
      ours: () => timeMs(() => diagnose({ error_text: adversarial })) / 4,
      peer: () => timeMs(() => diagnose({ error_text: quarter })),
    });
    const pemLarge = unterminatedPem(10 * 1_000_000);
    const pemSmall = unterminatedPem(1_000_000);
    const scanPem = (text: string) => { pemBlocks(text); scanPemBlocks(text, 'required'); };
    const pemLinear = await interleave('PEM scan linearity', Math.max(3, Math.ceil(options.runs / 3)), {
      ours: () => timeMs(() => scanPem(pemLarge)) / 10,
      peer: () => timeMs(() => scanPem(pemSmall)),
    });
    // Spawned: what a person runs at a shell, start-up included.
    const cliRuns = Math.max(3, Math.ceil(options.runs / 3));
    const redirect = (file: string, command: string) => ['-c', `${command} < ${JSON.stringify(file)}`];
    const spawned = await interleave('diagnose CLI', cliRuns, {
      ours: () => timeSpawn('sh', redirect(adversarialFile, `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_BUNDLE)} diagnose - --json > /dev/null`), { env: cliEnv() }).ms,
      // grep exits 1 when nothing matches; `; true` keeps that from counting as a failure.
      peer: () => timeSpawn('sh', redirect(adversarialFile, `grep -F -i -c -f ${JSON.stringify(phrasesFile)} > /dev/null; true`)).ms,
      // The same CLI on one typical line: how much of the above is process start-up.
      oursTypical: () => timeSpawn('sh', redirect(typicalFile, `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_BUNDLE)} diagnose - --json > /dev/null`), { env: cliEnv() }).ms,
    });

    const rate = 1000 / summarize(perText.ours).median;
    const rows = [
      row('diagnose-typical', 'diagnose a typical pasted error (per text), in-process', perText.ours, perText.peer, `diagnose() over the ${corpus.length} reference texts`, `lowercase + ${PHRASES.length} × String.includes per text`),
      row('diagnose-1mib', 'diagnose 1 MiB of adversarial text, in-process', big.ours, big.peer, 'diagnose() on 1 MiB of near-miss phrase prefixes', `lowercase + ${PHRASES.length} × String.includes on the same 1 MiB`),
      row('diagnose-linear', 'diagnose: 1 MiB per 256 KiB vs 256 KiB (linear ≈ 1)', linear.ours, linear.peer, 'diagnose() on 1 MiB of near-miss phrases, ÷ 4', 'diagnose() on the first 256 KiB of it'),
      row('pem-10mb-linear', 'PEM scan: 10 MB per MB vs 1 MB (linear ≈ 1)', pemLinear.ours, pemLinear.peer, 'pemBlocks + scanPemBlocks(required) on 10 MB of BEGIN lines without END, ÷ 10', 'the same on 1 MB'),
      row('diagnose-1mib-cli', 'diagnose 1 MiB of adversarial text vs grep, CLI (spawn)', spawned.ours, spawned.peer, 'crdb-tls diagnose - --json < adversarial.txt', `grep -F -i -c -f phrases.txt (${PHRASES.length} phrases) < adversarial.txt`),
    ];
    const normalizedLength = normalizeErrorText(adversarial).text.length;
    return {
      rows,
      notes: [
        `diagnose: ${Math.round(rate).toLocaleString('en-US')} diagnoses per second on typical pasted errors (median ${formatMs(summarize(perText.ours).median)} each over the ${corpus.length} reference texts: one-line messages, JDBC traces, JSON-dumped errors, server log lines).`,
        `diagnose: CPU per typical text ${summarize(cpuOurs).median.toFixed(1)} µs median (process.cpuUsage, user + system; ${Math.round(1e6 / summarize(cpuOurs).median).toLocaleString('en-US')} a second of one core), the peer ${summarize(cpuPeer).median.toFixed(1)} µs.`,
        `diagnose: 1 MiB of adversarial input (${normalizedLength.toLocaleString('en-US')} characters of near-miss phrases) in ${formatMs(summarize(big.ours).median)} median, max ${formatMs(summarize(big.ours).max)}; the limit is 1,048,576 bytes.`,
        `diagnose: 1 MiB vs 256 KiB, time per 256 KiB ${formatMs(summarize(linear.ours).median)} vs ${formatMs(summarize(linear.peer).median)} (ratio near 1: linear); PEM scan of 10 MB of unterminated BEGIN lines ${formatMs(summarize(pemLinear.ours).median * 10)} median.`,
        `diagnose: accuracy on the reference corpus ${correct}/${corpus.length}.`,
        `diagnose CLI: ${formatMs(summarize(spawned.oursTypical).median)} median for one typical error (node start-up and the bundle load dominate), ${formatMs(summarize(spawned.ours).median)} for 1 MiB.`,
        'diagnose peers only FIND phrases (no normalisation, client detection, facts or fix steps); they show what a plain search of the same knowledge costs, not a competing diagnoser.',
      ],
    };
  } finally {
    scratch.dispose();
  }
}

await runWhenInvokedDirectly(import.meta.url, () => benchDiagnose({ runs: envInt('BENCH_DIAGNOSE_RUNS', 15), warmups: envInt('BENCH_WARMUPS', 1) }));
