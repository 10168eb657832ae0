import { INPUT_CHOICES } from '../../tools/input-choices.js';

/**
 * The values a tool's input field accepts, read from its prepared JSON Schema: a CLI option offers
 * exactly what the tool takes, and defining the option loads neither the tool, zod nor a listing.
 */
export function choicesOf(toolName: string, field: string): string[] {
  const choices = INPUT_CHOICES[toolName]?.[field];
  if (!choices) throw new Error(`${toolName}.${field} is not an enumeration of strings in the catalog`);
  return choices;
}
