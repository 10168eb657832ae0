// Profiles one listing and one inventory of a fixture like bench/list-certs.ts builds (not a
// benchmark: run it under `node --cpu-prof --import tsx bench/profile-list.ts` to see where the
// time of each certificate goes).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CA_CERT, clientCertName, clientKeyName } from '../src/pki/certnames.js';
import { loadSigningCa } from '../src/pki/certs-dir.js';
import { createCa } from '../src/pki/create-ca.js';
import { issueCertificate } from '../src/pki/issue.js';
import { generateRsaKey, privateKeyPem, spkiDer } from '../src/pki/keys.js';
import { listCerts } from '../src/pki/list.js';
import { takeInventory } from '../src/rotation/inventory.js';

const HOUR_MS = 3_600_000;
const count = Number(process.env.PROFILE_CERTS ?? 1000);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-profile-'));
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
  const rounds = Number(process.env.PROFILE_ROUNDS ?? 5);
  for (let i = 0; i < rounds; i++) {
    // CPU time beside wall time: on a shared machine the wall clock mostly measures the neighbours.
    const cpuMs = (since: NodeJS.CpuUsage) => { const used = process.cpuUsage(since); return (used.user + used.system) / 1000; };
    let start = performance.now();
    let cpu = process.cpuUsage();
    const listing = await listCerts(certsDir);
    const listMs = performance.now() - start;
    const listCpu = cpuMs(cpu);
    start = performance.now();
    cpu = process.cpuUsage();
    await takeInventory({ certsDirs: [certsDir], files: [], hosts: [], probeTimeoutMs: 1000, sqlUrls: [], thresholds: { warn_days: 90, fail_days: 30 }, now: new Date() });
    const inventoryMs = performance.now() - start;
    const inventoryCpu = cpuMs(cpu);
    process.stderr.write(`list ${listing.rows.length} rows: ${listMs.toFixed(0)} ms wall, ${listCpu.toFixed(0)} ms CPU (${(listCpu / count).toFixed(3)} ms CPU a certificate); inventory: ${inventoryMs.toFixed(0)} ms wall, ${inventoryCpu.toFixed(0)} ms CPU (${(inventoryCpu / count).toFixed(3)} ms a certificate)\n`);
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
