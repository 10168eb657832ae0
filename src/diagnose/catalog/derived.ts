import { RULE_SIGNALS } from '../rules/hand-written.js';
import type { SameTextCandidate, Signal } from '../rules/types.js';
import { catalogSameText, catalogSignals } from './index.js';

/**
 * What the engine takes from the message catalog: the signals of the messages no rule has a
 * phrase for, and the groups of texts printed for several causes. Computed here from the JSON
 * files; in the bundle, scripts/build.mjs puts the values it computed through this module in its
 * place, so that `crdb-tls diagnose` neither compiles the 90 KB of catalog files nor compares
 * every message's phrase with every rule's at each start (issue 19). Plain data: the build checks
 * that it comes back from JSON unchanged.
 */
export const CATALOG_SIGNALS: Signal[] = catalogSignals(new Set(RULE_SIGNALS.map((s) => s.phrase)));

export const CATALOG_SAME_TEXT: SameTextCandidate[] = catalogSameText();
