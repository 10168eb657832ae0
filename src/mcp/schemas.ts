import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import type * as z from 'zod';

type Json = Record<string, unknown>;

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
