import type * as z from 'zod';
import { publicInputSchema, publicOutputSchema } from './envelope.js';
import { JSON_SCHEMA_TARGET, portableJsonSchema } from './json-schema.js';
import type { ToolDefinition } from './tool.js';

type JsonObject = Record<string, unknown>;

/**
 * What a face shows of a tool before anyone calls it: its name, words, annotations and public
 * JSON Schemas (gate fields and envelope included). The build prepares one per tool
 * (tools/listings.ts), so that listing the catalog loads no tool, no zod schema and no domain code.
 */
export interface ToolListing {
  name: string;
  title: string;
  description: string;
  annotations: ToolDefinition['annotations'];
  effects: ToolDefinition['effects'];
  inputSchema: JsonObject;
  outputSchema: JsonObject;
}

/** A listed tool and how to load the whole of it (zod schemas, run, domain code) when it is first called. */
export interface ToolEntry extends ToolListing {
  load(): Promise<ToolDefinition>;
}

/** The JSON Schema of a zod schema exactly as the MCP face advertises it (zod's own, for the SDK's target, made portable). */
function advertisedJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const std = schema['~standard'] as unknown as { jsonSchema: Record<'input' | 'output', (options: { target: string }) => JsonObject> };
  return portableJsonSchema(std.jsonSchema[io]({ target: JSON_SCHEMA_TARGET })) as JsonObject;
}

/** A tool's listing, computed from its zod schemas: what the build prepares, and what tests compare the prepared listings with. */
export function toolListing(tool: ToolDefinition): ToolListing {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    annotations: tool.annotations,
    effects: tool.effects,
    inputSchema: advertisedJsonSchema(publicInputSchema(tool), 'input'),
    outputSchema: advertisedJsonSchema(publicOutputSchema(tool), 'output'),
  };
}
