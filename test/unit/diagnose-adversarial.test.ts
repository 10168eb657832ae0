// Adversarial and random input: linear time on anything (no regex backtracking, no rescans), the
// matcher agreeing with a naive search, and answers that stay well-formed whatever is pasted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { diagnose } from '../../src/diagnose/engine.js';
import { ANCHORS } from '../../src/diagnose/extract.js';
import { PhraseMatcher } from '../../src/diagnose/matcher.js';
import { normalizeErrorText } from '../../src/diagnose/normalize.js';
import { ALL_SIGNALS } from '../../src/diagnose/rules/index.js';
import { Diagnosis, MAX_ERROR_TEXT_BYTES } from '../../src/diagnose/schema.js';
import { seededRandom } from '../support/seeded-random.js';

const MiB = MAX_ERROR_TEXT_BYTES;
const fill = (unit: string, size = MiB) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);

// Inputs built to hurt: near-misses of long phrases (a backtracking matcher restarts on each),
// escape storms (the normaliser), anchors whose terminator never comes (the extractors), a URL
// with a million '@' (the connection-string parser), one line with no newline at all.
const ADVERSARIAL: Record<string, string> = {
  'near-misses of a long phrase': fill('x509: certificate signed by unknown authorit'),
  'every kind of phrase, over and over': fill("SELF_SIGNED_CERT_IN_CHAIN x509: certificate is valid for a, not b connection to server at \"h\" (1.2.3.4), port 26257 failed: PKIX path building failed key file k has permissions -rw-r--r--, exceeds -rwx------ "),
  'a megabyte of backslashes': fill('\\'),
  'escape storm': fill('\\u00\\"\\n\\\\\\x1'),
  'anchors that never close': fill('connection to server at "'),
  "URL with a million '@'": `postgresql://${fill('a@', MiB - 13)}`,
  'one letter, no newline': fill('a'),
  'ANSI escape starts': fill('\u001b['),
  'missing-file lines without paths': fill(': no such file or directory'),
  'quote soup (multi-byte)': fill('"\'`(\u201c\u201d', MiB / 2),
  'deep JSON escaping': fill('\\\\\\\\\\\\\\"'),
};

// How fast is `npm run bench`'s business (diagnose-1mib, and diagnose-linear: 1 MiB against 256 KiB
// in the same run). Here the timeout is only a hang guard: a backtracking matcher takes minutes.
const HANG_GUARD = { timeout: 60_000 };

describe('1 MiB of adversarial text is diagnosed, schema-valid and deterministic', () => {
  for (const [name, text] of Object.entries(ADVERSARIAL)) {
    test(name, HANG_GUARD, () => {
      assert.ok(Buffer.byteLength(text) <= MiB, 'the input is within the limit');
      const d = diagnose({ error_text: text });
      Diagnosis.parse(d);
      assert.equal(d.input.bytes, Buffer.byteLength(text), 'every byte of the input was taken in');
      assert.deepEqual(diagnose({ error_text: text }).code, d.code, 'deterministic');
    });
  }

  test('four times the input: the same answer, four times the characters scanned and the phrases found', HANG_GUARD, () => {
    const unit = 'x509: certificate signed by unknown authorit connection to server at "';
    const small = fill(unit, MiB / 4);
    const large = small.repeat(4);
    const [a, b] = [diagnose({ error_text: small }), diagnose({ error_text: large })];
    assert.equal(b.code, a.code);
    assert.equal(b.input.characters_scanned, 4 * a.input.characters_scanned, 'one pass over all of it, nothing skipped');
    // The one-pass matcher reports every occurrence: in four copies of the text, four times as
    // many, give or take one that straddles a seam between copies.
    const phrases = [...new Set([...ALL_SIGNALS.map((s) => s.phrase), ...Object.keys(ANCHORS)])];
    const matcher = new PhraseMatcher(phrases.map((text) => ({ text })));
    const counts = (text: string) => new Map(matcher.scan(text).map((m) => [phrases[m.phrase]!, m.count]));
    const [few, many] = [counts(small), counts(large)];
    assert.ok(few.size > 0, 'the unit holds known phrases');
    for (const [phrase, n] of few) {
      const m = many.get(phrase) ?? 0;
      assert.ok(m >= 4 * n && m <= 4 * n + 3, `${JSON.stringify(phrase)}: ${n} in 256 KiB, ${m} in 1 MiB`);
    }
  });
});

describe('the phrase matcher', () => {
  const naiveCount = (text: string, phrase: string) => {
    let count = 0;
    for (let at = text.indexOf(phrase); at >= 0; at = text.indexOf(phrase, at + 1)) count++;
    return count;
  };

  test('finds exactly what a naive search finds, overlapping and case-folded, on random text', () => {
    const phrases = ['abc', 'bca', 'cab', 'abcab', 'b', 'aa', 'x509: ', 'eof'];
    const matcher = new PhraseMatcher(phrases.map((text) => ({ text })));
    const random = seededRandom(7);
    for (let round = 0; round < 200; round++) {
      const length = Math.floor(random() * 300);
      const text = Array.from({ length }, () => 'abcABx509: eofEOF'[Math.floor(random() * 17)]).join('');
      const found = new Map(matcher.scan(text).map((m) => [phrases[m.phrase]!, m.count]));
      for (const phrase of phrases) assert.equal(found.get(phrase) ?? 0, naiveCount(text.toLowerCase(), phrase), `${JSON.stringify(phrase)} in ${JSON.stringify(text)}`);
    }
  });

  test('a boundary phrase only counts as a whole word', () => {
    const matcher = new PhraseMatcher([{ text: 'eof', boundary: true }]);
    assert.deepEqual(matcher.scan('whereof thereof eofx'), []);
    assert.equal(matcher.scan('read: EOF, unexpected eof')[0]!.count, 2);
  });

  test('every knowledge-base phrase is lowercase, non-empty and cites its source', () => {
    for (const signal of ALL_SIGNALS) {
      assert.equal(signal.phrase, signal.phrase.toLowerCase(), signal.id);
      assert.ok(signal.phrase.trim().length >= 3, signal.id);
      assert.ok(signal.source.length > 3, `${signal.id} has no source`);
      for (const w of Object.values(signal.weights)) assert.ok(w! > 0 && w! < 1, `${signal.id}: weight ${w}`);
    }
    assert.equal(new Set(ALL_SIGNALS.map((s) => s.id)).size, ALL_SIGNALS.length, 'signal ids are unique');
  });
});

describe('the normaliser', () => {
  test('undoes JSON.stringify, once or twice', () => {
    const original = 'Error: "self-signed certificate"\n    at TLSSocket\t(node:_tls_wrap)';
    assert.equal(normalizeErrorText(JSON.stringify(original).slice(1, -1)).text, 'Error: "self-signed certificate"\n at TLSSocket (node:_tls_wrap)');
    assert.equal(normalizeErrorText(JSON.stringify(JSON.stringify(original))).text, `""Error: "self-signed certificate"\n at TLSSocket (node:_tls_wrap)""`);
  });

  test('leaves plain text alone apart from spaces, CR and quotes', () => {
    assert.equal(normalizeErrorText('FATAL:  connection requires a valid client certificate\r\n').text, 'FATAL: connection requires a valid client certificate\n');
    assert.equal(normalizeErrorText('server certificate for \u201cnode\u201d &amp; &quot;x&quot;').text, 'server certificate for "node" & "x"');
  });
});

describe('random pastes never break the answer', () => {
  const fragments = [
    ...ALL_SIGNALS.slice(0, 80).map((s) => s.phrase),
    'connection to server at "', 'dial tcp ', 'Host: ', 'postgresql://u:p@', '\\n', '\\"', '"', "'", '@', '?', '=', '&', ':', ' ', '\n', 'é', '\u001b[31m', '\\u0041',
  ];
  test('1,000 random mixtures of phrases and junk: schema-valid, evidence quoted from the input, confidence 0 when unknown', () => {
    const random = seededRandom(2026);
    for (let round = 0; round < 1000; round++) {
      const parts = Array.from({ length: 1 + Math.floor(random() * 12) }, () => fragments[Math.floor(random() * fragments.length)]!);
      const text = parts.join(random() < 0.5 ? '' : ' ');
      const d = Diagnosis.parse(diagnose({ error_text: text }));
      const normalized = normalizeErrorText(text).text.toLowerCase();
      for (const e of d.evidence) if (!e.startsWith('connection string:') && !e.startsWith('reported by')) assert.ok(normalized.includes(e.toLowerCase()), `${JSON.stringify(e)} not in ${JSON.stringify(text)}`);
      if (d.code === 'unknown') assert.equal(d.confidence, 0);
      else assert.ok(d.confidence > 0 && d.confidence <= 0.97);
      for (const a of d.alternatives) assert.notEqual(a.code, d.code);
    }
  });
});
