// The expiry timeline where people look at it: a file from the CLI (SVG and PNG) shown in a real
// headless Chromium, an image block over MCP, and a PNG upload with the Slack expiry digest.
// Certificates are issued here with known lifetimes, as the quick start does.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { chromium, type Browser } from 'playwright-core';
import { PNG } from 'pngjs';
import { CLI_BUNDLE, assertCliRefused, cliEnv, runCli, runCliOk } from '../support/cli.js';
import { startSlackHarness } from '../support/slack-app.js';

/** Debian's chromium (installed by .ci/run), started as the workplace's machines allow: no sandbox as root, no background traffic. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Share of pixels that are not (nearly) white: a blank or failed render is close to 0. */
function inkOf(png: Buffer): { width: number; height: number; ink: number; colours: number } {
  const image = PNG.sync.read(png);
  let ink = 0;
  const colours = new Set<number>();
  for (let i = 0; i < image.data.length; i += 4) {
    const [r, g, b] = [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
    if (r < 240 || g < 240 || b < 240) ink++;
    colours.add(((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4));
  }
  return { width: image.width, height: image.height, ink: ink / (image.width * image.height), colours: colours.size };
}

let work: string;
const KEY_MARKER = /PRIVATE KEY|MII[A-Za-z0-9+/]{40}/;

before(() => {
  work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-timeline-')));
  fs.mkdirSync(path.join(work, 'safe'), { mode: 0o700 });
  const cli = (...args: string[]) => runCliOk(['cert', ...args, '--certs-dir', 'certs', '--ca-key', 'safe/ca.key', '--yes'], { cwd: work });
  cli('create-ca');
  cli('create-node', 'localhost', '127.0.0.1');
  cli('create-client', 'alice', '--lifetime', '240h'); // 10 days: fail
  cli('create-client', 'bob', '--lifetime', '1440h'); // 60 days: warn
});

after(() => fs.rmSync(work, { recursive: true, force: true }));

describe('rotate check --chart', () => {
  let browser: Browser;
  before(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => browser?.close());

  test('writes an SVG that Chromium draws, with every certificate named in it', async () => {
    const result = runCli(['rotate', 'check', '--certs-dir', 'certs', '--within', '30d', '--chart', 'expiry.svg'], { cwd: work });
    assert.equal(result.status, 1, result.stderr); // alice is due within 30 days
    assert.match(result.stderr, /Timeline \(SVG\) written to .*expiry\.svg/);
    const file = path.join(work, 'expiry.svg');
    assert.equal(fs.statSync(file).mode & 0o777, 0o644);
    // The page is the SVG itself, at its own size (a full-page screenshot of an SVG document hangs in headless Chromium).
    const height = Number(/<svg[^>]* height="(\d+)"/.exec(fs.readFileSync(file, 'utf8'))![1]);
    const page = await browser.newPage({ viewport: { width: 1160, height } });
    try {
      await page.goto(`file://${file}`);
      const texts = await page.locator('text').allTextContents();
      for (const expected of ['client.alice.crt', 'client.bob.crt', 'node.crt', 'ca.crt', 'today', 'fail window']) {
        assert.ok(texts.some((t) => t.includes(expected)), `"${expected}" is drawn as text`);
      }
      // Drawn, not only present: the label of alice's row has a real box on the page.
      const box = await page.locator('text', { hasText: 'client.alice.crt' }).first().boundingBox();
      assert.ok(box && box.width > 50 && box.height > 5, `alice's label is laid out: ${JSON.stringify(box)}`);
      const shot = path.join(work, 'timeline-chromium.png');
      await page.screenshot({ path: shot });
      const seen = inkOf(fs.readFileSync(shot));
      assert.ok(seen.ink > 0.03 && seen.colours > 8, `the screenshot is not blank: ${JSON.stringify(seen)}`);
      if (process.env.CRDB_TLS_KEEP_SCREENSHOT) fs.copyFileSync(shot, process.env.CRDB_TLS_KEEP_SCREENSHOT);
    } finally {
      await page.close();
    }
  });

  test('writes a PNG of the same picture (rotate plan draws its steps on it)', () => {
    const result = runCli(['rotate', 'plan', '--certs-dir', 'certs', '--ca-key', 'safe/ca.key', '--within', '90d', '--chart', 'plan.png'], { cwd: work });
    assert.equal(result.status, 0, result.stderr);
    const png = fs.readFileSync(path.join(work, 'plan.png'));
    const seen = inkOf(png);
    assert.equal(seen.width, 2320, 'drawn at twice the SVG width, for sharp screens');
    assert.ok(seen.ink > 0.03 && seen.colours > 8, `not blank: ${JSON.stringify(seen)}`);
  });

  test('refuses a chart name that is neither .svg nor .png before doing anything', () => {
    const result = runCli(['rotate', 'check', '--certs-dir', 'certs', '--chart', 'expiry.gif'], { cwd: work });
    assertCliRefused(result, /--chart expiry\.gif: .*must end in \.svg or \.png/);
    assert.equal(fs.existsSync(path.join(work, 'expiry.gif')), false);
  });
});

describe('check_expiry over MCP', () => {
  test('answers with a PNG image block (and its words) when asked for the chart, and without one otherwise', async () => {
    const client = new Client({ name: 'timeline-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI_BUNDLE, 'mcp'], cwd: work, env: cliEnv({ CRDB_TLS_ROOTS: work }) as Record<string, string>, stderr: 'pipe' }));
    try {
      const plain = await client.callTool({ name: 'check_expiry', arguments: { certs_dirs: ['certs'], within: '30d' } });
      assert.deepEqual((plain.content as Array<{ type: string }>).map((c) => c.type), ['text']);
      const charted = await client.callTool({ name: 'check_expiry', arguments: { certs_dirs: ['certs'], within: '30d', chart: true } });
      const content = charted.content as Array<{ type: string; data?: string; mimeType?: string; text?: string }>;
      assert.deepEqual(content.map((c) => c.type), ['text', 'image', 'text']);
      const image = content[1]!;
      assert.equal(image.mimeType, 'image/png');
      const seen = inkOf(Buffer.from(image.data!, 'base64'));
      assert.ok(seen.ink > 0.03, `a drawn PNG: ${JSON.stringify(seen)}`);
      assert.match(content[2]!.text!, /^Expiry timeline of 4 certificates: 0 expired, 1 fail, 1 warn, 2 ok/);
      assert.equal((charted.structuredContent as { result: string }).result, 'due', 'the structured answer is the same');
    } finally {
      await client.close();
    }
  });
});

describe('the Slack expiry digest', () => {
  test('uploads the timeline PNG into its thread, with no key or password in it or its words', async () => {
    const h = await startSlackHarness({ work, env: { CRDB_TLS_SLACK_DIGEST_CHANNEL: 'C0OPS', CRDB_TLS_SLACK_DIGEST_CERTS_DIRS: path.join(work, 'certs'), CRDB_TLS_SLACK_DIGEST_WINDOW: '30d', PGPASSWORD: 'digest-secret-password' } });
    try {
      assert.deepEqual(await h.app.digestNow(), { posted: true, expiring: 1, errors: 0 });
      const post = h.standin.callsOf('chat.postMessage').find((c) => c.params.channel === 'C0OPS')!;
      const requested = await h.standin.waitFor(() => h.standin.callsOf('files.getUploadURLExternal')[0], 20_000, 'the upload');
      assert.equal(requested.params.filename, 'expiry-timeline.png');
      assert.match(String(requested.params.alt_text ?? requested.params.alt_txt), /Expiry timeline of 4 certificates/);
      const complete = await h.standin.waitFor(() => h.standin.callsOf('files.completeUploadExternal')[0], 20_000, 'the completed upload');
      assert.equal(complete.params.channel_id, 'C0OPS');
      assert.equal(complete.params.thread_ts, post.result!.ts, 'in the digest\'s thread');
      const [bytes] = [...h.standin.uploadBytes.values()];
      assert.ok(inkOf(bytes!).ink > 0.03, 'a drawn PNG');
      for (const sent of [...h.standin.everythingSent(), bytes!.toString('latin1')]) {
        assert.doesNotMatch(sent, KEY_MARKER);
        assert.ok(!sent.includes('digest-secret-password'));
      }
      assert.deepEqual(h.standin.secretsSent(), []);
      assert.deepEqual(h.standin.refusedCalls(), []);
    } finally {
      await h.close();
    }
  });
});
