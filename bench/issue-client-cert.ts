// Issuing a client certificate: crdb-tls (CLI spawned, and the in-process domain call) against the
// equivalent openssl sequence, all signed by the same CA. Two parts: the whole issuance (RSA key
// generation dominates it, and is noisy), and signing an existing CSR only (what our code adds).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createCa } from '../src/pki/create-ca.js';
import { createClientCert, signClientCsr } from '../src/pki/create-leaf.js';
import { CLI_BUNDLE, Scratch, cliEnv, genrsaArgs, interleave, progress, row, timeAsync, timeSpawn, type BenchResult } from './harness.js';

const HOUR_MS = 3_600_000;
/** `cockroach cert create-client`'s default lifetime, 43920h = 1830 days (reference §1.1). */
const CLIENT_LIFETIME_MS = 43_920 * HOUR_MS;
const CLIENT_DAYS = String(43_920 / 24);
const KEY_BITS = 2048;

/** The client profile of pkg/security/x509.go (reference §1.2), as an openssl extension file. */
const OPENSSL_CLIENT_EXTENSIONS = ['keyUsage = critical, digitalSignature, keyEncipherment', 'extendedKeyUsage = clientAuth', 'authorityKeyIdentifier = keyid', ''].join('\n');
const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

export interface IssueOptions {
  /** Timed runs of the whole issuance (key generation included). */
  issueRuns: number;
  /** Timed runs of signing a CSR only. */
  signRuns: number;
  warmups: number;
}

/** Checks that a run produced what it claims: a client certificate for `user` signed by the CA. */
function checkClientCert(certFile: string, user: string, ca: crypto.X509Certificate, keyFile?: string): void {
  const cert = new crypto.X509Certificate(fs.readFileSync(certFile));
  if (!cert.verify(ca.publicKey)) throw new Error(`${certFile} is not signed by the benchmark CA`);
  if (!cert.subject.split('\n').includes(`CN=${user}`)) throw new Error(`${certFile} has subject ${JSON.stringify(cert.subject)}, not CN=${user}`);
  if (!(cert.keyUsage ?? []).includes(CLIENT_AUTH_OID)) throw new Error(`${certFile} lacks the clientAuth extended key usage`);
  if (keyFile) {
    const keyPem = fs.readFileSync(keyFile, 'utf8');
    if (!keyPem.startsWith('-----BEGIN RSA PRIVATE KEY-----')) throw new Error(`${keyFile} is not a PKCS#1 RSA key as cockroach writes it`);
    if (!cert.checkPrivateKey(crypto.createPrivateKey(keyPem))) throw new Error(`${keyFile} does not match ${certFile}`);
  }
}

export async function benchIssueClientCert(options: IssueOptions): Promise<BenchResult> {
  const scratch = new Scratch('crdb-tls-bench-issue-');
  try {
    const node = process.execPath;
    const env = cliEnv();
    const certsDir = path.join(scratch.root, 'certs');
    const caKey = path.join(scratch.dir('safe'), 'ca.key');
    const signedDir = scratch.dir('signed');
    const extFile = path.join(scratch.root, 'client.ext');
    fs.writeFileSync(extFile, OPENSSL_CLIENT_EXTENSIONS);

    progress('issue: creating the CA with crdb-tls (once, shared by every contender)');
    await createCa({ kind: 'ca', certsDir, caKeyPath: caKey, keySize: KEY_BITS, lifetimeMs: 87_840 * HOUR_MS, overwrite: false, allowKeyReuse: false });
    const caCert = path.join(certsDir, 'ca.crt');
    const ca = new crypto.X509Certificate(fs.readFileSync(caCert));

    // --- whole issuance ---------------------------------------------------------------------
    const opensslIssue = (dir: string, user: string) => {
      const [key, csr, crt] = ['client.key', 'client.csr', 'client.crt'].map((f) => path.join(dir, f)) as [string, string, string];
      const genrsa = genrsaArgs(key, KEY_BITS);
      const start = performance.now();
      timeSpawn('openssl', genrsa, { cwd: dir });
      timeSpawn('openssl', ['req', '-new', '-key', key, '-subj', `/O=Cockroach/CN=${user}`, '-out', csr], { cwd: dir });
      timeSpawn('openssl', ['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-days', CLIENT_DAYS, '-extfile', extFile, '-out', crt], { cwd: dir });
      return { ms: performance.now() - start, key, crt };
    };
    const cliIssue = (user: string) => timeSpawn(node, [CLI_BUNDLE, 'cert', 'create-client', user, '--certs-dir', certsDir, '--ca-key', caKey], { env }).ms;
    const libIssue = async (user: string) =>
      (await timeAsync(() => createClientCert({ certsDir, caKeyPath: caKey, keySize: KEY_BITS, lifetimeMs: CLIENT_LIFETIME_MS, overwrite: false, user, pkcs8: false, tenantScopes: [] }))).ms;

    progress(`issue: ${options.warmups} warm-up run(s), checked: certificates chain to the CA, CN, clientAuth, PKCS#1 key`);
    for (let w = 0; w < options.warmups; w++) {
      cliIssue(`warmcli${w}`);
      checkClientCert(path.join(certsDir, `client.warmcli${w}.crt`), `warmcli${w}`, ca, path.join(certsDir, `client.warmcli${w}.key`));
      await libIssue(`warmlib${w}`);
      checkClientCert(path.join(certsDir, `client.warmlib${w}.crt`), `warmlib${w}`, ca, path.join(certsDir, `client.warmlib${w}.key`));
      const peer = opensslIssue(scratch.fresh('openssl-warm-'), `warm${w}`);
      checkClientCert(peer.crt, `warm${w}`, ca, peer.key);
    }
    const issue = await interleave('issue (key + certificate)', options.issueRuns, {
      cli: (i) => cliIssue(`u${i}`),
      lib: (i) => libIssue(`v${i}`),
      peer: (i) => opensslIssue(scratch.fresh('openssl-'), `u${i}`).ms,
    });

    // --- signing a CSR only -----------------------------------------------------------------
    const csr = path.join(scratch.root, 'u.csr');
    const csrKey = path.join(scratch.root, 'u.key');
    timeSpawn('openssl', genrsaArgs(csrKey, KEY_BITS));
    timeSpawn('openssl', ['req', '-new', '-key', csrKey, '-subj', '/O=Cockroach/CN=u', '-out', csr]);
    const opensslSign = (dir: string) => {
      const crt = path.join(dir, 'client.crt');
      return { ms: timeSpawn('openssl', ['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-days', CLIENT_DAYS, '-extfile', extFile, '-out', crt], { cwd: dir }).ms, crt };
    };
    const cliSign = (out: string) => timeSpawn(node, [CLI_BUNDLE, 'cert', 'create-client', '--csr', csr, '--out', out, '--certs-dir', certsDir, '--ca-key', caKey], { env }).ms;
    const libSign = async (out: string) =>
      (await timeAsync(() => signClientCsr({ certsDir, caKeyPath: caKey, lifetimeMs: CLIENT_LIFETIME_MS, overwrite: false, csrPath: csr, outPath: out, tenantScopes: [] }))).ms;

    progress(`sign CSR: ${options.warmups} warm-up run(s), checked like above`);
    for (let w = 0; w < options.warmups; w++) {
      const cliOut = path.join(signedDir, `warm-cli${w}.crt`);
      cliSign(cliOut);
      checkClientCert(cliOut, 'u', ca);
      const libOut = path.join(signedDir, `warm-lib${w}.crt`);
      await libSign(libOut);
      checkClientCert(libOut, 'u', ca);
      checkClientCert(opensslSign(scratch.fresh('openssl-sign-warm-')).crt, 'u', ca);
    }
    const sign = await interleave('sign CSR only', options.signRuns, {
      cli: (i) => cliSign(path.join(signedDir, `cli${i}.crt`)),
      lib: (i) => libSign(path.join(signedDir, `lib${i}.crt`)),
      peer: () => opensslSign(scratch.fresh('openssl-sign-')).ms,
    });

    const opensslSequence = `openssl genrsa${genrsaArgs('k', KEY_BITS).includes('-traditional') ? ' -traditional' : ''} -out k ${KEY_BITS}; openssl req -new -key k -subj /O=Cockroach/CN=u -out csr; openssl x509 -req -in csr -CA ca.crt -CAkey ca.key -days ${CLIENT_DAYS} -extfile ext -out crt (3 spawns, fresh dir each run)`;
    const opensslSignOnly = `openssl x509 -req -in csr -CA ca.crt -CAkey ca.key -days ${CLIENT_DAYS} -extfile ext -out crt (1 spawn)`;
    return {
      rows: [
        row('issue-cli', 'client cert, CLI (spawn)', issue.cli, issue.peer, 'node dist/crdb-tls.cjs cert create-client uN --certs-dir D --ca-key K', opensslSequence),
        row('issue-lib', 'client cert, in-process', issue.lib, issue.peer, 'createClientCert() from src/pki/create-leaf.ts', opensslSequence),
        row('sign-cli', 'sign CSR only, CLI (spawn)', sign.cli, sign.peer, 'node dist/crdb-tls.cjs cert create-client --csr F --out F --certs-dir D --ca-key K', opensslSignOnly),
        row('sign-lib', 'sign CSR only, in-process', sign.lib, sign.peer, 'signClientCsr() from src/pki/create-leaf.ts', opensslSignOnly),
      ],
      notes: [
        `client cert: both sides generate an RSA-${KEY_BITS} key, so the prime search dominates and its luck makes min–max spread wide; compare the sign-CSR rows for what our code adds.`,
        'ours writes atomically (temp file, fsync, link, directory fsync) and checks the CA key matches ca.crt before signing; openssl -out just writes.',
      ],
    };
  } finally {
    scratch.dispose();
  }
}
