import { findEntry } from '../../tools/lazy-catalog.js';

/**
 * The values a tool's input field accepts, read from its prepared JSON Schema: a CLI option offers
 * exactly what the tool takes, and defining the option loads neither the tool nor zod.
 */
export function choicesOf(toolName: string, field: string): string[] {
  const property = (findEntry(toolName)?.inputSchema.properties as Record<string, { enum?: unknown[] }> | undefined)?.[field];
  if (!property?.enum?.every((value) => typeof value === 'string')) throw new Error(`${toolName}.${field} is not an enumeration of strings in the catalog`);
  return property.enum as string[];
}
