// --lifetime takes Go durations like `cockroach cert` (reference §1.1: 87840h, 43920h); thresholds
// such as --fail-within also take days.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ToolError } from '../../src/core/errors.js';
import { parseDuration } from '../../src/pki/duration.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('durations for --lifetime and --fail-within', () => {
  test("87840h, the CA default (10*366*24h), is ten years of 366 days", () => {
    assert.equal(parseDuration('87840h'), 87840 * HOUR);
    assert.equal(parseDuration('87840h'), 10 * 366 * DAY);
  });

  test("43920h0m0s, Go's own rendering of the leaf default, is five years of 366 days", () => {
    assert.equal(parseDuration('43920h0m0s'), 5 * 366 * DAY);
  });

  test('fractions are allowed: 1.5h is ninety minutes', () => {
    assert.equal(parseDuration('1.5h'), 90 * MINUTE);
  });

  test('90d is ninety days and 30m thirty minutes', () => {
    assert.equal(parseDuration('90d'), 90 * DAY);
    assert.equal(parseDuration('30m'), 30 * MINUTE);
  });

  test('units add up: 1h30m is 1.5h', () => {
    assert.equal(parseDuration('1h30m'), parseDuration('1.5h'));
  });

  for (const bad of ['', 'abc', '10', '-5h', '0h', '5x', 'h', '1h junk']) {
    test(`${JSON.stringify(bad)} is refused as invalid input naming the field`, () => {
      assert.throws(
        () => parseDuration(bad, 'lifetime'),
        (error: unknown) => error instanceof ToolError && error.code === 'invalid_input' && error.message.includes('lifetime') && error.message.includes(`"${bad}"`),
      );
    });
  }
});
