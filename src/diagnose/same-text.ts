import type { DiagnosisCode } from './codes.js';
import type { SameTextCandidate, Weights } from './rules/types.js';
import type { SameTextAnswer } from './schema.js';

export { CATALOG_SAME_TEXT } from './catalog/derived.js';
export type { SameTextCandidate } from './rules/types.js';

/**
 * Texts that are printed, word for word, for several causes. Where the decisive evidence of a
 * diagnosis is such a text, the answer says so: `same_text` lists every cause the text cannot
 * tell apart (the ranked `code` first) and the one step that tells them apart, instead of leaving
 * the others to a ranked list of alternatives a reader may take for weaker guesses.
 *
 * Two sources: the message catalog's groups (catalog/*.json: a message whose `codes` has several
 * entries, with its `tell_apart`), found as the exact catalogued phrase around an occurrence of a
 * signal it contains (no second scan of the text), and rules whose
 * phrase the real-client corpus shows printed for several faults (`sameText` on the signal).
 */

/** Another phrase that weighs the group's codes this differently tells them apart. */
const TELLS_APART = 0.3;

interface Evidence {
  /** The phrase as it appears in the input. */
  text: string;
  weights: Weights;
}

/**
 * The group that stands for this answer, or null. A group stands when the top code is in it and
 * nothing else in the input tells its codes apart: no other phrase weighs them differently (a
 * server log's "tlsv1 alert unknown ca" next to libpq's "certificate verify failed" does), and no
 * context (the connection string) adjusted one of them.
 */
export function sameTextFor(code: DiagnosisCode, candidates: SameTextCandidate[], evidence: Evidence[], adjustedByContext: ReadonlySet<DiagnosisCode>): SameTextAnswer | null {
  if (code === 'unknown') return null;
  for (const group of candidates) {
    if (!group.codes.includes(code)) continue;
    if (group.codes.some((c) => adjustedByContext.has(c))) continue;
    const phrase = group.phrase.toLowerCase();
    const toldApart = evidence.some((e) => {
      const text = e.text.toLowerCase();
      if (phrase.includes(text) || text.includes(phrase)) return false; // the group's own text
      const weights = group.codes.map((c) => e.weights[c] ?? 0);
      return Math.max(...weights) - Math.min(...weights) >= TELLS_APART;
    });
    if (toldApart) continue;
    return {
      codes: [code, ...group.codes.filter((c) => c !== code)],
      text: group.phrase,
      tell_apart: group.tellApart,
      source: group.source,
    };
  }
  return null;
}
