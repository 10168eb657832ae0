// The bundle's stand-in for the SDK's `@modelcontextprotocol/server/_shims` (scripts/build.mjs puts
// it in that module's place). The SDK's default JSON Schema validator there is Ajv (~290 KB) that
// every start of the MCP face would compile and evaluate, while a server uses it for one thing
// only: checking a person's answer to a form (elicitation/create, the legacy era) against the
// form's schema. Here the real one loads when a form is about to be shown (loadFormValidator, from
// confirm-form.ts), before any answer can arrive; until then no answer can be checked, and one
// that came anyway would be refused (the SDK reports an error, the gated call does not run).
import process from 'node:process';
import type { JsonSchemaType, JsonSchemaValidator, jsonSchemaValidator } from '@modelcontextprotocol/server';

let real: jsonSchemaValidator | undefined;

/** Loads the SDK's own validator (Ajv), once. */
export async function loadFormValidator(): Promise<void> {
  if (real) return;
  const { AjvJsonSchemaValidator } = await import('@modelcontextprotocol/server/validators/ajv');
  real ??= new AjvJsonSchemaValidator();
}

export class DefaultJsonSchemaValidator implements jsonSchemaValidator {
  getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    if (!real) throw new Error('the form validator is not loaded yet (loadFormValidator runs before a form is shown)');
    return real.getValidator<T>(schema);
  }
}

/** @public What the SDK's stdio transport takes from `_shims`. */
export { process };
