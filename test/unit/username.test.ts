// SQL user names as `cockroach cert create-client` takes them (reference §1.2): case-folded,
// Unicode NFC, then ^[\p{Ll}0-9_][---\p{Ll}0-9_.]*$ and at most 63 BYTES.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ToolError } from '../../src/core/errors.js';
import { normalizeSqlUsername } from '../../src/pki/username.js';

// The hint CockroachDB prints with every user name error (pkg/security/username/username.go, reference §1.2).
const COCKROACH_HINT =
  'Usernames are case insensitive, must start with a letter, digit or underscore, may contain letters, digits, dashes, periods, or underscores, and must not exceed 63 characters.';

function refusal(input: string): ToolError {
  try {
    normalizeSqlUsername(input);
  } catch (error) {
    assert.ok(error instanceof ToolError, `expected a ToolError for ${JSON.stringify(input)}, got ${String(error)}`);
    return error;
  }
  assert.fail(`${JSON.stringify(input)} was accepted but CockroachDB refuses it`);
}

function assertRefused(input: string, cockroachError: 'username is invalid' | 'username is too long' | 'username is empty') {
  const error = refusal(input);
  assert.equal(error.code, 'invalid_input');
  assert.ok(error.message.startsWith(cockroachError), `${JSON.stringify(input)}: expected "${cockroachError}", got "${error.message}"`);
  assert.equal(error.hint, COCKROACH_HINT);
}

describe('SQL user names for client certificates (reference §1.2)', () => {
  test('Alice is case-folded to alice, as create-client Alice writes client.alice.crt', () => {
    assert.equal(normalizeSqlUsername('Alice'), 'alice');
    assert.equal(normalizeSqlUsername('ROOT'), 'root');
  });

  test('non-ASCII capitals are folded too: ÉLODIE becomes élodie', () => {
    assert.equal(normalizeSqlUsername('ÉLODIE'), 'élodie');
  });

  test('a decomposed accent (e + combining acute) is composed to NFC, so both spellings name one user', () => {
    const decomposed = 'jose\u0301';
    const composed = 'jos\u00e9';
    assert.notEqual(decomposed, composed);
    assert.equal(normalizeSqlUsername(decomposed), composed);
    assert.equal(normalizeSqlUsername(composed), composed);
    assert.equal(normalizeSqlUsername('JOSE\u0301'), composed);
  });

  test('a name may start with a digit or an underscore', () => {
    assert.equal(normalizeSqlUsername('1st_user'), '1st_user');
    assert.equal(normalizeSqlUsername('_service'), '_service');
    assert.equal(normalizeSqlUsername('007'), '007');
  });

  test('dashes and periods are allowed after the first character', () => {
    assert.equal(normalizeSqlUsername('app-reader.v2'), 'app-reader.v2');
    assert.equal(normalizeSqlUsername('a-'), 'a-');
    assert.equal(normalizeSqlUsername('a.'), 'a.');
  });

  test('a dash or a period as the first character is refused as invalid', () => {
    assertRefused('-dash-first', 'username is invalid');
    assertRefused('.period-first', 'username is invalid');
  });

  test('spaces, @ and other punctuation are refused as invalid', () => {
    assertRefused('bad user', 'username is invalid');
    assertRefused('alice@example.com', 'username is invalid');
    assertRefused('a/b', 'username is invalid');
    assertRefused('a+b', 'username is invalid');
  });

  test('letters without case (CJK) are refused: the pattern admits only lowercase letters (\\p{Ll})', () => {
    assertRefused('用户', 'username is invalid');
  });

  test('the empty name is refused as empty', () => {
    assertRefused('', 'username is empty');
  });

  test('63 ASCII characters are accepted and 64 are too long', () => {
    const max = 'a'.repeat(63);
    assert.equal(normalizeSqlUsername(max), max);
    assertRefused('a'.repeat(64), 'username is too long');
  });

  test('the limit counts bytes: 32 two-byte letters (64 bytes) are too long, 31 (62 bytes) fit', () => {
    const letter = 'é'; // U+00E9, two bytes in UTF-8
    assert.equal(Buffer.byteLength(letter.repeat(32), 'utf8'), 64);
    assertRefused(letter.repeat(32), 'username is too long');
    assert.equal(normalizeSqlUsername(letter.repeat(31)), letter.repeat(31));
  });

  test('the byte limit applies after folding: 32 capital É are too long once folded', () => {
    assertRefused('É'.repeat(32), 'username is too long');
  });

  test('the refusal names the input the person typed', () => {
    assert.match(refusal('bad user').message, /"bad user"/);
  });
});
