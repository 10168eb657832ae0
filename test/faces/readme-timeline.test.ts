// The README's expiry timeline is what the tool makes today: scripts/readme-timeline.ts issues the
// quick-start certificates with the built CLI, inventories them with `rotate check --json` and
// draws them; the committed docs/expiry-timeline.svg must be byte for byte what it makes again.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { README_TIMELINE, makeReadmeTimeline } from '../../scripts/readme-timeline.js';

test('docs/expiry-timeline.svg is current (regenerate with `npm run readme-timeline`)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-readme-timeline-test-'));
  try {
    const fresh = path.join(dir, 'expiry-timeline.svg');
    await makeReadmeTimeline(fresh);
    const made = fs.readFileSync(fresh, 'utf8');
    assert.match(made, /5 certificates: 0 expired, 1 fail \(under 30 days\), 1 warn \(under 90 days\), 3 ok/);
    for (const name of ['client.alice.crt', 'client.bob.crt', 'client.carol.crt', 'node.crt', 'ca.crt']) assert.ok(made.includes(name), `${name} is drawn`);
    assert.equal(fs.readFileSync(README_TIMELINE, 'utf8'), made, 'the committed picture is stale: run `npm run build && npm run readme-timeline`');
    assert.match(fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8'), /!\[[^\]]+\]\(docs\/expiry-timeline\.svg\)/, 'the README shows it');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
