// printable / oneLine / terminalSafeJson (src/core/unicode.ts): what the CLI does to text from
// outside before a terminal sees it. Whatever the input, nothing a terminal acts on survives, and
// the JSON form reads back to the same value.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { oneLine, printable, terminalSafeJson } from '../../src/core/unicode.js';

const ACTS_ON_TERMINAL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
/** Strings rich in what matters here: escapes, controls, bidi characters, surrogate halves. */
const hostile = fc.array(fc.oneof(
  fc.constantFrom('\x1b', '\x1b[', '\x1b]', '\x07', '\x9b', '\x9d', '\x9c', '\x1b\\', '\r', '\n', '\t', '\x00', '\x7f', '\u202e', '\u2066', '\u2028', '\ud800', 'm', '2J', ';', 'a'),
  fc.string({ unit: 'binary', maxLength: 4 }),
), { maxLength: 40 }).map((parts) => parts.join(''));

describe('text from outside, fit for a terminal', () => {
  test('escape sequences go whole: OSC title, CSI clear and colour, 8-bit CSI, ESC c', () => {
    assert.equal(printable('a\x1b]0;pwned\x07b\x1b[2J\x1b[31mc\x1b[0m\x9b31md\x1bce'), 'abcde');
  });

  test('other controls and bidi overrides become U+FFFD; tab and line feed stay, CRLF becomes LF', () => {
    assert.equal(printable('x\x00y\u202ez\r\nw\tv'), 'x\uFFFDy\uFFFDz\nw\tv');
  });

  test('oneLine shows a line feed as ␤, so a name cannot start a line of its own', () => {
    assert.equal(oneLine('ide\nFORGED done'), 'ide\u2424FORGED done');
  });

  test('for any input, printable leaves nothing a terminal acts on, and oneLine no line break either', () => {
    fc.assert(fc.property(hostile, (text) => {
      assert.doesNotMatch(printable(text), ACTS_ON_TERMINAL);
      assert.doesNotMatch(oneLine(text), /[\n\t]/);
    }), { numRuns: 2000 });
  });

  test('terminalSafeJson prints nothing raw and parses back to the same value', () => {
    fc.assert(fc.property(hostile, (text) => {
      const json = terminalSafeJson({ name: text });
      // Line feeds are JSON's own layout; a tab, like every other control, must be escaped.
      assert.doesNotMatch(json, ACTS_ON_TERMINAL);
      assert.doesNotMatch(json, /\t/);
      assert.deepEqual(JSON.parse(json), { name: text });
    }), { numRuns: 2000 });
  });
});
