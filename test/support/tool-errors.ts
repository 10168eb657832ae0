// The ToolError a call fails with, for tests that go on to check its code, message and hint.
// Anything else thrown, or no failure at all, fails the test.
import assert from 'node:assert/strict';
import { ToolError } from '../../src/core/errors.js';

/** The ToolError `promise` rejects with; `whenFulfilled` is the failure message if it does not reject. */
export async function toolErrorRejectedBy(promise: Promise<unknown>, whenFulfilled = 'expected the call to fail'): Promise<ToolError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ToolError, `expected a ToolError, got ${String(error)}`);
    return error;
  }
  assert.fail(whenFulfilled);
}

/** The ToolError `call` throws; `whenReturned` is the failure message if it returns. */
export function toolErrorThrownBy(call: () => unknown, whenReturned: string): ToolError {
  try {
    call();
  } catch (error) {
    assert.ok(error instanceof ToolError, `expected a ToolError, got ${String(error)}`);
    return error;
  }
  assert.fail(whenReturned);
}
