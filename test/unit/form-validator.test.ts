// The bundle's stand-in for the SDK's default JSON Schema validator (src/mcp/form-validator.ts):
// until the real one is loaded no answer can be checked (so none is taken for valid), and once
// loaded it checks a form's answer exactly as the SDK's Ajv validator does.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DefaultJsonSchemaValidator, loadFormValidator } from '../../src/mcp/form-validator.js';

const CONFIRM_FORM = { type: 'object' as const, properties: { confirm: { type: 'boolean' as const } }, required: ['confirm'] };

describe('the lazy form validator', () => {
  test('refuses to check an answer before it is loaded, then checks it like Ajv', async () => {
    const validator = new DefaultJsonSchemaValidator();
    assert.throws(() => validator.getValidator(CONFIRM_FORM), /not loaded yet/);
    await loadFormValidator();
    await loadFormValidator();
    const check = validator.getValidator(CONFIRM_FORM);
    assert.equal(check({ confirm: true }).valid, true);
    assert.equal(check({ confirm: 'yes' }).valid, false, 'a string is not a ticked box');
    assert.equal(check({}).valid, false, 'no answer is no agreement');
  });
});
