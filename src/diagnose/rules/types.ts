import type { DiagnosisCode } from '../codes.js';

/** How strongly a phrase points at each code, 0..1 (0.9 = one phrase is enough to be sure). */
export type Weights = Partial<Record<Exclude<DiagnosisCode, 'unknown'>, number>>;

/**
 * One piece of knowledge: a literal phrase some client or server prints, and what it means.
 * Matching is plain substring search on the normalised, ASCII-lowercased text (matcher.ts).
 */
export interface Signal {
  /** Stable id, `family.what` (used in tests and to tailor causes). */
  id: string;
  /** Lowercase literal as it appears in real output. */
  phrase: string;
  weights: Weights;
  /**
   * A family-level phrase ("certificate verify failed" says only that verification failed): it is
   * dropped when a specific phrase for any code it names also matched — the specific one explains it.
   */
  generic?: boolean;
  /** Match whole words only where the phrase starts/ends with a letter or digit. */
  boundary?: boolean;
  /**
   * Reads the (lowercased, bounded) line around the first occurrence and may return other weights:
   * Go's "x509: certificate has expired or is not yet valid: current time A is after B" is expiry,
   * "... is before B" is not-yet-valid.
   */
  refine?: (line: string) => Weights | undefined;
  /**
   * Weights that replace `weights` when the signal with this id matched too (anywhere in the text):
   * Node's "disconnected before secure TLS connection" means something else under postgres.js's
   * stack than under node-postgres's. This wins over a refinement (the line).
   */
  together?: { with: string; weights: Weights; sameText?: SameText };
  /**
   * The phrase is printed, word for word, for several causes (test/corpus/clients shows it): the
   * answer names all of them and the one step that tells them apart. A function reads the line
   * around the phrase and returns undefined where that line does tell them apart.
   */
  sameText?: SameText | ((line: string) => SameText | undefined);
  /** Where the text comes from: reference section and/or upstream source. */
  source: string;
}

/** Causes a text cannot tell apart, ranked as the weights rank them, and how to tell them apart. */
export interface SameText {
  codes: Array<Exclude<DiagnosisCode, 'unknown'>>;
  tellApart: string;
  /** Where the text is printed, shown to the user (default: the signal's source). */
  source?: string;
}

/** A text printed for several causes, as the engine looks for it (same-text.ts). */
export interface SameTextCandidate extends SameText {
  /** The phrase as the engine matched it (lowercase for catalog groups). */
  phrase: string;
  source: string;
}

export function signal(id: string, phrase: string, weights: Weights, source: string, options: Pick<Signal, 'generic' | 'boundary' | 'refine' | 'together' | 'sameText'> = {}): Signal {
  return { id, phrase, weights, source, ...options };
}
