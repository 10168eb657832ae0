import { LISTINGS } from './listings.js';

/**
 * For each tool, the input fields that take one of a fixed set of strings, and that set: what a CLI
 * option offers as its choices. Run from the sources it is read off the listings; the bundle gets
 * the values from scripts/build.mjs instead, so that defining an option loads no listing.
 */
export const INPUT_CHOICES: Record<string, Record<string, string[]>> = Object.fromEntries(
  LISTINGS.map((listing) => [
    listing.name,
    Object.fromEntries(
      Object.entries((listing.inputSchema.properties ?? {}) as Record<string, { enum?: unknown[] }>)
        .filter(([, property]) => property.enum?.every((value) => typeof value === 'string'))
        .map(([field, property]) => [field, property.enum as string[]]),
    ),
  ]),
);
