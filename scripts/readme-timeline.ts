// Makes the README's expiry timeline (docs/expiry-timeline.svg) with the tool itself: the
// quick-start certificates (plus two short-lived clients, so the fail and warn windows hold
// something) issued by `crdb-tls cert`, inventoried by `crdb-tls rotate check --json`, drawn by
// the renderer `--chart` uses. `npm run readme-timeline` rewrites the file;
// test/faces/readme-timeline.test.ts checks the committed one is what this makes.
//
// Reproducible: certificates get fresh keys and serials and the check runs now, so the inventory
// is moved to a fixed moment before drawing — each expiry keeps its whole number of days from
// the check, the work directory becomes `certs`, and the random serials are left out (they are
// only in the hover text). Nothing else is changed.
//   node --import tsx scripts/readme-timeline.ts [--out FILE]   (needs `npm run build` first)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckReport } from '../src/rotation/check.js';
import { DAY_SECONDS, statusFor, type Inventory, type InventoryItem } from '../src/rotation/items.js';
import { timelineSvg } from '../src/rotation/timeline-picture.js';

export const README_TIMELINE = fileURLToPath(new URL('../docs/expiry-timeline.svg', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../dist/crdb-tls.mjs', import.meta.url));
/** The moment the README's picture is drawn at. */
export const README_NOW = new Date('2027-01-04T09:00:00Z');

/** The quick start's commands (README "Sixty seconds with it"), then bob and carol, due soon. */
const COMMANDS = [
  ['cert', 'create-ca', '--certs-dir', 'certs', '--ca-key', 'my-safe-directory/ca.key'],
  ['cert', 'create-node', 'localhost', '127.0.0.1', 'node1.example.com', '--certs-dir', 'certs', '--ca-key', 'my-safe-directory/ca.key'],
  ['cert', 'create-client', 'alice', '--certs-dir', 'certs', '--ca-key', 'my-safe-directory/ca.key', '--also-generate-pkcs8-key'],
  ['cert', 'create-client', 'bob', '--lifetime', '480h', '--certs-dir', 'certs', '--ca-key', 'my-safe-directory/ca.key'],
  ['cert', 'create-client', 'carol', '--lifetime', '1440h', '--certs-dir', 'certs', '--ca-key', 'my-safe-directory/ca.key'],
];

function crdbTls(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, CRDB_TLS_STATE_DIR: path.join(cwd, 'state'), CRDB_TLS_ROOTS: cwd };
  const run = spawnSync(process.execPath, [BUNDLE, ...args, ...(args[0] === 'cert' ? ['--yes'] : [])], { cwd, env, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The inventory as if taken at `now`: whole days to each expiry kept, the work dir named `certs`, no serials. */
export function atFixedMoment(inventory: Inventory, work: string, now: Date): Inventory {
  const taken = Date.parse(inventory.generated_at);
  const local = (text: string) => text.split(`${work}${path.sep}`).join('');
  const items = inventory.items.map((item): InventoryItem => {
    const moved = { ...item, location: local(item.location), path: item.path === null ? null : local(item.path), what: local(item.what), serial: null, sha256_fingerprint: null };
    if (item.not_after === null) return moved;
    const days = Math.round((Date.parse(item.not_after) - taken) / (DAY_SECONDS * 1000));
    const secondsLeft = days * DAY_SECONDS;
    return { ...moved, not_after: new Date(now.getTime() + secondsLeft * 1000).toISOString().replace('.000Z', 'Z'), seconds_left: secondsLeft, days_left: days, status: statusFor(secondsLeft, inventory.thresholds) };
  });
  const counts = { ok: 0, warn: 0, fail: 0, expired: 0, error: 0 };
  for (const item of items) counts[item.status]++;
  const soonest = items.filter((i) => i.not_after !== null).sort((a, b) => a.seconds_left! - b.seconds_left!)[0];
  return {
    ...inventory,
    generated_at: now.toISOString(),
    items,
    sources: inventory.sources.map((s) => ({ ...s, location: local(s.location) })),
    counts,
    earliest: soonest ? { what: soonest.what, location: soonest.location, not_after: soonest.not_after!, days_left: soonest.days_left! } : null,
  };
}

export async function makeReadmeTimeline(out: string): Promise<void> {
  if (!fs.existsSync(BUNDLE)) throw new Error(`${BUNDLE} does not exist: run \`npm run build\` first`);
  const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-readme-timeline-')));
  try {
    fs.mkdirSync(path.join(work, 'my-safe-directory'), { mode: 0o700 });
    for (const args of COMMANDS) {
      const run = crdbTls(args, work);
      if (run.status !== 0) throw new Error(`crdb-tls ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
    }
    const check = crdbTls(['rotate', 'check', '--certs-dir', 'certs', '--within', '30d', '--json'], work);
    if (check.status !== 1) throw new Error(`rotate check exited ${check.status} (1 expected: bob is due): ${check.stderr}`);
    const report = JSON.parse(check.stdout) as CheckReport;
    const svg = await timelineSvg({ inventory: atFixedMoment(report.inventory, work, README_NOW) });
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, svg.endsWith('\n') ? svg : `${svg}\n`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out');
  const out = at > 0 ? path.resolve(process.argv[at + 1]!) : README_TIMELINE;
  await makeReadmeTimeline(out);
  process.stderr.write(`Expiry timeline written to ${out}\n`);
}
