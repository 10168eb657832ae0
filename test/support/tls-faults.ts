// Certificates and servers for the network faults that probe_server, test_connection and the
// real-client corpus (scripts/corpus/generate.ts) are run against: a cluster CA and an unrelated
// one, good / wrong-host / expired / not-yet-valid node certificates, client certificates (good,
// wrong user, another CA, expired), and small loopback servers for what a TLS PostgreSQL cannot
// play: an HTTP port, a port that closes, one that never answers, one that answers "S" and stalls,
// and a server that only speaks TLS 1.0/1.1. Keys are generated here, in a temp dir; never committed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { issueCaCertificate, issueCertificate, type IssuedCertificate } from '../../src/pki/issue.js';
import { generateRsaKey, privateKeyPem, privateKeyPkcs8Der, spkiDer } from '../../src/pki/keys.js';

const DAY = 86_400_000;
const YEAR = 365 * DAY;

export interface Pair {
  crt: string;
  key: string;
  /** PKCS#8 DER (.pk8), what pgJDBC reads. */
  pk8: string;
}

export interface FaultPki {
  dir: string;
  ca: string;
  otherCa: string;
  node: Pair;
  /** SAN DNS:db.example.invalid only: dialling 127.0.0.1 or localhost does not match. */
  nodeWrongHost: Pair;
  /** SANs db1, db2 and db3.example.invalid: libpq says "(and 2 other names)". */
  nodeManyNames: Pair;
  nodeExpired: Pair;
  nodeNotYetValid: Pair;
  root: Pair;
  alice: Pair;
  rootOtherCa: Pair;
  rootExpired: Pair;
  dispose(): void;
}

interface Authority { cert: IssuedCertificate; key: crypto.KeyObject }

function write(dir: string, name: string, cert: IssuedCertificate, key: crypto.KeyObject): Pair {
  const crt = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  const pk8 = path.join(dir, `${name}.key.pk8`);
  fs.writeFileSync(crt, cert.pem);
  fs.writeFileSync(keyFile, privateKeyPem(key), { mode: 0o600 });
  fs.writeFileSync(pk8, privateKeyPkcs8Der(key), { mode: 0o600 });
  return { crt, key: keyFile, pk8 };
}

/**
 * Tests take EC P-256 keys: they are about what a TLS peer does with a certificate (names, dates,
 * issuer), not about the key algorithm, and eleven RSA-2048 keys cost seconds of CPU per file.
 * The real-client corpus asks for RSA, the keys `cockroach cert` makes, so its texts stay those.
 */
type FaultKeys = 'ec' | 'rsa';
const newKey = async (keys: FaultKeys): Promise<crypto.KeyObject> => (keys === 'rsa' ? generateRsaKey(2048) : crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);

async function leaf(ca: Authority, profile: 'node' | 'client', commonName: string, options: { keys: FaultKeys; dns?: string[]; ips?: string[]; now?: Date; lifetimeMs?: number }) {
  const key = await newKey(options.keys);
  const cert = issueCertificate({
    profile,
    commonName,
    subjectPublicKey: spkiDer(key),
    ...(options.dns ? { dnsNames: options.dns } : {}),
    ...(options.ips ? { ipAddresses: options.ips } : {}),
    lifetimeMs: options.lifetimeMs ?? YEAR,
    ...(options.now ? { now: options.now } : {}),
  }, { certificate: ca.cert.parsed, key: ca.key });
  return { cert, key };
}

/** Everything in a fresh 0755 temp dir (the PostgreSQL server user must read the node files). */
export async function makeFaultPki(parent = os.tmpdir(), { keys = 'ec' }: { keys?: FaultKeys } = {}): Promise<FaultPki> {
  const dir = fs.mkdtempSync(path.join(parent, 'crdb-tls-faults-'));
  fs.chmodSync(dir, 0o755);
  const now = Date.now();
  // Backdated so that certificates from the past (expired ones) fit inside the CA's lifetime.
  const caKey = await newKey(keys);
  const ca: Authority = { key: caKey, cert: issueCaCertificate(caKey, 20 * YEAR, new Date(now - 5 * YEAR)) };
  const otherKey = await newKey(keys);
  const other: Authority = { key: otherKey, cert: issueCaCertificate(otherKey, 20 * YEAR, new Date(now - 5 * YEAR)) };
  fs.writeFileSync(path.join(dir, 'ca.crt'), ca.cert.pem);
  fs.writeFileSync(path.join(dir, 'other-ca.crt'), other.cert.pem);

  const hosts = { keys, dns: ['localhost'], ips: ['127.0.0.1'] };
  const [node, wrongHost, manyNames, expired, notYet, root, alice, rootOther, rootExpired] = await Promise.all([
    leaf(ca, 'node', 'node', hosts),
    leaf(ca, 'node', 'node', { keys, dns: ['db.example.invalid'] }),
    leaf(ca, 'node', 'node', { keys, dns: ['db1.example.invalid', 'db2.example.invalid', 'db3.example.invalid'] }),
    leaf(ca, 'node', 'node', { ...hosts, now: new Date(now - 2 * YEAR) }),
    leaf(ca, 'node', 'node', { ...hosts, now: new Date(now + 30 * DAY) }),
    leaf(ca, 'client', 'root', { keys }),
    leaf(ca, 'client', 'alice', { keys }),
    leaf(other, 'client', 'root', { keys }),
    leaf(ca, 'client', 'root', { keys, now: new Date(now - 2 * YEAR) }),
  ]);
  return {
    dir,
    ca: path.join(dir, 'ca.crt'),
    otherCa: path.join(dir, 'other-ca.crt'),
    node: write(dir, 'node', node.cert, node.key),
    nodeWrongHost: write(dir, 'node-wrong-host', wrongHost.cert, wrongHost.key),
    nodeManyNames: write(dir, 'node-many-names', manyNames.cert, manyNames.key),
    nodeExpired: write(dir, 'node-expired', expired.cert, expired.key),
    nodeNotYetValid: write(dir, 'node-not-yet-valid', notYet.cert, notYet.key),
    root: write(dir, 'client.root', root.cert, root.key),
    alice: write(dir, 'client.alice', alice.cert, alice.key),
    rootOtherCa: write(dir, 'client.root.other-ca', rootOther.cert, rootOther.key),
    rootExpired: write(dir, 'client.root.expired', rootExpired.cert, rootExpired.key),
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export interface FaultServer {
  port: number;
  /** Connections accepted so far, and those still open: what a cancelled client left behind. */
  accepted(): number;
  open(): number;
  close(): Promise<void>;
}

function listen(server: net.Server, sockets: Set<net.Socket>): Promise<FaultServer> {
  let accepted = 0;
  server.on('connection', (socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        port,
        accepted: () => accepted,
        open: () => sockets.size,
        close: () => new Promise<void>((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}

/** An HTTP server (like CockroachDB's DB Console port): the SSLRequest bytes get "HTTP/1.1 400 Bad Request". */
export function startHttpListener(): Promise<FaultServer> {
  const server = http.createServer((_req, res) => res.end('ok\n'));
  return listen(server, new Set());
}

/** Accepts, reads the first bytes the client sends, and closes the connection. */
export function startClosingListener(): Promise<FaultServer> {
  const server = net.createServer((socket) => socket.once('data', () => socket.end()));
  return listen(server, new Set());
}

/** Accepts and never writes a byte (what it reads is dropped, so it sees the client hang up). */
export function startSilentListener(): Promise<FaultServer> {
  const server = net.createServer((socket) => socket.resume());
  return listen(server, new Set());
}

/** Answers the SSLRequest with "S" and then never takes part in the TLS handshake. */
export function startStallAfterSListener(): Promise<FaultServer> {
  const server = net.createServer((socket) => socket.once('data', () => socket.write('S')));
  return listen(server, new Set());
}

/** A pgwire server that answers "S" and then speaks only TLS 1.0 / 1.1 (a server too old for today's clients). */
export function startOldTlsServer(pair: Pair): Promise<FaultServer> {
  // OpenSSL 3 allows TLS 1.0/1.1 only at security level 0.
  return startPgwireTlsServer(pair, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
}

/** A pgwire server that answers "S" and serves `pair` over TLS, enough for a probe to read the chain. */
export function startPgwireTlsServer(pair: Pair, options: tls.SecureContextOptions = {}): Promise<FaultServer> {
  const context = tls.createSecureContext({ cert: fs.readFileSync(pair.crt), key: fs.readFileSync(pair.key), ...options });
  const server = net.createServer((socket) => {
    socket.once('data', () => {
      socket.write('S');
      const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
      secure.on('error', () => socket.destroy());
    });
  });
  return listen(server, new Set());
}

/** A loopback port with nothing listening on it (bound, read back, released). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
