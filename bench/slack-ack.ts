// How fast the Slack app acknowledges a slash command when 50 arrive at once (Slack's limit is
// 3 s; after it the user sees "operation_timeout" and Slack may retry). Ours: the bundled
// `crdb-tls slack --port 0`, spawned, each command a signed `/crdb-tls diagnose <pasted error>`
// that goes on to diagnose and post to a local Slack Web API stand-in after the ack, so the acks
// of later commands compete with the work of earlier ones. Peer: a bare Bolt 5.1 app in its own
// process whose handler only acks: the floor Bolt's HTTP receiver sets on this machine. Everything
// listens on 127.0.0.1.
//
// Fair by construction: both run the same @slack/bolt from node_modules (the bundle leaves it
// out), both HTTP servers keep idle connections 65 s (so neither pays new TCP connections in a
// later burst), both get the same warm-up bursts, and the bursts alternate ours-peer, peer-ours.
// The peer's burst starts only after our answers are all posted, so only our acks compete with our
// own work. A burst's p99 with 50 commands is about its slowest ack, so the row needs many bursts:
// 60 by default (a burst takes ~0.1 s; with 20, two runs of the same build gave 1.07× faster and
// 1.12× slower), after 5 warm-up bursts each, so that both apps' code is warm before any counts,
// and the note gives the median of the per-round ratios, which a machine whose
// load changes between rounds moves least.
//
// Runs inside bench/run.ts (`npm run bench -- --only slack`) or on its own:
//   node --import tsx bench/slack-ack.ts [--json]     (BENCH_SLACK_ROUNDS, default 60; BENCH_SLACK_WARMUPS, default 5; BENCH_SLACK_CONCURRENCY, default 50)
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { post, signed, slashCommandBody } from '../test/support/slack-signing.js';
import { SlackStandin } from '../test/support/slack-standin.js';
import { CLI_BUNDLE, REPO_ROOT, Scratch, cliEnv, envInt, progress, row, runWhenInvokedDirectly, type BenchResult } from './harness.js';
import { formatMs } from './stats.js';

export const SLACK_ROUNDS = 60;
export const SLACK_WARMUPS = 5;

const BOT_TOKEN = 'xoxb-bench-0000-token';
const SECRET = 'bench-signing-secret-0123456789abcdef';
const CORPUS = path.join(REPO_ROOT, 'test', 'corpus', 'reference', 'diagnose-cases.json');

export interface SlackAckBenchOptions {
  rounds: number;
  concurrency: number;
  warmups: number;
}

/** The q-quantile of the samples (nearest rank on sorted values, interpolated). */
export function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const PEER_SCRIPT = `
import bolt from '@slack/bolt';
const receiver = new bolt.HTTPReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET, endpoints: '/slack/events' });
const app = new bolt.App({ token: process.env.SLACK_BOT_TOKEN, receiver, tokenVerificationEnabled: false, botId: 'B0', botUserId: 'U0',
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL, retryConfig: { retries: 0 } }, logLevel: 'error' });
app.command(/.*/, async ({ ack }) => { await ack(); });
const server = await app.start({ port: 0, host: '127.0.0.1' });
server.keepAliveTimeout = 65000;
process.stderr.write('listening on http://127.0.0.1:' + server.address().port + '/slack/events\\n');
process.on('SIGTERM', () => app.stop().then(() => process.exit(0)));
`;

/** Spawns a server and resolves with the URL it prints on stderr. */
function startServer(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`no "listening on" line after 20 s: ${stderr}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+\/slack\/events)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]! });
      }
    });
    child.on('exit', (code) => reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** One burst: `concurrency` signed slash commands at once; the ack latency of each (ms). Every ack must be a 200. */
async function burst(url: string, standin: SlackStandin, texts: string[], concurrency: number): Promise<number[]> {
  const requests = Array.from({ length: concurrency }, (_, i) =>
    signed(SECRET, slashCommandBody({ text: `diagnose ${texts[i % texts.length]!}`, user_id: `U0BENCH${i}`, channel_id: 'C0BENCH', response_url: standin.responseUrl() }), 'application/x-www-form-urlencoded'));
  const answers = await Promise.all(requests.map((r) => post(url, r)));
  const failed = answers.find((a) => a.status !== 200);
  if (failed) throw new Error(`an acknowledgement was ${failed.status}: ${failed.body}`);
  return answers.map((a) => a.ms);
}

export async function benchSlackAck(options: SlackAckBenchOptions): Promise<BenchResult> {
  if (!fs.existsSync(CLI_BUNDLE)) throw new Error(`${CLI_BUNDLE} does not exist: run npm run build`);
  const corpus = (JSON.parse(fs.readFileSync(CORPUS, 'utf8')) as { cases: Array<{ text: string }> }).cases.map((c) => c.text.replace(/\s+/g, ' ').slice(0, 2000));
  const scratch = new Scratch('crdb-tls-bench-slack-');
  const standin = await SlackStandin.start({ botToken: BOT_TOKEN });
  const env = { ...cliEnv(), SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: standin.apiUrl, CRDB_TLS_STATE_DIR: scratch.dir('state'), CRDB_TLS_ROOTS: scratch.dir('roots'), CRDB_TLS_LOG_LEVEL: 'error' };
  const children: ChildProcess[] = [];
  try {
    const ours = await startServer(process.execPath, [CLI_BUNDLE, 'slack', '--port', '0'], env);
    children.push(ours.child);
    const peer = await startServer(process.execPath, ['--input-type=module', '-e', PEER_SCRIPT], env);
    children.push(peer.child);

    /** Our answers (the chat.update that replaces each "working" message) for the burst that began at `since`. */
    const answered = (since: number, n: number) => standin.waitFor(() => {
      const updates = standin.calls.slice(since).filter((c) => c.method === 'chat.update');
      return updates.length >= n ? updates : undefined;
    }, 120_000, `${n} answers`);

    const oursAck: number[] = [];
    const peerAck: number[] = [];
    // Each burst's p99 (with 50 commands, about its slowest ack): what the last people to type wait.
    const oursBurstP99: number[] = [];
    const peerBurstP99: number[] = [];
    const answerMs: number[] = [];
    const total = options.warmups + options.rounds;
    progress(`slack: ${options.rounds} rounds of ${options.concurrency} concurrent signed slash commands (+${options.warmups} warm-up), ours then peer, interleaved`);
    for (let round = 0; round < total; round++) {
      const counted = round >= options.warmups;
      const order = round % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours'];
      for (const who of order) {
        if (who === 'ours') {
          const since = standin.calls.length;
          const started = performance.now();
          const acks = await burst(ours.url, standin, corpus, options.concurrency);
          const updates = await answered(since, options.concurrency);
          if (counted) {
            oursAck.push(...acks);
            oursBurstP99.push(quantile(acks, 0.99));
            // Time to the last answer of the burst, from its start: how long the 50th person waits.
            answerMs.push(Math.max(...updates.map((u) => u.at)) - (performance.timeOrigin + started));
          }
        } else {
          const acks = await burst(peer.url, standin, corpus, options.concurrency);
          if (counted) {
            peerAck.push(...acks);
            peerBurstP99.push(quantile(acks, 0.99));
          }
        }
      }
      progress(`slack: round ${round + 1}/${total}${counted ? '' : ' (warm-up)'}`);
    }
    const p = (samples: number[], q: number) => formatMs(quantile(samples, q));
    // The two bursts of a round ran seconds apart, under about the same load of the machine.
    const roundRatios = oursBurstP99.map((ours, i) => ours / peerBurstP99[i]!);
    return {
      rows: [
        row('slack-ack-50', `Slack slash command ack, ${options.concurrency} concurrent (spawned app)`, oursAck, peerAck,
          `crdb-tls slack --port 0; ${options.concurrency} × signed "/crdb-tls diagnose <reference error>" at once`, 'bare Bolt 5.1 HTTPReceiver app whose handler only acks'),
        row('slack-ack-50-p99', `Slack slash command ack p99 of each burst of ${options.concurrency} (spawned app)`, oursBurstP99, peerBurstP99,
          `the p99 ack of each burst above (median over ${options.rounds} bursts)`, 'the same, bare Bolt app'),
      ],
      notes: [
        `slack ack (${oursAck.length} commands in ${options.rounds} bursts of ${options.concurrency}): ours p50 ${p(oursAck, 0.5)}, p99 ${p(oursAck, 0.99)}, max ${formatMs(Math.max(...oursAck))}; bare Bolt p50 ${p(peerAck, 0.5)}, p99 ${p(peerAck, 0.99)}. Slack's limit is 3,000 ms.`,
        `slack ack p99 per round, ours / bare Bolt: median ${quantile(roundRatios, 0.5).toFixed(2)} over ${options.rounds} rounds (quartiles ${quantile(roundRatios, 0.25).toFixed(2)} – ${quantile(roundRatios, 0.75).toFixed(2)}).`,
        `slack answer: the last of ${options.concurrency} diagnoses replaced its "working" message ${p(answerMs, 0.5)} after the burst began (median of ${answerMs.length} bursts, max ${formatMs(Math.max(...answerMs))}); the Web API is a local stand-in, so Slack's own latency is not in it.`,
      ],
    };
  } finally {
    await Promise.all(children.map(stop));
    await standin.close();
    scratch.dispose();
  }
}

await runWhenInvokedDirectly(import.meta.url, () => benchSlackAck({ rounds: envInt('BENCH_SLACK_ROUNDS', SLACK_ROUNDS), concurrency: envInt('BENCH_SLACK_CONCURRENCY', 50), warmups: envInt('BENCH_SLACK_WARMUPS', SLACK_WARMUPS) }));
