/**
 * Finds every phrase of a fixed list in a text in ONE left-to-right pass (Aho–Corasick), ASCII
 * case folded on the fly. The cost is linear in the text plus the number of matches reported,
 * whatever the text and however many phrases there are: no regular expression, no backtracking,
 * no per-phrase rescans. That is what keeps 1 MB of adversarial paste well under a second.
 */

export interface PhraseMatch {
  /** Index of the phrase in the list given to the constructor. */
  phrase: number;
  /** Times it occurs (whole-word occurrences only, for boundary phrases). */
  count: number;
  /** Start offsets of the first occurrences (at most MAX_POSITIONS). */
  positions: number[];
}

export interface MatcherPhrase {
  /** Lowercase ASCII literal. */
  text: string;
  /** Only count occurrences not glued to a letter or digit on a side where the phrase has one. */
  boundary?: boolean;
}

const MAX_POSITIONS = 8;

const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const fold = (c: number) => (c >= 65 && c <= 90 ? c + 32 : c);

export class PhraseMatcher {
  private readonly next: Array<Map<number, number>> = [new Map()];
  private readonly fail: number[] = [0];
  /** Phrases ending at a node, including those reached through failure links. */
  private readonly output: number[][] = [[]];
  private readonly phrases: MatcherPhrase[];

  constructor(phrases: MatcherPhrase[]) {
    this.phrases = phrases;
    phrases.forEach((phrase, index) => {
      if (phrase.text.length === 0) throw new Error('empty phrase');
      let node = 0;
      for (let i = 0; i < phrase.text.length; i++) {
        const c = phrase.text.charCodeAt(i);
        if (c >= 65 && c <= 90) throw new Error(`phrase ${JSON.stringify(phrase.text)} is not lowercase`);
        let child = this.next[node]!.get(c);
        if (child === undefined) {
          child = this.next.length;
          this.next.push(new Map());
          this.fail.push(0);
          this.output.push([]);
          this.next[node]!.set(c, child);
        }
        node = child;
      }
      this.output[node]!.push(index);
    });
    // Breadth-first: a node's failure link is the longest proper suffix that is also a prefix.
    const queue: number[] = [...this.next[0]!.values()];
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head]!;
      for (const [c, child] of this.next[node]!) {
        let f = this.fail[node]!;
        while (f !== 0 && !this.next[f]!.has(c)) f = this.fail[f]!;
        const target = this.next[f]!.get(c);
        this.fail[child] = target !== undefined && target !== child ? target : 0;
        this.output[child]!.push(...this.output[this.fail[child]!]!);
        queue.push(child);
      }
    }
  }

  get size(): number {
    return this.next.length;
  }

  scan(text: string): PhraseMatch[] {
    const found = new Map<number, PhraseMatch>();
    let node = 0;
    for (let i = 0; i < text.length; i++) {
      const c = fold(text.charCodeAt(i));
      let child = this.next[node]!.get(c);
      while (child === undefined && node !== 0) {
        node = this.fail[node]!;
        child = this.next[node]!.get(c);
      }
      node = child ?? 0;
      const outputs = this.output[node]!;
      for (let k = 0; k < outputs.length; k++) {
        const index = outputs[k]!;
        const phrase = this.phrases[index]!;
        const start = i - phrase.text.length + 1;
        if (phrase.boundary && !this.onBoundary(text, phrase.text, start, i + 1)) continue;
        let match = found.get(index);
        if (!match) {
          match = { phrase: index, count: 0, positions: [] };
          found.set(index, match);
        }
        match.count++;
        if (match.positions.length < MAX_POSITIONS) match.positions.push(start);
      }
    }
    return [...found.values()].sort((a, b) => a.phrase - b.phrase);
  }

  private onBoundary(text: string, phrase: string, start: number, end: number): boolean {
    if (isAlnum(phrase.charCodeAt(0)) && start > 0 && isAlnum(text.charCodeAt(start - 1))) return false;
    if (isAlnum(phrase.charCodeAt(phrase.length - 1)) && end < text.length && isAlnum(text.charCodeAt(end))) return false;
    return true;
  }
}
