// Where the time of each certificate goes in a listing and an inventory (not a benchmark): builds a
// fixture like bench/list-certs.ts (1 CA + N client certificates, each with its key), then profiles
// only the listings and only the inventories (node:inspector's profiler, the fixture build left out)
// and prints CPU time a certificate and the top self-time functions of each.
//
//   node --import tsx bench/profile-list.ts [--top N] [--rounds N] [--certs N] [--save DIR]
//
// --save DIR also writes list.cpuprofile and inventory.cpuprofile there (for Chrome DevTools).
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { CA_CERT, clientCertName, clientKeyName } from '../src/pki/certnames.js';
import { loadSigningCa } from '../src/pki/certs-dir.js';
import { createCa } from '../src/pki/create-ca.js';
import { issueCertificate } from '../src/pki/issue.js';
import { generateRsaKey, privateKeyPem, spkiDer } from '../src/pki/keys.js';
import { listCerts } from '../src/pki/list.js';
import { takeInventory } from '../src/rotation/inventory.js';
import { REPO_ROOT } from './harness.js';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

const HOUR_MS = 3_600_000;
const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : fallback);
const top = Number(option('--top', '12'));
const rounds = Number(option('--rounds', '5'));
const count = Number(option('--certs', '1000'));
const saveDir = argv.includes('--save') ? path.resolve(option('--save', '.')) : undefined;

const frameName = (frame: CallFrame) => {
  const where = frame.url.startsWith('file:') ? path.relative(REPO_ROOT, new URL(frame.url).pathname) : frame.url;
  return `${frame.functionName || '(anonymous)'}${where ? ` ${where}:${frame.lineNumber + 1}` : ''}`;
};

function summarize(label: string, profile: CpuProfile, cpuMs: number): void {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const frame = nodes.get(id)!.callFrame;
    if (frame.functionName === '(idle)') return;
    const name = frameName(frame);
    self.set(name, (self.get(name) ?? 0) + us);
    total += us;
  });
  const lines = [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => `  ${(us / 1000 / rounds).toFixed(1).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`);
  process.stdout.write(`${label}: ${(cpuMs / rounds).toFixed(0)} ms CPU a run (${(cpuMs / rounds / count).toFixed(3)} ms a certificate), mean of ${rounds}; sampled ${(total / 1000 / rounds).toFixed(0)} ms a run, top self time:\n${lines.join('\n')}\n`);
}

async function profiled(session: Session, label: string, run: () => Promise<unknown>): Promise<void> {
  await run(); // one untimed warm-up (JIT, page cache)
  await session.post('Profiler.start');
  const cpu = process.cpuUsage();
  for (let i = 0; i < rounds; i++) await run();
  const used = process.cpuUsage(cpu);
  const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
  if (saveDir) fs.writeFileSync(path.join(saveDir, `${label}.cpuprofile`), JSON.stringify(profile));
  summarize(label, profile, (used.user + used.system) / 1000);
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-profile-'));
const session = new Session();
try {
  const certsDir = path.join(root, 'certs');
  fs.mkdirSync(certsDir, { mode: 0o700 });
  const caKey = path.join(root, 'ca.key');
  await createCa({ kind: 'ca', certsDir, caKeyPath: caKey, keySize: 2048, lifetimeMs: 87_840 * HOUR_MS, overwrite: false, allowKeyReuse: false });
  const ca = await loadSigningCa(path.join(certsDir, CA_CERT), caKey);
  const key = await generateRsaKey(2048);
  const keyPem = privateKeyPem(key);
  for (let n = 1; n <= count; n++) {
    const issued = issueCertificate({ profile: 'client', commonName: `user${n}`, subjectPublicKey: spkiDer(key), lifetimeMs: 43_920 * HOUR_MS }, ca);
    fs.writeFileSync(path.join(certsDir, clientCertName(`user${n}`)), issued.pem, { mode: 0o644 });
    fs.writeFileSync(path.join(certsDir, clientKeyName(`user${n}`)), keyPem, { mode: 0o600 });
  }
  if (saveDir) fs.mkdirSync(saveDir, { recursive: true });
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await profiled(session, 'list', async () => {
    const listing = await listCerts(certsDir);
    if (listing.rows.length !== count + 1 || listing.errors !== 0) throw new Error(`listing: ${listing.rows.length} rows, ${listing.errors} errors`);
  });
  await profiled(session, 'inventory', async () => {
    const { inventory } = await takeInventory({ certsDirs: [certsDir], files: [], hosts: [], probeTimeoutMs: 1000, sqlUrls: [], thresholds: { warn_days: 90, fail_days: 30 }, now: new Date() });
    if (inventory.items.length !== count + 1 || inventory.counts.error !== 0) throw new Error(`inventory: ${inventory.items.length} items, ${inventory.counts.error} errors`);
  });
} finally {
  session.disconnect();
  fs.rmSync(root, { recursive: true, force: true });
}
