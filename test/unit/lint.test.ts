// Lint rules and chain verification on certificates issued by our own issuer at chosen moments
// (`now` in the past or future gives expired and not-yet-valid certificates).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, test } from 'node:test';
import { ToolError } from '../../src/core/errors.js';
import { parseCertificateDer, type ParsedCertificate } from '../../src/pki/certificate.js';
import { issueCaCertificate, issueCertificate, type CertificateRequest, type IssuedCertificate } from '../../src/pki/issue.js';
import { generateRsaKey, spkiDer } from '../../src/pki/keys.js';
import { formatFileMode, lintAgainstIssuer, lintCertificate, lintKeyPermissions, type Finding } from '../../src/pki/lint.js';
import { verifyChain } from '../../src/pki/verify.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Whole seconds: X.509 times have no milliseconds, so lifetimes computed from NotAfter come out exact.
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const daysFromNow = (days: number) => new Date(NOW.getTime() + days * DAY);

let caKey: crypto.KeyObject;
let leafKey: crypto.KeyObject;
let otherCaKey: crypto.KeyObject;
let ca: IssuedCertificate; // valid for ten years from now
let otherCa: IssuedCertificate;

before(async () => {
  [caKey, leafKey, otherCaKey] = await Promise.all([generateRsaKey(2048), generateRsaKey(2048), generateRsaKey(2048)]);
  ca = issueCaCertificate(caKey, 3660 * DAY, NOW);
  otherCa = issueCaCertificate(otherCaKey, 3660 * DAY, NOW);
});

/** Parses the DER again as of `at`, the way list and inspect do (days left counted from the same moment). */
const at = (issued: IssuedCertificate, moment: Date): ParsedCertificate => parseCertificateDer(issued.der, 'test certificate', moment);

function leaf(profile: 'node' | 'client', lifetimeDays: number, options: { issuedAt?: Date; signer?: IssuedCertificate; signerKey?: crypto.KeyObject } & Partial<CertificateRequest> = {}): IssuedCertificate {
  const { issuedAt = NOW, signer = ca, signerKey = caKey, ...request } = options;
  return issueCertificate(
    { profile, commonName: profile === 'node' ? 'node' : 'alice', subjectPublicKey: spkiDer(leafKey), lifetimeMs: lifetimeDays * DAY, now: issuedAt, ...(profile === 'node' ? { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] } : {}), ...request },
    { certificate: signer.parsed, key: signerKey },
  );
}

const rules = (findings: Finding[]) => findings.map((f) => `${f.rule}:${f.level}`);

describe('lint rules on one certificate', () => {
  test('a fresh five-year node certificate with SANs has no findings', () => {
    assert.deepEqual(lintCertificate(at(leaf('node', 1830), NOW), 'node', NOW), []);
  });

  test('a certificate whose NotAfter has passed is an expired error', () => {
    const issued = leaf('client', 10, { issuedAt: daysFromNow(-100) });
    const findings = lintCertificate(at(issued, NOW), 'client', NOW);
    assert.ok(rules(findings).includes('expired:error'), rules(findings).join(', '));
    assert.ok(!rules(findings).some((r) => r.startsWith('expiring')), 'an expired certificate is not also "expiring"');
  });

  test('a certificate issued in the future is not yet valid', () => {
    const issued = leaf('client', 365, { issuedAt: daysFromNow(10) }); // NotBefore = issue time - 24h = now + 9 days
    assert.ok(rules(lintCertificate(at(issued, NOW), 'client', NOW)).includes('not_yet_valid:error'));
  });

  test('fewer than 30 days left is an error', () => {
    const issued = leaf('client', 20);
    assert.deepEqual(rules(lintCertificate(at(issued, NOW), 'client', NOW)), ['expiring:error']);
  });

  test('between 30 and 90 days left is a warning', () => {
    const issued = leaf('client', 60);
    assert.deepEqual(rules(lintCertificate(at(issued, NOW), 'client', NOW)), ['expiring:warning']);
  });

  test('more than 90 days left is fine', () => {
    assert.deepEqual(lintCertificate(at(leaf('client', 120), NOW), 'client', NOW), []);
  });

  test('the same certificate is fine today and an expiring error 80 days before its end', () => {
    const issued = leaf('client', 100);
    const later = daysFromNow(80);
    assert.deepEqual(lintCertificate(at(issued, NOW), 'client', NOW), []);
    assert.deepEqual(rules(lintCertificate(at(issued, later), 'client', later)), ['expiring:error']);
  });

  test('a node certificate without DNS or IP SANs is an error (verify-full clients reject it)', () => {
    const issued = leaf('node', 365, { dnsNames: [], ipAddresses: [] });
    assert.deepEqual(issued.parsed.info.sans.dns, []);
    assert.ok(rules(lintCertificate(at(issued, NOW), 'node', NOW)).includes('node_without_sans:error'));
  });

  test('a CA certificate linted as a CA is fine; a client certificate in a CA file is flagged', () => {
    assert.deepEqual(lintCertificate(at(ca, NOW), 'ca', NOW), []);
    assert.ok(rules(lintCertificate(at(leaf('client', 365), NOW), 'ca', NOW)).includes('ca_not_ca:error'));
  });
});

describe('key file permissions (reference §1.5)', () => {
  test("Go's os.FileMode rendering: 0644 is -rw-r--r--, 0600 -rw-------, 0700 -rwx------, 0740 -rwxr-----", () => {
    assert.equal(formatFileMode(0o644), '-rw-r--r--');
    assert.equal(formatFileMode(0o600), '-rw-------');
    assert.equal(formatFileMode(0o700), '-rwx------');
    assert.equal(formatFileMode(0o740), '-rwxr-----');
  });

  test('a 0644 key owned by a normal user is refused in CockroachDB\'s words, with 0700 as the limit', () => {
    const [finding, ...rest] = lintKeyPermissions('client.x.key', 0o644, 1000, 1000);
    assert.equal(rest.length, 0);
    assert.equal(finding?.rule, 'key_permissions');
    assert.equal(finding?.level, 'error');
    assert.ok(finding?.message.startsWith('key file client.x.key has permissions -rw-r--r--, exceeds -rwx------'), finding?.message);
  });

  test('0600 and 0700 keys pass', () => {
    assert.deepEqual(lintKeyPermissions('node.key', 0o600, 1000, 1000), []);
    assert.deepEqual(lintKeyPermissions('node.key', 0o700, 1000, 1000), []);
  });

  test('a 0640 key owned by a normal user fails, but passes when owned by root and by our group (limit 0740)', () => {
    assert.equal(lintKeyPermissions('node.key', 0o640, 1000, 1000).length, 1);
    const gid = process.getgid!();
    assert.deepEqual(lintKeyPermissions('node.key', 0o640, 0, gid), []);
    const [finding] = lintKeyPermissions('node.key', 0o644, 0, gid);
    assert.ok(finding?.message.startsWith('key file node.key has permissions -rw-r--r--, exceeds -rwxr-----'), finding?.message);
  });
});

describe('a leaf against its CA', () => {
  test('issuing refuses a leaf that would outlive its CA, in CockroachDB\'s words (reference §1.1)', () => {
    const shortCa = issueCaCertificate(caKey, 10 * DAY, NOW);
    assert.throws(
      () => leaf('client', 20, { signer: shortCa }),
      (error: unknown) =>
        error instanceof ToolError &&
        error.code === 'lifetime_exceeds_ca' &&
        /^CA lifetime is 240\.0{6}h, shorter than the requested 480\.0{6}h\.$/.test(error.message) &&
        error.hint === 'Renew CA certificate, or rerun with --lifetime=240h for a shorter duration.',
    );
  });

  test('a leaf that expires after its CA (the CA was reissued shorter with the same key) is flagged outlives_ca', () => {
    const issued = leaf('client', 365);
    const shortCa = issueCaCertificate(caKey, 30 * DAY, NOW);
    assert.deepEqual(lintAgainstIssuer(at(issued, NOW), at(ca, NOW)), []);
    assert.deepEqual(rules(lintAgainstIssuer(at(issued, NOW), at(shortCa, NOW))), ['outlives_ca:warning']);
  });
});

describe('chain verification', () => {
  test('a node certificate verifies against the CA that signed it, with the path leaf → CA', () => {
    const result = verifyChain(at(leaf('node', 365), NOW), [], [at(ca, NOW)], { now: NOW });
    assert.equal(result.verified, true, result.error);
    assert.deepEqual(result.path, ['O=Cockroach, CN=node', 'O=Cockroach, CN=Cockroach CA']);
  });

  test('against another CA with the very same subject it is not verified: the signature decides, not the name', () => {
    assert.equal(otherCa.parsed.info.subject, ca.parsed.info.subject);
    const result = verifyChain(at(leaf('node', 365), NOW), [], [at(otherCa, NOW)], { now: NOW });
    assert.equal(result.verified, false);
    assert.match(result.error ?? '', /^unable to get local issuer certificate/);
  });

  test('a bundle of the other CA and the right CA verifies (rotation: both CAs trusted)', () => {
    const result = verifyChain(at(leaf('node', 365), NOW), [], [at(otherCa, NOW), at(ca, NOW)], { now: NOW });
    assert.equal(result.verified, true, result.error);
  });

  test('an expired leaf is not verified', () => {
    const result = verifyChain(at(leaf('client', 10, { issuedAt: daysFromNow(-100) }), NOW), [], [at(ca, NOW)], { now: NOW });
    assert.equal(result.verified, false);
    assert.match(result.error ?? '', /^certificate has expired: O=Cockroach, CN=alice/);
  });

  test('a valid leaf under an expired CA is not verified, and the error names the CA', () => {
    // The same key and subject, but a CA certificate that ended yesterday.
    const expiredCa = issueCaCertificate(caKey, 30 * DAY, daysFromNow(-31));
    const result = verifyChain(at(leaf('node', 365), NOW), [], [at(expiredCa, NOW)], { now: NOW });
    assert.equal(result.verified, false);
    assert.match(result.error ?? '', /^certificate has expired: O=Cockroach, CN=Cockroach CA/);
  });

  test('a leaf is not accepted as the issuer of another leaf (it is not a CA)', () => {
    const signerLeaf = leaf('client', 365);
    // Sign a second certificate with the leaf key, as if the client certificate were a CA.
    const forged = issueCertificate(
      { profile: 'client', commonName: 'mallory', subjectPublicKey: spkiDer(otherCaKey), lifetimeMs: 30 * DAY, now: NOW },
      { certificate: signerLeaf.parsed, key: leafKey },
    );
    const result = verifyChain(at(forged, NOW), [at(signerLeaf, NOW)], [at(ca, NOW)], { now: NOW });
    assert.equal(result.verified, false);
    // The failed path is reported as built (like openssl verify's depth lines), with the reason.
    assert.match(result.error ?? '', /^invalid CA certificate: O=Cockroach, CN=alice signed O=Cockroach, CN=mallory but is not a CA: it has no basicConstraints CA:TRUE/);
  });
});
