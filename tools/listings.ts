import { toolListing, type ToolListing } from '../src/core/tool-listing.js';
import { catalog } from './catalog.js';

/**
 * Every tool's listing, in catalog order. Run from the sources (tests, tsx) it is computed here
 * from the zod schemas; the bundle never runs this module: scripts/build.mjs computes the same
 * values once at build time and puts them in its place, so that a face lists the catalog without
 * loading a tool. test/unit/tool-listings.test.ts holds the two to each other.
 */
export const LISTINGS: ToolListing[] = catalog.map(toolListing);
