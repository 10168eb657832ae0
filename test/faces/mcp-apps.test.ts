// MCP Apps (io.modelcontextprotocol/ui): check_expiry's timeline page, declared to clients that
// render MCP Apps and to no other. Real clients of both eras (the 1.x SDK client over a 2025
// handshake, the v2 client pinned to 2026-07-28) over stdio and HTTP (a 2025 session, 2026-07-28
// stateless) list and read it;
// then a real headless Chromium hosts the page the way an MCP Apps host does — the official
// ext-apps AppBridge (host side of the spec) in a sandboxed iframe — feeds it a real
// check_expiry result, points at a row, tabs to another, and filters by source.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client as ModernClient } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdio } from '@modelcontextprotocol/client/stdio';
import { StreamableHTTPClientTransport as ModernHttp } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as LegacyStdio } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { PNG } from 'pngjs';
import { CLI_BUNDLE, runCliOk } from '../support/cli.js';
import { MODERN_REVISION, startHttpServerProcess, type HttpServerProcess } from '../support/mcp-eras.js';

const PAGE_URI = 'ui://crdb-tls/expiry-timeline.html';
const APP_MIME = 'text/html;profile=mcp-app';
const APPS = { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: [APP_MIME] } } };
/** Debian's chromium as test/faces/timeline.test.ts starts it: no sandbox as root, no background traffic. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKEN = crypto.randomBytes(32).toString('hex');

type Tool = { name: string; _meta?: Record<string, unknown> };
type Resource = { uri: string; mimeType?: string };
type ReadResult = { contents: Array<{ uri: string; mimeType?: string; text?: string }> };
type CallResult = { content: Array<{ type: string; text?: string }>; structuredContent?: Record<string, unknown> };

/** What the tests ask of a client, whichever SDK it is. */
interface AnyClient {
  listTools(): Promise<Tool[]>;
  listResources(): Promise<Resource[]>;
  read(uri: string): Promise<ReadResult>;
  call(name: string, args: Record<string, unknown>): Promise<CallResult>;
  close(): Promise<void>;
}

let work = '';
let env: Record<string, string> = {};
let stateless: HttpServerProcess | undefined;
let stateful: HttpServerProcess | undefined;

async function connect(era: 'legacy' | 'modern', transport: 'stdio' | 'http', apps: boolean): Promise<AnyClient> {
  const capabilities = apps ? APPS : {};
  if (era === 'legacy') {
    const client = new LegacyClient({ name: 'apps-test-legacy', version: '1.0.0' }, { capabilities });
    await client.connect(
      transport === 'stdio'
        ? new LegacyStdio({ command: process.execPath, args: [CLI_BUNDLE, 'mcp'], cwd: work, env, stderr: 'ignore' })
        : new LegacyHttp(new URL(stateful!.url), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }),
    );
    return {
      listTools: async () => (await client.listTools()).tools as Tool[],
      listResources: async () => (await client.listResources()).resources as Resource[],
      read: async (uri) => (await client.readResource({ uri })) as ReadResult,
      call: async (name, args) => (await client.callTool({ name, arguments: args })) as CallResult,
      close: () => client.close(),
    };
  }
  const client = new ModernClient({ name: 'apps-test-modern', version: '1.0.0' }, { capabilities, versionNegotiation: { mode: { pin: MODERN_REVISION } } });
  await client.connect(
    transport === 'stdio'
      ? new ModernStdio({ command: process.execPath, args: [CLI_BUNDLE, 'mcp'], cwd: work, env, stderr: 'ignore' })
      : new ModernHttp(new URL(stateless!.url), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }),
  );
  return {
    listTools: async () => (await client.listTools()).tools as Tool[],
    listResources: async () => (await client.listResources()).resources as Resource[],
    read: async (uri) => (await client.readResource({ uri })) as ReadResult,
    call: async (name, args) => (await client.callTool({ name, arguments: args })) as CallResult,
    close: () => client.close(),
  };
}

before(async () => {
  work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-mcp-apps-')));
  fs.mkdirSync(path.join(work, 'safe'), { mode: 0o700 });
  const cert = (dir: string, key: string, ...args: string[]) => runCliOk(['cert', ...args, '--certs-dir', dir, '--ca-key', `safe/${key}`, '--yes'], { cwd: work });
  cert('certs', 'ca.key', 'create-ca');
  cert('certs', 'ca.key', 'create-node', 'localhost', '127.0.0.1');
  cert('certs', 'ca.key', 'create-client', 'alice', '--lifetime', '240h'); // 10 days: fail
  cert('certs', 'ca.key', 'create-client', 'bob', '--lifetime', '1440h'); // 60 days: warn
  cert('other-certs', 'other-ca.key', 'create-ca');
  cert('other-certs', 'other-ca.key', 'create-client', 'carol', '--lifetime', '4320h'); // 180 days: ok
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('CRDB_TLS_') && !key.startsWith('COCKROACH_')) env[key] = value;
  env = { ...env, CRDB_TLS_ROOTS: work, CRDB_TLS_STATE_DIR: path.join(work, 'state'), CRDB_TLS_HTTP_TOKEN: TOKEN, CRDB_TLS_HTTP_TOKEN_LABEL: 'apps-test', CRDB_TLS_MCP_STATE_KEY: crypto.randomBytes(32).toString('hex') };
  [stateless, stateful] = await Promise.all([startHttpServerProcess(env, work, ['--stateless']), startHttpServerProcess({ ...env, CRDB_TLS_STATE_DIR: path.join(work, 'state-stateful') }, work)]);
});

after(async () => {
  await Promise.all([stateless?.stop(), stateful?.stop()]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const CASES = [
  { era: 'legacy', transport: 'stdio' },
  { era: 'legacy', transport: 'http' },
  { era: 'modern', transport: 'stdio' },
  { era: 'modern', transport: 'http' },
] as const;

describe('the timeline page is declared to MCP Apps hosts only', () => {
  for (const { era, transport } of CASES) {
    test(`${era} era over ${transport}${transport === 'http' ? (era === 'legacy' ? ' (a session)' : ' --stateless') : ''}: an Apps host finds the page on check_expiry and reads it; a plain client sees none of it`, async () => {
      const host = await connect(era, transport, true);
      const plain = await connect(era, transport, false);
      try {
        const hostTools = await host.listTools();
        const check = hostTools.find((t) => t.name === 'check_expiry')!;
        assert.deepEqual(check._meta?.ui, { resourceUri: PAGE_URI });
        assert.equal(check._meta?.['ui/resourceUri'], PAGE_URI, 'the flat key older hosts read');
        assert.deepEqual(hostTools.filter((t) => t.name !== 'check_expiry' && t._meta?.ui !== undefined).map((t) => t.name), [], 'no other tool claims a page');
        const listed = (await host.listResources()).filter((r) => r.uri.startsWith('ui://'));
        assert.deepEqual(listed.map((r) => [r.uri, r.mimeType]), [[PAGE_URI, APP_MIME]]);
        const read = await host.read(PAGE_URI);
        assert.equal(read.contents.length, 1);
        const page = read.contents[0]!;
        assert.equal(page.mimeType, APP_MIME);
        assert.match(page.text!, /^<!DOCTYPE html>/);
        // Self-contained: nothing to fetch, so the spec's restrictive default CSP (no origins) suffices.
        assert.doesNotMatch(page.text!, /<script[^>]*\ssrc=|<link[^>]*\shref=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/i);
        assert.equal(page.text!.match(/<script>/g)?.length, 1, 'one inline script');
        assert.doesNotMatch(page.text!.slice(page.text!.indexOf('<script>') + 8, page.text!.lastIndexOf('</script>')), /<\/script/i, 'the inline script cannot close its own tag');

        const plainTools = await plain.listTools();
        assert.deepEqual(plainTools.filter((t) => t._meta?.ui !== undefined || t._meta?.['ui/resourceUri'] !== undefined).map((t) => t.name), [], 'no tool names a page to a client that cannot show it');
        assert.deepEqual(plainTools.map((t) => t.name), hostTools.map((t) => t.name), 'the same catalog otherwise');
        assert.deepEqual((await plain.listResources()).filter((r) => r.uri.startsWith('ui://')), []);
        await assert.rejects(plain.read(PAGE_URI), /MCP Apps page: it is read by hosts that declare the io\.modelcontextprotocol\/ui extension/);
        // The answer itself is the same for both: text, and the structured result.
        const [a, b] = await Promise.all([host.call('check_expiry', { certs_dirs: ['certs'], within: '30d' }), plain.call('check_expiry', { certs_dirs: ['certs'], within: '30d' })]);
        assert.deepEqual(a.content.map((c) => c.type), ['text']);
        assert.deepEqual(b.content.map((c) => c.type), ['text']);
        assert.equal((a.structuredContent as { result: string }).result, 'due');
      } finally {
        await Promise.all([host.close(), plain.close()]);
      }
    });
  }
});

/** Share of pixels that are not (nearly) white. */
function inkOf(png: Buffer): number {
  const image = PNG.sync.read(png);
  let ink = 0;
  for (let i = 0; i < image.data.length; i += 4) if (image.data[i]! < 240 || image.data[i + 1]! < 240 || image.data[i + 2]! < 240) ink++;
  return ink / (image.width * image.height);
}

/**
 * A page that hosts the View the way an MCP Apps host does: the official ext-apps AppBridge over a
 * PostMessageTransport to a sandboxed iframe (scripts only, an opaque origin) holding the page's
 * HTML; after ui/initialize it sends the tool's input and result. Records every request the page
 * makes, every script error, and whatever else the View posts to the host.
 */
async function hostPage(browser: Browser, bridgeScript: string, html: string, result: CallResult, args: Record<string, unknown>) {
  const page = await browser.newPage({ viewport: { width: 1240, height: 1000 } });
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('dialog', (dialog) => {
    problems.push(`a dialog opened: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.setContent('<!DOCTYPE html><html><body style="margin:0"><iframe id="view" sandbox="allow-scripts" style="border:0;width:1220px;height:980px"></iframe></body></html>');
  await page.addScriptTag({ content: bridgeScript });
  const initialized = await page.evaluate(
    async ({ html: view, result: answer, args: input }) => {
      const w = window as unknown as { AppBridge: new (...args: unknown[]) => Record<string, unknown>; PostMessageTransport: new (...args: unknown[]) => unknown; seen: unknown[]; stray: unknown[] };
      const frame = document.getElementById('view') as HTMLIFrameElement;
      const bridge = new w.AppBridge(null, { name: 'chromium-test-host', version: '1.0.0' }, {}) as unknown as {
        oninitialized: () => void;
        onsizechange: (size: unknown) => void;
        sendToolInput(p: unknown): Promise<void>;
        sendToolResult(p: unknown): Promise<void>;
        connect(t: unknown): Promise<void>;
        getAppVersion(): { name: string } | undefined;
      };
      w.seen = [];
      w.stray = [];
      // Anything the View posts that is not JSON-RPC (a script smuggled into the page would be).
      window.addEventListener('message', (event) => {
        if ((event.data as { jsonrpc?: string } | null)?.jsonrpc !== '2.0') w.stray.push(event.data);
      });
      const ready = new Promise<string>((resolve) => {
        bridge.oninitialized = () => {
          void bridge.sendToolInput({ arguments: input }).then(() => bridge.sendToolResult(answer));
          resolve(bridge.getAppVersion()?.name ?? '?');
        };
      });
      bridge.onsizechange = (size) => w.seen.push(size);
      await bridge.connect(new w.PostMessageTransport(frame.contentWindow!, frame.contentWindow!));
      frame.srcdoc = view;
      return ready;
    },
    { html, result, args },
  );
  return { page, requests, problems, initialized, view: page.frameLocator('#view') };
}

describe('the timeline page in a real MCP Apps host (headless Chromium, the ext-apps AppBridge)', () => {
  let browser: Browser;
  let bridgeScript: string;
  before(async () => {
    const bundled = await build({
      stdin: { contents: "import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge'; Object.assign(window, { AppBridge, PostMessageTransport });", resolveDir: process.cwd(), loader: 'ts' },
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'iife',
      logLevel: 'warning',
    });
    bridgeScript = bundled.outputFiles[0]!.text;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => browser?.close());

  test('draws a real check_expiry result: pointing at a row shows its certificate, Tab moves to the next, sources filter', async () => {
    const client = await connect('modern', 'stdio', true);
    let result: CallResult;
    let html: string;
    try {
      result = await client.call('check_expiry', { certs_dirs: ['certs', 'other-certs'], within: '30d' });
      html = (await client.read(PAGE_URI)).contents[0]!.text!;
    } finally {
      await client.close();
    }
    const { page, requests, problems, initialized } = await hostPage(browser, bridgeScript, html!, result!, { certs_dirs: ['certs', 'other-certs'], within: '30d' });
    try {
      assert.equal(initialized, 'crdb-tls expiry timeline', 'the page completed the ui/initialize handshake with the host');
      const view = page.frameLocator('#view');
      const marks = view.locator('g.cert');
      await marks.first().waitFor();
      assert.equal(await marks.count(), 6, 'one row per certificate of both certs dirs');

      await view.locator('g.cert', { hasText: 'client.alice.crt' }).hover();
      const details = view.locator('section.details');
      await details.locator('h2', { hasText: 'client.alice.crt' }).waitFor();
      const shown = await details.innerText();
      assert.match(shown, /Status\s+fail, 9 days left/);
      assert.match(shown, /Subject\s+.*CN=alice/);
      assert.match(shown, /File\s+.*\/certs\/client\.alice\.crt/);
      assert.match(shown, /SHA-256\s+[0-9A-F:]{20,}/i);

      // Keyboard: the rows are focusable in order; the next one after alice's is bob's (soonest first).
      await view.locator('g.cert', { hasText: 'client.alice.crt' }).focus();
      await page.keyboard.press('Tab');
      await details.locator('h2', { hasText: 'client.bob.crt' }).waitFor();

      const shot = path.join(work, 'mcp-app.png');
      await page.screenshot({ path: shot });
      assert.ok(inkOf(fs.readFileSync(shot)) > 0.03, 'the hosted page is drawn, not blank');
      if (process.env.CRDB_TLS_KEEP_SCREENSHOT) fs.copyFileSync(shot, process.env.CRDB_TLS_KEEP_SCREENSHOT.replace(/(\.png)?$/i, '-mcp-app.png'));

      // Filter: untick the first certs dir; only the other one's rows remain, with its own counts.
      const sources = view.locator('fieldset.sources input[type=checkbox]');
      assert.equal(await sources.count(), 2);
      const first = view.locator('fieldset.sources label', { hasText: `certs dir ${path.join(work, 'certs')} (` });
      await first.locator('input').uncheck();
      await view.locator('g.cert').first().waitFor();
      assert.equal(await view.locator('g.cert').count(), 2, 'the CA and carol of other-certs');
      assert.deepEqual((await view.locator('g.cert text').allTextContents()).filter((t) => /client\.|ca\.crt/.test(t)).length > 0, true);
      assert.equal(await view.locator('g.cert', { hasText: 'client.alice.crt' }).count(), 0, 'alice is filtered out');
      assert.match(await view.locator('text.summary').textContent() ?? '', /^2 certificates: 0 expired, 0 fail/);
      await sources.nth(1).uncheck();
      await view.locator('p.empty').waitFor();
      await first.locator('input').check();
      assert.equal(await view.locator('g.cert').count(), 4);

      const sizes = await page.evaluate(() => (window as unknown as { seen: Array<{ height: number }> }).seen);
      assert.ok(sizes.length > 0 && sizes.some((s) => s.height > 300), `the page reported its size to the host: ${JSON.stringify(sizes)}`);
      assert.deepEqual(requests.filter((url) => !url.startsWith('about:') && !url.startsWith('data:')), [], 'the page fetched nothing');
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
    }
  });
  test('certificate text is shown as text: markup in a subject or a file name runs nothing and fetches nothing', async () => {
    // A certificate anyone could drop into a certs dir, made with openssl: its subject and its file name are markup.
    const dir = path.join(work, 'hostile');
    fs.mkdirSync(dir, { recursive: true });
    const subject = '<img src=x onerror=parent.postMessage("pwned","*")>';
    const file = 'client.<svg onload=alert(1)>.crt';
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(work, 'safe', 'hostile.key'), '-days', '45', '-subj', `/CN=${subject}`, '-out', path.join(dir, file)], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const client = await connect('modern', 'stdio', true);
    let result: CallResult;
    let html: string;
    try {
      result = await client.call('check_expiry', { certs_dirs: ['hostile'], within: '30d' });
      html = (await client.read(PAGE_URI)).contents[0]!.text!;
    } finally {
      await client.close();
    }
    const { page, requests, problems, view } = await hostPage(browser, bridgeScript, html!, result!, { certs_dirs: ['hostile'], within: '30d' });
    try {
      const row = view.locator('g.cert').first();
      await row.waitFor();
      assert.equal(await view.locator('g.cert').count(), 1);
      await row.hover();
      const details = view.locator('section.details');
      await details.locator('dl').waitFor();
      const shown = await details.innerText();
      assert.ok(shown.includes(subject), `the subject is shown as the text it is: ${shown}`);
      assert.ok(shown.includes(file), 'so is the file name');
      assert.ok((await view.locator('g.cert text').first().textContent())!.includes('<svg onload=alert(1)>'), 'the label is SVG text');
      assert.equal(await view.locator('img').count(), 0, 'no element came out of the certificate');
      assert.equal(await view.locator('svg').count(), 1, 'the one svg is the chart');
      const stray = await page.evaluate(() => (window as unknown as { stray: unknown[] }).stray);
      assert.deepEqual(stray, [], 'nothing but the View protocol reached the host');
      assert.deepEqual(requests.filter((url) => !url.startsWith('about:') && !url.startsWith('data:')), [], 'nothing was fetched (an injected <img src=x> would be)');
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
    }
  });
});
