// What the fuzz suites (test/fuzz/*.test.ts) share: run counts, hostile values, a sandbox of temp
// directories with hostile fixtures (symlinks out of the root, a FIFO, garbage and truncated
// certificates, 10 MB files), peers that misbehave on purpose (a Cloud API stand-in that answers
// garbage or nothing, TCP servers that send junk or stay silent), and the checks that every file a
// tool leaves is whole.
//
//   npm test                      each property runs its default count (the folder stays under ~60 s)
//   FUZZ_RUNS=100000 npm run fuzz a long run: fast properties run FUZZ_RUNS times, slow ones
//                                 (key generation, network peers) FUZZ_RUNS / 50
//   FUZZ_SEED=123 ...             replays a run (the seed is printed with every failure)
//   FUZZ_SHRINK=1 ...             shrinks a failing input (off by default: shrinking 10 MB inputs is slow)
//   FUZZ_STATS=1 ...              test/fuzz/tools.test.ts prints how each tool's calls ended (2: every error too)
//   FUZZ_TRACE=/tmp/trace ...     appends each call before it runs (a call stuck in a synchronous loop is the last line)
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import forge from 'node-forge';
import { parseCsr } from '../../src/pki/csr.js';
import { scanPemBlocks } from '../../src/pki/pem.js';

// ---- run counts -----------------------------------------------------------------------------

const requested = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : undefined;
if (requested !== undefined && !(Number.isInteger(requested) && requested > 0)) throw new Error(`FUZZ_RUNS=${process.env.FUZZ_RUNS} is not a positive whole number`);

/** Runs of a property: its default under `npm test`, FUZZ_RUNS (divided by `slowness`) when asked for. */
export function runs(defaultRuns: number, slowness = 1): number {
  return requested === undefined ? defaultRuns : Math.max(defaultRuns, Math.floor(requested / slowness));
}

// CI replays one fixed seed so that a landing is judged on the same inputs every time; local runs
// explore new ones (and `npm run fuzz` explores many).
const CI_SEED = 20261127;
export const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : process.env.CI === 'true' ? CI_SEED : Date.now() ^ (process.pid << 8);

/**
 * fc.assert parameters: a fixed seed per process, no shrinking unless FUZZ_SHRINK=1, and a report
 * that cuts long strings (fast-check's own would print a 10 MB counterexample whole).
 */
export function fuzzParameters<T>(numRuns: number): fc.Parameters<T> {
  return {
    numRuns,
    seed,
    endOnFailure: process.env.FUZZ_SHRINK !== '1',
    reporter: (details) => {
      if (!details.failed) return;
      const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      throw new Error(`failed after ${details.numRuns} run(s); replay with FUZZ_SEED=${details.seed} (path ${details.counterexamplePath})\ncounterexample: ${brief(details.counterexample, 1500)}\n${error.slice(0, 4000)}`);
    },
  };
}

// ---- describing inputs without printing 10 MB --------------------------------------------------

/** A JSON-ish rendering with long strings cut and control characters visible. */
export function brief(value: unknown, budget = 600): string {
  const seen = new WeakSet<object>();
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'string' && v.length > 80) return `${v.slice(0, 60)}…<${v.length} chars>`;
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    if (v === undefined) return '<undefined>';
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '<cycle>';
      seen.add(v);
    }
    return v;
  }) ?? String(value);
  return text.length > budget ? `${text.slice(0, budget)}…` : text;
}

// ---- hostile values ---------------------------------------------------------------------------

const MB = 1_000_000;
const memo = new Map<string, string>();
/** Big strings are built once per process: a 10 MB string per run would measure the allocator. */
function big(name: string, build: () => string): string {
  let value = memo.get(name);
  if (value === undefined) {
    value = build();
    memo.set(name, value);
  }
  return value;
}
const repeatTo = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

/** Strings of 1 MiB + 1 and 10 MB built from units that hurt parsers: BEGIN lines, near-miss phrases, %, NUL, ../ */
export function hugeStrings(): string[] {
  const units = ['-----BEGIN CERTIFICATE-----\n', 'x509: certificate signed by unknown authorit', '%', '\0', '../', 'A', '/*', "'", 'kafka://a?ca_cert=', '\uD800'];
  return units.flatMap((unit, i) => [
    big(`1MiB+1:${i}`, () => repeatTo(unit, 1_048_577)),
    ...(i < 4 ? [big(`10MB:${i}`, () => repeatTo(unit, 10 * MB))] : []),
  ]);
}

/** Bytes that are not UTF-8, seen as a JS string the two ways a face might decode them. */
const badBytes = fc.uint8Array({ minLength: 1, maxLength: 64 }).chain((bytes) => fc.constantFrom(Buffer.from(bytes).toString('latin1'), Buffer.from(bytes).toString('utf8')));

/**
 * Any string a hostile caller might send: control characters, NUL, lone surrogates, invalid UTF-8,
 * very long (1 MiB + 1 and 10 MB unless `huge: false`, for properties with many runs; the 10 MB
 * cases then have a test of their own).
 */
export function hostileString(extra: string[] = [], { huge = true }: { huge?: boolean } = {}): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: badBytes },
    { weight: 2, arbitrary: fc.string({ maxLength: 20 }).map((s) => `${s}\0${s}`) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '\0', '\uD800', '\uDFFF', '\uFFFE', '\r\n', '%00', '%zz', '..', '../..', '/', '\\', '~', 'null', 'undefined', '0', '-1', '__proto__', 'constructor') },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 5000 }).map((n) => 'a'.repeat(n)) },
    { weight: huge ? 1 : 0, arbitrary: fc.constantFrom(...hugeStrings()) },
    ...(extra.length ? [{ weight: 4, arbitrary: fc.constantFrom(...extra) }] : []),
  );
}

/** Any JSON value, and values JSON cannot carry (NaN, -0, undefined, big integers) for in-process callers. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, 2 ** 53, -(2 ** 63), 1e308, undefined, null, [], {}, [[[[]]]], true) },
  { weight: 2, arbitrary: hostileString() },
);

// ---- the sandbox -------------------------------------------------------------------------------

export interface Sandbox {
  /** The only allowed root (CRDB_TLS_ROOTS). */
  root: string;
  /** CRDB_TLS_STATE_DIR: the audit trail. */
  state: string;
  /** A directory outside the root that symlinks in the root point to; must never change. */
  outside: string;
  /** HOME during the run (~/.postgresql lives here, outside the root); must never change. */
  home: string;
  /** Paths, relative to the root, that a fuzzed path field draws from. */
  paths: string[];
  /** Certificate-ish texts (PEM, DER as latin1, truncated, swapped types). */
  pemTexts: string[];
  /** The seeded files: a file whose size/mtime/inode still match was not written by a tool. */
  seeded: Map<string, string>;
  dispose(): void;
}

const fileStamp = (stat: fs.Stats) => `${stat.size}:${stat.mtimeMs}:${stat.ino}`;

/** Every regular file under `dir` with its stamp (symlinks and FIFOs are not followed or read). */
export function stamps(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (current: string) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.set(full, fileStamp(fs.statSync(full)));
    }
  };
  walk(dir);
  return out;
}

/** Every file and link under `dir` with the SHA-256 of its content or its link target. */
export function contentSnapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (current: string) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        out.push(`${full}/`);
        walk(full);
      } else if (entry.isSymbolicLink()) out.push(`${full} -> ${fs.readlinkSync(full)}`);
      else if (entry.isFile()) out.push(`${full} ${crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex')} ${(fs.statSync(full).mode & 0o7777).toString(8)}`);
      else out.push(`${full} (special)`);
    }
  };
  walk(dir);
  return out.sort();
}

export interface Material {
  caPem: string;
  /** The CA's key (PKCS#1 PEM), at safe/ca.key in the sandbox so that issuing can succeed. */
  caKeyPem: string;
  caDer: Buffer;
  leafPem: string;
  keyPem: string;
  csrPem: string;
}

/** A real CA, client certificate, key and CSR from openssl-free Node + forge: the valid starting points. */
export function makeMaterial(): Material {
  const caKeys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const leafKeys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const toForgePriv = (k: crypto.KeyObject) => forge.pki.privateKeyFromPem(k.export({ type: 'pkcs1', format: 'pem' }).toString());
  const toForgePub = (k: crypto.KeyObject) => forge.pki.publicKeyFromPem(k.export({ type: 'spki', format: 'pem' }).toString());
  const ca = forge.pki.createCertificate();
  ca.publicKey = toForgePub(caKeys.publicKey);
  ca.serialNumber = '01';
  ca.validity.notBefore = new Date(Date.now() - 3_600_000);
  ca.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  ca.setSubject([{ name: 'organizationName', value: 'Cockroach' }, { name: 'commonName', value: 'Cockroach CA' }]);
  ca.setIssuer(ca.subject.attributes);
  ca.setExtensions([{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, digitalSignature: true, critical: true }]);
  ca.sign(toForgePriv(caKeys.privateKey), forge.md.sha256.create());
  const leaf = forge.pki.createCertificate();
  leaf.publicKey = toForgePub(leafKeys.publicKey);
  leaf.serialNumber = '02';
  leaf.validity.notBefore = new Date(Date.now() - 3_600_000);
  leaf.validity.notAfter = new Date(Date.now() + 30 * 86_400_000);
  leaf.setSubject([{ name: 'organizationName', value: 'Cockroach' }, { name: 'commonName', value: 'alice' }]);
  leaf.setIssuer(ca.subject.attributes);
  leaf.setExtensions([{ name: 'extKeyUsage', clientAuth: true }, { name: 'keyUsage', digitalSignature: true, keyEncipherment: true }]);
  leaf.sign(toForgePriv(caKeys.privateKey), forge.md.sha256.create());
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = toForgePub(leafKeys.publicKey);
  csr.setSubject([{ name: 'organizationName', value: 'Cockroach' }, { name: 'commonName', value: 'bob' }]);
  csr.sign(toForgePriv(leafKeys.privateKey), forge.md.sha256.create());
  const caPem = forge.pki.certificateToPem(ca);
  return {
    caPem,
    caKeyPem: caKeys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    caDer: Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(ca)).getBytes(), 'binary'),
    leafPem: forge.pki.certificateToPem(leaf),
    keyPem: leafKeys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    csrPem: forge.pki.certificationRequestToPem(csr),
  };
}

/** Corruptions of valid bytes: flipped bytes, cuts, duplications, swapped PEM labels. */
export function mutatedPem(material: Material): fc.Arbitrary<string> {
  const sources = [material.caPem, material.leafPem, material.keyPem, material.csrPem, material.caPem + material.leafPem];
  return fc.tuple(fc.constantFrom(...sources), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 5 })).map(([text, a, b, how]) => {
    const i = a % text.length;
    const j = b % text.length;
    switch (how) {
      case 0:
        return text.slice(0, i);
      case 1:
        return text.slice(0, i) + String.fromCharCode((text.charCodeAt(i) + 1 + (j % 250)) % 256) + text.slice(i + 1);
      case 2:
        return text.slice(0, i) + text.slice(j);
      case 3:
        return text.replace(/CERTIFICATE|RSA PRIVATE KEY|CERTIFICATE REQUEST/, ['PRIVATE KEY', 'CERTIFICATE', 'X509 CRL', 'CERTIFICATE REQUEST'][j % 4]!);
      case 4: {
        // Bytes of the DER inside, flipped, re-wrapped as PEM: reaches the ASN.1 parsers.
        const block = scanPemBlocks(text)[0];
        if (!block) return text;
        const der = Buffer.from(block.body.replace(/\s+/g, ''), 'base64');
        der[i % der.length] = (der[i % der.length]! ^ (1 + (j % 255))) & 0xff;
        return `-----BEGIN ${block.type}-----\n${der.toString('base64')}\n-----END ${block.type}-----\n`;
      }
      default:
        return text + text.slice(0, i);
    }
  });
}

/**
 * base/{root,outside,home,state}: root holds a certs dir with a real CA, hostile fixtures, a
 * symlink out of the root, a dangling symlink, a FIFO, a 10 MB file; outside and home hold files
 * a tool must never touch.
 */
export function makeSandbox(material: Material): Sandbox {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-fuzz-')));
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  const home = path.join(base, 'home');
  const state = path.join(base, 'state');
  for (const dir of [root, outside, home, state, path.join(home, '.postgresql'), path.join(root, 'certs'), path.join(root, 'safe'), path.join(root, 'fixtures'), path.join(root, 'fifo-dir'), path.join(root, 'csr'), path.join(root, 'out')]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  const write = (rel: string, data: string | Buffer, mode = 0o644) => fs.writeFileSync(path.join(root, rel), data, { mode });
  fs.writeFileSync(path.join(outside, 'secret.key'), material.keyPem, { mode: 0o600 });
  fs.writeFileSync(path.join(outside, 'ca.crt'), material.caPem);
  fs.writeFileSync(path.join(home, '.postgresql', 'root.crt'), material.caPem);
  write('certs/ca.crt', material.caPem);
  write('certs/client.alice.crt', material.leafPem);
  write('certs/client.alice.key', material.keyPem, 0o600);
  write('safe/ca.key', material.caKeyPem, 0o600);
  write('csr/bob.csr', material.csrPem);
  write('fixtures/ca.crt', crypto.randomBytes(700));
  write('fixtures/empty.crt', '');
  write('fixtures/truncated.crt', material.caPem.slice(0, 300));
  write('fixtures/der.crt', material.caDer);
  write('fixtures/key-as-cert.crt', material.keyPem);
  write('fixtures/node.crt', hugeStrings()[1]!); // 10 MB of BEGIN lines
  write('fixtures/client.nul.crt', `${material.leafPem}\0\0\0`);
  write('fixtures/password.txt', 'pässwörd\0\n');
  fs.mkdirSync(path.join(root, 'fixtures', 'client.dir.crt'));
  fs.symlinkSync(path.join(outside, 'secret.key'), path.join(root, 'fixtures', 'client.eve.key'));
  write('fixtures/client.eve.crt', material.leafPem);
  fs.symlinkSync(outside, path.join(root, 'link-out'));
  fs.symlinkSync(path.join(outside, 'ca.crt'), path.join(root, 'certs-link-ca.crt'));
  fs.symlinkSync(path.join(base, 'nowhere', 'deeper'), path.join(root, 'dangling'));
  // A FIFO named like a certificate: reading it would wait for a writer forever.
  execFileSync('mkfifo', [path.join(root, 'fifo-dir', 'ca.crt')]);
  const paths = [
    'certs', 'certs/', './certs', 'certs2', 'new/deeper/dir', 'safe/ca.key', 'safe/other.key', 'certs/ca.crt', 'certs/client.alice.crt', 'certs/client.alice.key',
    'csr/bob.csr', 'out/bob.crt', 'out', 'fixtures', 'fixtures/ca.crt', 'fixtures/empty.crt', 'fixtures/truncated.crt', 'fixtures/der.crt', 'fixtures/key-as-cert.crt',
    'fixtures/node.crt', 'fixtures/client.nul.crt', 'fixtures/password.txt', 'fixtures/client.dir.crt', 'fixtures/client.eve.key', 'fifo-dir', 'fifo-dir/ca.crt',
    '.', '', ' ', '..', '../outside', '../outside/secret.key', '../home/.postgresql/root.crt', 'certs/../../outside/ca.crt', 'link-out', 'link-out/secret.key', 'link-out/new.key',
    'certs-link-ca.crt', 'dangling', 'dangling/ca.key', path.join(outside, 'x.crt'), outside, '/etc/passwd', '/etc', '/dev/zero', '/proc/self/environ', '~', '~/.postgresql/root.crt',
    'certs/\0ca.crt', `certs/${'x'.repeat(300)}`, 'a/'.repeat(200), 'certs\\ca.crt', 'file:///etc/passwd',
  ];
  const pemTexts = [material.caPem, material.leafPem, material.keyPem, material.csrPem, material.caPem + material.leafPem, material.caDer.toString('latin1'), material.caDer.toString('base64'), material.caPem.slice(0, 200), material.caPem.replace(/\n/g, '\r\n')];
  const seeded = stamps(root);
  return {
    root, state, outside, home, paths, pemTexts, seeded,
    dispose: () => fs.rmSync(base, { recursive: true, force: true }),
  };
}

// ---- are the files whole? ------------------------------------------------------------------

/** Why a file a tool wrote is not whole, or undefined when it parses as what it is. */
export function wholeFileProblem(file: string): string | undefined {
  const name = path.basename(file);
  if (/\.tmp$/.test(name) || /^\..*\.[A-Za-z0-9_-]+\.tmp$/.test(name)) return 'a temporary file was left behind';
  if (/\.bak$|~$/.test(name)) return 'a backup file was left behind';
  const bytes = fs.readFileSync(file);
  if (bytes.length === 0) return 'empty';
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN')) {
    const blocks = scanPemBlocks(text);
    const begins = text.split('-----BEGIN ').length - 1;
    if (blocks.length !== begins) return `${begins} BEGIN lines but ${blocks.length} whole PEM blocks`;
    for (const block of blocks) {
      const pem = `-----BEGIN ${block.type}-----\n${block.body}-----END ${block.type}-----\n`;
      try {
        if (block.type === 'CERTIFICATE') new crypto.X509Certificate(pem);
        else if (block.type.endsWith('PRIVATE KEY')) crypto.createPrivateKey(pem);
        else if (block.type.endsWith('CERTIFICATE REQUEST')) parseCsr(Buffer.from(pem), name);
        else return `an unexpected ${block.type} block`;
      } catch (error) {
        return `a ${block.type} block does not parse: ${(error as Error).message}`;
      }
    }
    return undefined;
  }
  try {
    crypto.createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' });
    return undefined;
  } catch {
    // not a PKCS#8 key
  }
  try {
    new crypto.X509Certificate(bytes);
    return undefined;
  } catch {
    // not a DER certificate
  }
  try {
    // PKCS#12 (its password is not known here): the whole file must be one complete ASN.1 value.
    (forge.asn1.fromDer as unknown as (bytes: forge.util.ByteStringBuffer, options: { parseAllBytes: boolean; strict: boolean }) => unknown)(forge.util.createBuffer(bytes.toString('binary')), { parseAllBytes: true, strict: true });
    return undefined;
  } catch (error) {
    return `neither PEM nor a DER key, certificate or PKCS#12: ${(error as Error).message}`;
  }
}

/** Files under the root that are new or changed since seeding and are not whole. */
export function brokenFiles(sandbox: Sandbox): string[] {
  const problems: string[] = [];
  for (const [file, stamp] of stamps(sandbox.root)) {
    if (sandbox.seeded.get(file) === stamp) continue;
    const problem = wholeFileProblem(file);
    if (problem) problems.push(`${path.relative(sandbox.root, file)}: ${problem}`);
  }
  return problems;
}

// ---- peers that misbehave ----------------------------------------------------------------------

export interface HostilePeers {
  /** COCKROACH_SERVER: a Cloud API stand-in that answers everything wrong, in turn. */
  cloudUrl: string;
  /** Accepts, sends junk (an 'S', then bytes that are not TLS) and closes. */
  junkPort: number;
  /** Accepts and never answers. */
  silentPort: number;
  /** Nothing listens here. */
  closedPort: number;
  close(): Promise<void>;
}

export async function startHostilePeers(material: Material): Promise<HostilePeers> {
  let turn = 0;
  const sockets = new Set<net.Socket>();
  const cloud = http.createServer((req, res) => {
    req.resume();
    const n = turn++ % 9;
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    switch (n) {
      case 0: return json(200, { status: 'IS_SET', x509_pem_cert: material.caPem });
      case 1: return json(200, '{"status": "PENDING", "x509_pem_cert": ');
      case 2: return json(500, { code: 13, message: 'internal' });
      case 3: return json(429, { code: 8, message: 'slow down' }, { 'retry-after': '1' });
      case 4: return json(200, { status: 'FAILED', x509_pem_cert: 'garbage' });
      case 5: res.writeHead(200, { 'content-type': 'application/x-pem-file' }); return res.end(material.caPem);
      case 6: res.writeHead(200, { 'content-type': 'text/plain' }); return res.end('A'.repeat(2 * MB));
      case 7: return json(404, { code: 5, message: 'cluster not found' });
      default: return; // never answers
    }
  });
  cloud.on('connection', (s) => sockets.add(s));
  const junk = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.end(Buffer.concat([Buffer.from('S'), crypto.randomBytes(200)]));
  });
  const silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
  });
  const listen = (server: net.Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
  const [cloudPort, junkPort, silentPort] = [await listen(cloud), await listen(junk), await listen(silent)];
  const closed = net.createServer();
  const closedPort = await listen(closed);
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  return {
    cloudUrl: `http://127.0.0.1:${cloudPort}`,
    junkPort,
    silentPort,
    closedPort,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([cloud, junk, silent].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    },
  };
}
