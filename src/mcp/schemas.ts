import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import type * as z from 'zod';
import { portableJsonSchema } from '../core/json-schema.js';

type Json = Record<string, unknown>;

// Moved to core (the build prepares tool listings from it); re-exported for the face's callers.
export { portableJsonSchema };

/**
 * A zod schema as the SDK takes it (Standard Schema with JSON Schema): zod validates, and the
 * advertised JSON Schema is zod's own, made portable.
 */
export function portableSchema(schema: z.ZodType): StandardSchemaWithJSON<Record<string, unknown>> {
  const std = schema["~standard"] as unknown as StandardSchemaWithJSON<Record<string, unknown>>["~standard"];
  return {
    '~standard': {
      ...std,
      validate: std.validate,
      jsonSchema: {
        input: (options) => portableJsonSchema(std.jsonSchema.input(options)) as Json,
        output: (options) => portableJsonSchema(std.jsonSchema.output(options)) as Json,
      },
    },
  };
}

/**
 * A tool's schema as the SDK takes it, without its zod schema at hand: tools/list answers with the
 * JSON Schema the build prepared, and a call validates with the tool's own
 * zod schema, loaded with the tool on first use.
 */
export function preparedSchema(json: Json, zodSchema: () => Promise<z.ZodType>): StandardSchemaWithJSON<Record<string, unknown>> {
  return {
    '~standard': {
      version: 1,
      vendor: 'zod',
      validate: async (value: unknown) => {
        const std = (await zodSchema())['~standard'] as unknown as StandardSchemaWithJSON<Record<string, unknown>>['~standard'];
        return std.validate(value);
      },
      // The prepared object itself, not a copy: the SDK reads it (and spreads the root), and a deep
      // copy of every schema costs more than the rest of tools/list.
      jsonSchema: {
        input: () => json,
        output: () => json,
      },
    },
  } as StandardSchemaWithJSON<Record<string, unknown>>;
}
