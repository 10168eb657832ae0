// The expiry inventory over ~1,000 certificates in several certs dirs: `crdb-tls rotate check`
// (spawned, and takeInventory() in-process) against the shell loop people schedule with openssl.
// Ours reads every certificate of every bundle (each dir's ca.crt holds two CAs); the openssl loop
// reads only the first certificate of each file, so it does less.
import fs from 'node:fs';
import path from 'node:path';
import { CA_CERT, clientCertName } from '../src/pki/certnames.js';
import { issueCaCertificate, issueCertificate } from '../src/pki/issue.js';
import { generateRsaKey, spkiDer } from '../src/pki/keys.js';
import { takeInventory, type Inventory } from '../src/rotation/inventory.js';
import { summarize } from './stats.js';
import { CLI_BUNDLE, Scratch, cliEnv, collectGarbage, interleave, progress, row, timeAsync, timeSpawn, type BenchResult } from './harness.js';

const HOUR_MS = 3_600_000;
const PEER_LOOP = 'for d in "$@"; do for f in "$d"/*.crt; do openssl x509 -enddate -noout -in "$f"; done; done';

export interface InventoryOptions {
  runs: number;
  /** Timed runs of the openssl loop (at most `runs`): one run is ~N openssl start-ups. */
  peerRuns: number;
  warmups: number;
  /** Client certificates in all, spread over `dirs` certs dirs. */
  certificates: number;
  dirs: number;
}

/**
 * `dirs` certs dirs, each with a ca.crt bundle of two CAs (the new one first, as a CA rotation
 * leaves it) and its share of client.userN.crt. No keys: the inventory reads certificates only.
 */
async function buildFixture(root: string, count: number, dirs: number): Promise<{ dirs: string[]; certificates: number; files: number; ms: number }> {
  const start = performance.now();
  const caKey = await generateRsaKey(2048);
  const oldCaKey = await generateRsaKey(2048);
  const ca = issueCaCertificate(caKey, 87_840 * HOUR_MS);
  const oldCa = issueCaCertificate(oldCaKey, 40_000 * HOUR_MS);
  const leafKey = spkiDer(await generateRsaKey(2048));
  const made: string[] = [];
  for (let d = 0; d < dirs; d++) {
    const dir = path.join(root, `certs${d + 1}`);
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.writeFileSync(path.join(dir, CA_CERT), ca.pem + oldCa.pem, { mode: 0o644 });
    made.push(dir);
  }
  for (let n = 1; n <= count; n++) {
    const user = `user${n}`;
    const issued = issueCertificate({ profile: 'client', commonName: user, subjectPublicKey: leafKey, lifetimeMs: (1000 + (n % 700)) * 24 * HOUR_MS }, { certificate: ca.parsed, key: caKey });
    fs.writeFileSync(path.join(made[n % dirs]!, clientCertName(user)), issued.pem, { mode: 0o644 });
  }
  return { dirs: made, certificates: count + 2 * dirs, files: count + dirs, ms: performance.now() - start };
}

function checkInventory(inventory: Inventory, expected: number, who: string): void {
  if (inventory.items.length !== expected) throw new Error(`${who} listed ${inventory.items.length} certificates, expected ${expected} (every certificate of every bundle)`);
  if (inventory.counts.error !== 0) throw new Error(`${who} reported ${inventory.counts.error} unreadable certificate(s) on a clean fixture`);
}

export async function benchInventory(options: InventoryOptions): Promise<BenchResult> {
  const scratch = new Scratch('crdb-tls-bench-inventory-');
  try {
    progress(`inventory: building the fixture (${options.certificates} client certificates over ${options.dirs} certs dirs, each with a 2-CA ca.crt)`);
    const fixture = await buildFixture(scratch.dir('fixture'), options.certificates, options.dirs);
    progress(`inventory: fixture built in ${(fixture.ms / 1000).toFixed(1)} s: ${fixture.files} files, ${fixture.certificates} certificates`);
    const node = process.execPath;
    const env = cliEnv();
    const state = scratch.dir('state');
    const cliArgs = [CLI_BUNDLE, 'rotate', 'check', ...fixture.dirs.flatMap((d) => ['--certs-dir', d]), '--within', '1d', '--json'];
    const cliEnvironment = { ...env, CRDB_TLS_STATE_DIR: state };
    const peerArgs = ['-c', PEER_LOOP, 'bash', ...fixture.dirs];
    const inventory = () => takeInventory({ certsDirs: fixture.dirs, files: [], hosts: [], probeTimeoutMs: 1000, sqlUrls: [], thresholds: { warn_days: 90, fail_days: 30 }, now: new Date() });

    progress(`inventory: ${options.warmups} checked warm-up run(s) of ours: ${fixture.certificates} certificates, none unreadable, exit 0`);
    for (let w = 0; w < options.warmups; w++) {
      const report = JSON.parse(timeSpawn(node, cliArgs, { env: cliEnvironment, captureStdout: true }).stdout) as { inventory: Inventory };
      checkInventory(report.inventory, fixture.certificates, 'crdb-tls rotate check --json');
      checkInventory((await inventory()).inventory, fixture.certificates, 'takeInventory()');
    }
    const peerRuns = Math.min(options.peerRuns, options.runs);
    const runPeer = (i: number) => {
      if (i >= peerRuns) return null;
      const timing = timeSpawn('bash', peerArgs, { captureStdout: i === 0 });
      if (i === 0) {
        const lines = timing.stdout.trim().split('\n');
        if (lines.length !== fixture.files || !lines.every((l) => l.startsWith('notAfter='))) throw new Error(`the openssl loop printed ${lines.length} lines, expected ${fixture.files} notAfter= lines`);
      }
      return timing.ms;
    };
    const samples = await interleave(`inventory ${fixture.certificates} certs`, options.runs, {
      cli: () => timeSpawn(node, cliArgs, { env: cliEnvironment }).ms,
      lib: async () => {
        collectGarbage();
        return (await timeAsync(inventory)).ms;
      },
      peer: runPeer,
    });
    const label = `inventory ${fixture.certificates.toLocaleString('en-US')} certs in ${options.dirs} dirs`;
    const peerCommand = `bash -c 'for d in D1..D${options.dirs}; do for f in "$d"/*.crt; do openssl x509 -enddate -noout -in "$f"; done; done' > /dev/null (${fixture.files} openssl spawns)`;
    return {
      rows: [
        row('inventory-cli', `${label}, CLI (spawn)`, samples.cli, samples.peer, `node dist/crdb-tls.cjs rotate check --certs-dir D1 ... --certs-dir D${options.dirs} --within 1d --json > /dev/null`, peerCommand),
        row('inventory-lib', `${label}, in-process`, samples.lib, samples.peer, 'takeInventory({ certsDirs: [D1 ... Dn] }) from src/rotation/inventory.ts', peerCommand),
      ],
      notes: [
        `inventory: the openssl loop costs ${(summarize(samples.peer).median / fixture.files).toFixed(1)} ms per file, nearly all of it one \`openssl x509\` start-up; it ran ${samples.peer.length} times, ours ${samples.cli.length} times each.`,
        `inventory: ours reads all ${fixture.certificates} certificates (both CAs of each ca.crt bundle), parses each fully, reports unreadable ones, and judges days left; the openssl loop prints only the notAfter of the first certificate of each of the ${fixture.files} files (fixture built in ${(fixture.ms / 1000).toFixed(1)} s, not timed).`,
      ],
    };
  } finally {
    scratch.dispose();
  }
}
