// Listing a certs dir of many client certificates: `crdb-tls cert list` (spawned, and listCerts()
// in-process) against the shell loop people write with openssl. Ours does more per certificate.
import fs from 'node:fs';
import path from 'node:path';
import { CA_CERT, clientCertName, clientKeyName } from '../src/pki/certnames.js';
import { loadSigningCa } from '../src/pki/certs-dir.js';
import { createCa } from '../src/pki/create-ca.js';
import { issueCertificate } from '../src/pki/issue.js';
import { generateRsaKey, privateKeyPem, spkiDer } from '../src/pki/keys.js';
import { listCerts, type CertListing } from '../src/pki/list.js';
import { summarize } from './stats.js';
import { CLI_BUNDLE, Scratch, cliEnv, collectGarbage, interleave, progress, row, timeAsync, timeSpawn, type BenchResult } from './harness.js';

const HOUR_MS = 3_600_000;
const PEER_LOOP = 'for f in "$1"/*.crt; do openssl x509 -enddate -noout -in "$f"; done';

export interface ListOptions {
  runs: number;
  /**
   * Timed runs of the openssl loop (at most `runs`). It spawns openssl once per certificate, so one
   * run takes ~N × the start-up of `openssl x509`, and being a sum of N spawns its spread is small.
   */
  peerRuns: number;
  warmups: number;
  /** How many client certificates the fixture holds (plus ca.crt). */
  certificates: number;
}

/**
 * 1 CA + N client certificates client.userN.crt, each with client.userN.key (0600). Generating N
 * RSA keys would take minutes, so every certificate is issued for ONE key, written N times.
 */
async function buildFixture(certsDir: string, caKey: string, count: number): Promise<number> {
  const start = performance.now();
  await createCa({ kind: 'ca', certsDir, caKeyPath: caKey, keySize: 2048, lifetimeMs: 87_840 * HOUR_MS, overwrite: false, allowKeyReuse: false });
  const ca = await loadSigningCa(path.join(certsDir, CA_CERT), caKey);
  const key = await generateRsaKey(2048);
  const keyPem = privateKeyPem(key);
  const spki = spkiDer(key);
  for (let n = 1; n <= count; n++) {
    const user = `user${n}`;
    const issued = issueCertificate({ profile: 'client', commonName: user, subjectPublicKey: spki, lifetimeMs: 43_920 * HOUR_MS }, ca);
    const certFile = path.join(certsDir, clientCertName(user));
    const keyFile = path.join(certsDir, clientKeyName(user));
    fs.writeFileSync(certFile, issued.pem, { mode: 0o644 });
    fs.chmodSync(certFile, 0o644);
    fs.writeFileSync(keyFile, keyPem, { mode: 0o600 });
    fs.chmodSync(keyFile, 0o600);
  }
  return performance.now() - start;
}

function checkListing(listing: CertListing, expectedRows: number, who: string): void {
  if (listing.rows.length !== expectedRows) throw new Error(`${who} listed ${listing.rows.length} certificate files, expected ${expectedRows}`);
  if (listing.errors !== 0) throw new Error(`${who} reported ${listing.errors} error(s) on a clean fixture: ${JSON.stringify(listing.rows.flatMap((r) => r.findings).slice(0, 3))}`);
  const clients = listing.rows.filter((r) => r.usage === 'Client').length;
  if (clients !== expectedRows - 1) throw new Error(`${who} saw ${clients} client certificates, expected ${expectedRows - 1}`);
}

export async function benchListCerts(options: ListOptions): Promise<BenchResult> {
  const scratch = new Scratch('crdb-tls-bench-list-');
  try {
    const certsDir = scratch.dir('certs');
    const caKey = path.join(scratch.dir('safe'), 'ca.key');
    const n = options.certificates;
    progress(`list: building the fixture (1 CA + ${n} client certificates signed in-process, one shared key)`);
    const fixtureMs = await buildFixture(certsDir, caKey, n);
    progress(`list: fixture built in ${(fixtureMs / 1000).toFixed(1)} s`);

    const node = process.execPath;
    const env = cliEnv();
    const cliArgs = [CLI_BUNDLE, 'cert', 'list', '--certs-dir', certsDir, '--json'];
    const peerArgs = ['-c', PEER_LOOP, 'bash', certsDir];

    progress(`list: ${options.warmups} warm-up run(s) of ours, checked: ${n + 1} rows, ${n} clients, no errors`);
    for (let w = 0; w < options.warmups; w++) {
      checkListing(JSON.parse(timeSpawn(node, cliArgs, { env, captureStdout: true }).stdout) as CertListing, n + 1, 'crdb-tls cert list --json');
      checkListing(await listCerts(certsDir), n + 1, 'listCerts()');
    }

    // The openssl loop gets no separate warm-up (one run is ~N openssl start-ups); the warm-ups above
    // already brought the files into the page cache, and its first timed run is checked instead.
    const peerRuns = Math.min(options.peerRuns, options.runs);
    progress(`list: the openssl loop runs ${peerRuns} of the ${options.runs} iterations (its first output is checked: ${n + 1} notAfter= lines)`);
    const runPeer = (i: number) => {
      if (i >= peerRuns) return null;
      const timing = timeSpawn('bash', peerArgs, { captureStdout: i === 0 });
      if (i === 0) {
        const lines = timing.stdout.trim().split('\n');
        if (lines.length !== n + 1 || !lines.every((l) => l.startsWith('notAfter='))) throw new Error(`the openssl loop printed ${lines.length} lines, expected ${n + 1} notAfter= lines`);
      }
      return timing.ms;
    };
    const samples = await interleave(`list ${n} certs`, options.runs, {
      cli: () => timeSpawn(node, cliArgs, { env }).ms,
      lib: async () => {
        collectGarbage();
        return (await timeAsync(() => listCerts(certsDir))).ms;
      },
      peer: runPeer,
    });

    const label = `list ${n.toLocaleString('en-US')} certs`;
    const peerCommand = `bash -c 'for f in D/*.crt; do openssl x509 -enddate -noout -in "$f"; done' > /dev/null (1 bash, ${n + 1} openssl spawns)`;
    return {
      rows: [
        row('list-cli', `${label}, CLI (spawn)`, samples.cli, samples.peer, 'node dist/crdb-tls.cjs cert list --certs-dir D --json > /dev/null', peerCommand),
        row('list-lib', `${label}, in-process`, samples.lib, samples.peer, 'listCerts(D) from src/pki/list.ts', peerCommand),
      ],
      notes: [
        `list: the openssl loop costs ${(summarize(samples.peer).median / (n + 1)).toFixed(1)} ms per certificate here, nearly all of it the start-up of one \`openssl x509\` process; it ran ${samples.peer.length} times, ours ${samples.cli.length} times each.`,
        `list: ours does more per certificate than the openssl loop (which only prints notAfter): it parses every certificate, reads and parses every private key, checks the key matches the certificate and its mode, checks the issuer against the CAs in the directory, and lints (${n} client certs + ca.crt; fixture built in ${(fixtureMs / 1000).toFixed(1)} s, not timed).`,
      ],
    };
  } finally {
    scratch.dispose();
  }
}
