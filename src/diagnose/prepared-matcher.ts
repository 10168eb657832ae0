import type { PreparedTable } from './matcher-table.js';

/**
 * The engine's automaton as a table (matcher-table.ts). From source (tests, tsx) there is none and
 * the engine builds it; scripts/build.mjs replaces this module in the bundle with the table it made
 * from the same phrases. The engine checks the table belongs to its phrases before it takes it.
 */
export const PREPARED_MATCHER: PreparedTable | undefined = undefined;
