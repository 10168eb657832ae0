// src/pki/verify.ts against two independent verifiers: `openssl verify` (OpenSSL 3) and Go's
// crypto/x509 Verify (a program of ours, test/support/x509-verify, built once by go-build.ts from the standard
// library with golang-go). fast-check generates chains over key types, depth, basicConstraints,
// keyUsage, EKU, dates at every level, same-subject CAs with other keys, missing intermediates and
// where the trust anchor sits; every chain is judged by all three, and any disagreement fails the
// test unless it is one of the deliberate differences below (also in the README, "Chain
// verification"):
//
//   go_ignores_leaf_key_usage
//                          Go's Verify ignores the leaf's keyUsage (crypto/x509 verify.go: "KeyUsage
//                          status flags are ignored"); OpenSSL refuses a TLS client certificate whose
//                          keyUsage has neither digitalSignature nor keyAgreement, and a server one
//                          without any of digitalSignature, keyEncipherment, keyAgreement (RFC 8446
//                          §4.4.2.2). We follow OpenSSL, as do Java and the brokers it runs.
//   openssl_anchor_by_key_usage
//                          OpenSSL's X509_check_ca accepts a trust anchor without basicConstraints
//                          when its keyUsage asserts keyCertSign; RFC 5280 §4.2.1.9 says such a key
//                          MUST NOT verify certificate signatures, and Go's CheckSignatureFrom
//                          refuses it. We follow RFC 5280 and Go (CockroachDB is Go).
//   openssl_picks_issuer_by_name
//                          Without AKI/SKI, OpenSSL picks an issuer among same-subject CAs by name
//                          and dates alone, and fails with "certificate signature failure" when it
//                          picks the one with the other key; Go and verify.ts try every candidate
//                          (the CA-rotation bundle holds two "Cockroach CA"s). CockroachDB's CAs
//                          carry SKI and its leaves AKI, which lets OpenSSL choose right.
//
// Runs: 500 chains under `npm test` (CI replays one seed; each chain costs an `openssl verify`
// process, ~14 ms of CPU, and 2,000 made this file an eighth of the suite's CPU), FUZZ_RUNS chains
// when set (`npm run fuzz`: 10,000); FUZZ_SEED replays a run.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { parseCertificateDer } from '../../src/pki/certificate.js';
import { verifyChain, type ChainVerification } from '../../src/pki/verify.js';
import { buildCertificate, KeyPool, type BuiltCert, type CertSpec, type Eku, type KeyType } from '../support/chain-factory.js';
import { runs, seed } from '../support/fuzz.js';
import { goProgram } from '../support/go-build.js';
import { requireSystemTool } from '../support/system-tools.js';

const run = promisify(execFile);
const CHAINS = runs(500);
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const OPENSSL_PARALLEL = Math.max(2, Math.min(4, os.cpus().length));
const GO_SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'x509-verify', 'main.go');

type Purpose = 'server_auth' | 'client_auth';
interface ChainCase {
  purpose: Purpose;
  cas: CertSpec[];
  leaf: CertSpec;
  decoyRoot: 'none' | 'before' | 'after';
  decoyIntermediate: boolean;
  missingIntermediate: boolean;
  anchor: 'root' | 'top_intermediate' | 'bundle';
  reverseUntrusted: boolean;
}

interface Judged {
  id: number;
  spec: ChainCase;
  leaf: BuiltCert;
  trusted: BuiltCert[];
  untrusted: BuiltCert[];
  ours: ChainVerification;
  openssl?: { ok: boolean; output: string };
  go?: { ok: boolean; error?: string };
}

// ---- the generator -------------------------------------------------------------------------

const weighted = <T>(...pairs: Array<[number, T]>) => fc.oneof(...pairs.map(([weight, value]) => ({ weight, arbitrary: fc.constant(value) })));
const keyType = weighted<KeyType>([2, 'rsa'], [2, 'ec'], [1, 'ed25519']);
const validity = weighted([12, 'valid' as const], [1, 'expired' as const], [1, 'not_yet_valid' as const]);
const caEku = weighted<Eku[] | null>([10, null], [1, ['serverAuth', 'clientAuth']], [1, ['serverAuth']], [1, ['clientAuth']], [1, ['codeSigning']]);
const caSpec = fc.record({
  key: keyType,
  bc: weighted([10, 'ca_true' as const], [3, 'pathlen0' as const], [2, 'pathlen1' as const], [1, 'absent' as const], [1, 'ca_false' as const]),
  keyUsage: weighted<string[] | null>([5, null], [5, ['keyCertSign', 'cRLSign']], [2, ['digitalSignature', 'keyCertSign']], [1, ['digitalSignature', 'keyEncipherment']]),
  eku: caEku,
  validity,
});
const leafSpec = fc.record({
  key: keyType,
  bc: weighted([6, 'absent' as const], [2, 'ca_false' as const], [1, 'ca_true' as const]),
  keyUsage: weighted<string[] | null>([3, null], [6, ['digitalSignature', 'keyEncipherment']], [1, ['digitalSignature']], [1, ['keyEncipherment']], [1, ['keyCertSign']]),
  eku: weighted<Eku[] | null>([3, null], [4, ['serverAuth', 'clientAuth']], [2, ['serverAuth']], [2, ['clientAuth']], [1, ['codeSigning']]),
  validity,
});
const chainCase = fc.record({
  purpose: fc.constantFrom<Purpose>('server_auth', 'client_auth'),
  cas: fc.array(caSpec, { minLength: 1, maxLength: 3 }),
  leaf: leafSpec,
  keyIds: fc.boolean(),
  decoyRoot: weighted([4, 'none' as const], [1, 'before' as const], [1, 'after' as const]),
  decoyIntermediate: weighted([5, false], [1, true]),
  missingIntermediate: weighted([8, false], [1, true]),
  anchor: weighted([8, 'root' as const], [1, 'top_intermediate' as const], [1, 'bundle' as const]),
  reverseUntrusted: fc.boolean(),
}).map(({ cas, leaf, keyIds, ...rest }): ChainCase => {
  // Distinct keys within a chain (the pool holds 8 of each type; a chain has at most 6 certificates).
  const next: Record<KeyType, number> = { rsa: 0, ec: 0, ed25519: 0 };
  const withKey = (s: Omit<CertSpec, 'key' | 'subject' | 'keyIds'> & { key: KeyType }, subject: string): CertSpec => ({ ...s, subject, keyIds, key: { type: s.key, index: next[s.key]++ } });
  return { ...rest, cas: cas.map((c, i) => withKey(c, i === 0 ? 'Root CA' : `Intermediate ${i}`)), leaf: withKey(leaf, 'leaf') };
});

function build(spec: ChainCase, pool: KeyPool, serial: () => Buffer): Pick<Judged, 'leaf' | 'trusted' | 'untrusted'> {
  const cas: BuiltCert[] = [];
  for (const ca of spec.cas) cas.push(buildCertificate(ca, cas[cas.length - 1], pool, NOW, serial()));
  const leaf = buildCertificate(spec.leaf, cas[cas.length - 1], pool, NOW, serial());
  // Decoys: same subject, another key (index 7 is never handed out by the generator), valid CAs.
  const decoy = (subject: string, issuer: BuiltCert | undefined) => buildCertificate({ subject, key: { type: 'ec', index: 7 }, bc: 'ca_true', keyUsage: ['keyCertSign'], eku: null, validity: 'valid', keyIds: spec.cas[0]!.keyIds }, issuer, pool, NOW, serial());
  const root = cas[0]!;
  let intermediates = cas.slice(1);
  let trusted: BuiltCert[] = [root];
  if (spec.anchor === 'top_intermediate' && intermediates.length) [trusted, intermediates] = [[intermediates[0]!], intermediates.slice(1)];
  if (spec.anchor === 'bundle') trusted = [root, ...intermediates];
  if (spec.missingIntermediate && intermediates.length) intermediates = intermediates.filter((_, i) => i !== intermediates.length - 1);
  if (spec.decoyRoot !== 'none') trusted = spec.decoyRoot === 'before' ? [decoy(root.subject, undefined), ...trusted] : [...trusted, decoy(root.subject, undefined)];
  if (spec.decoyIntermediate && cas.length > 1) intermediates = [decoy(cas[cas.length - 1]!.subject, cas[cas.length - 2]), ...intermediates];
  return { leaf, trusted, untrusted: spec.reverseUntrusted ? [...intermediates].reverse() : intermediates };
}

// ---- the judges --------------------------------------------------------------------------------

let work: string;
let goBinary: string | undefined;
let judged: Judged[] = [];

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-chains-'));
});
after(() => { if (!process.env.KEEP_CHAINS) fs.rmSync(work, { recursive: true, force: true }); });

async function judgeWithGo(cases: Judged[]): Promise<void> {
  const input = JSON.stringify(cases.map((c) => ({ id: c.id, leaf: c.leaf.pem, intermediates: c.untrusted.map((x) => x.pem), roots: c.trusted.map((x) => x.pem), purpose: c.spec.purpose, now: NOW.getTime() })));
  const inputFile = path.join(work, 'go-cases.json');
  fs.writeFileSync(inputFile, input);
  const { stdout } = await run('sh', ['-c', `"${goBinary}" < "${inputFile}"`], { maxBuffer: 256 * 1024 * 1024 });
  const verdicts = JSON.parse(stdout) as Array<{ id: number; ok: boolean; error?: string }>;
  assert.equal(verdicts.length, cases.length, 'the Go judge answered every case');
  for (const v of verdicts) cases[v.id]!.go = { ok: v.ok, ...(v.error ? { error: v.error } : {}) };
}

/** One shell per shard runs `openssl verify` for each of its cases: no Node spawn per chain. */
async function judgeWithOpenssl(cases: Judged[]): Promise<void> {
  const shards: string[][] = Array.from({ length: OPENSSL_PARALLEL }, () => []);
  for (const c of cases) {
    const dir = path.join(work, `c${c.id}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'leaf.pem'), c.leaf.pem);
    fs.writeFileSync(path.join(dir, 'trusted.pem'), c.trusted.map((x) => x.pem).join(''));
    const untrusted = c.untrusted.length ? ` -untrusted "${dir}/untrusted.pem"` : '';
    if (c.untrusted.length) fs.writeFileSync(path.join(dir, 'untrusted.pem'), c.untrusted.map((x) => x.pem).join(''));
    // -partial_chain: any certificate in -CAfile is a trust anchor, as in RFC 5280, Go and verify.ts.
    const purpose = c.spec.purpose === 'client_auth' ? 'sslclient' : 'sslserver';
    shards[c.id % OPENSSL_PARALLEL]!.push(`openssl verify -attime ${NOW.getTime() / 1000} -purpose ${purpose} -partial_chain -CAfile "${dir}/trusted.pem"${untrusted} "${dir}/leaf.pem" > "${dir}/out" 2>&1; echo "${c.id} $?"`);
  }
  await Promise.all(shards.map(async (lines, i) => {
    if (!lines.length) return;
    const script = path.join(work, `shard${i}.sh`);
    fs.writeFileSync(script, lines.join('\n') + '\n');
    const { stdout } = await run('sh', [script], { maxBuffer: 64 * 1024 * 1024 });
    for (const line of stdout.trim().split('\n')) {
      const [id, status] = line.split(' ').map(Number) as [number, number];
      cases[id]!.openssl = { ok: status === 0, output: fs.readFileSync(path.join(work, `c${id}`, 'out'), 'utf8').trim() };
    }
  }));
}

// ---- the deliberate differences -------------------------------------------------------------

/** The name of the documented difference that explains a disagreement, or null. */
function deliberate(c: Judged): string | null {
  const { ours, spec } = c;
  const error = ours.error ?? '';
  const openssl = c.openssl!;
  const go = c.go!;
  if (!ours.verified && go.ok && !openssl.ok && /^unsupported certificate purpose: O=Differential, CN=leaf's keyUsage \(.*\) has none of/.test(error)) return 'go_ignores_leaf_key_usage';
  const anchor = ours.path[ours.path.length - 1];
  const anchorSpec = [...spec.cas].find((ca) => anchor === `O=Differential, CN=${ca.subject}`);
  if (!ours.verified && !go.ok && openssl.ok && error.startsWith(`invalid CA certificate: ${anchor} signed`) && error.endsWith('it has no basicConstraints CA:TRUE')
    && anchorSpec?.bc === 'absent' && anchorSpec.keyUsage?.includes('keyCertSign')) return 'openssl_anchor_by_key_usage';
  if (ours.verified && go.ok && !openssl.ok && openssl.output.includes('certificate signature failure') && !spec.leaf.keyIds
    && (spec.decoyRoot !== 'none' || spec.decoyIntermediate)) return 'openssl_picks_issuer_by_name';
  return null;
}

const describe = (c: Judged) => JSON.stringify({
  id: c.id, seed, spec: c.spec,
  ours: c.ours, openssl: c.openssl?.output.split('\n').slice(-3).join(' | '), go: c.go,
}, null, 1);

test(`verify.ts, openssl verify and Go's crypto/x509 agree on ${CHAINS} generated chains (deliberate differences documented)`, async (t) => {
  if (!requireSystemTool(t, 'openssl') || !requireSystemTool(t, 'go')) return;
  const started = performance.now();
  goBinary = goProgram('x509-verify', fs.readFileSync(GO_SOURCE, 'utf8'));
  const pool = new KeyPool(8);
  let serialCounter = 1;
  const serial = () => { const b = Buffer.alloc(8); b.writeUInt32BE(serialCounter++, 4); b[0] = 0x01; return b; };
  const specs = fc.sample(chainCase, { seed, numRuns: CHAINS });
  judged = specs.map((spec, id) => {
    const built = build(spec, pool, serial);
    const parse = (b: BuiltCert) => parseCertificateDer(b.der, b.subject, NOW);
    const ours = verifyChain(parse(built.leaf), built.untrusted.map(parse), built.trusted.map(parse), { purpose: spec.purpose, now: NOW });
    return { id, spec, ...built, ours };
  });
  const generatedMs = performance.now() - started;
  await Promise.all([judgeWithGo(judged), judgeWithOpenssl(judged)]);

  const differences = new Map<string, number>();
  const unexplained: Judged[] = [];
  for (const c of judged) {
    if (c.ours.verified === c.openssl!.ok && c.ours.verified === c.go!.ok) continue;
    const reason = deliberate(c);
    if (reason) differences.set(reason, (differences.get(reason) ?? 0) + 1);
    else unexplained.push(c);
  }
  const accepted = judged.filter((c) => c.ours.verified).length;
  t.diagnostic(`${CHAINS} chains (seed ${seed}): ${accepted} accepted, ${CHAINS - accepted} refused by verify.ts; deliberate differences: ${JSON.stringify(Object.fromEntries(differences))}; unexplained: ${unexplained.length}; ${(generatedMs / 1000).toFixed(1)} s to generate, ${((performance.now() - started) / 1000).toFixed(1)} s in all`);
  assert.deepEqual(unexplained.slice(0, 5).map(describe), [], `${unexplained.length} chain(s) on which the verifiers disagree without a documented reason`);
  // The generator must exercise both verdicts, or agreement would prove little.
  assert.ok(accepted > CHAINS / 10 && accepted < CHAINS * 0.9, `accepted ${accepted} of ${CHAINS}`);
});
