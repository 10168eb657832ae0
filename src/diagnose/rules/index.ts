import { CATALOG_SIGNALS } from '../catalog/derived.js';
import { RULE_SIGNALS } from './hand-written.js';
import type { Signal } from './types.js';

/** The whole knowledge base: the rules, then every catalogued message (catalog/*.json) no rule has a phrase for. */
export const ALL_SIGNALS: Signal[] = [...RULE_SIGNALS, ...CATALOG_SIGNALS];

export type { Signal, Weights } from './types.js';
