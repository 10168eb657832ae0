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

export class PhraseMatcher {
  /**
   * The automaton as a dense table: `delta[node * classes + class]` is the next node, failure
   * links already folded in, so the scan does one array read per character. Characters that no
   * phrase contains share class 0 (they lead back to the root).
   */
  private readonly delta: Int32Array;
  private readonly classes: number;
  private readonly classOf: Uint8Array;
  /** Phrases ending at node n (through failure links too): outputs[outputStart[n] .. outputStart[n + 1]). */
  private readonly outputStart: Int32Array;
  private readonly outputs: Int32Array;
  private readonly phrases: MatcherPhrase[];
  private readonly nodes: number;

  constructor(phrases: MatcherPhrase[]) {
    this.phrases = phrases;
    // Character classes: every character that occurs in a phrase, ASCII upper case folded to lower.
    const classOf = new Uint8Array(65536);
    let classes = 1;
    for (const phrase of phrases) {
      if (phrase.text.length === 0) throw new Error('empty phrase');
      for (let i = 0; i < phrase.text.length; i++) {
        const c = phrase.text.charCodeAt(i);
        if (c >= 65 && c <= 90) throw new Error(`phrase ${JSON.stringify(phrase.text)} is not lowercase`);
        if (classOf[c] === 0) {
          if (classes === 255) throw new Error('too many distinct characters in the phrases');
          classOf[c] = classes++;
          if (c >= 97 && c <= 122) classOf[c - 32] = classOf[c]!;
        }
      }
    }
    this.classOf = classOf;
    this.classes = classes;

    // The trie, with sparse children while it is built.
    const children: Array<Map<number, number>> = [new Map()];
    const ends: number[][] = [[]];
    phrases.forEach((phrase, index) => {
      let node = 0;
      for (let i = 0; i < phrase.text.length; i++) {
        const k = classOf[phrase.text.charCodeAt(i)]!;
        let child = children[node]!.get(k);
        if (child === undefined) {
          child = children.length;
          children.push(new Map());
          ends.push([]);
          children[node]!.set(k, child);
        }
        node = child;
      }
      ends[node]!.push(index);
    });
    const nodes = children.length;
    this.nodes = nodes;
    const delta = new Int32Array(nodes * classes);
    const fail = new Int32Array(nodes);
    // Breadth-first: a node's failure link is the longest proper suffix that is also a prefix;
    // a missing transition is the failure node's transition (already complete, being shallower).
    const queue: number[] = [];
    for (const [k, child] of children[0]!) {
      delta[k] = child;
      queue.push(child);
    }
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head]!;
      const f = fail[node]!;
      ends[node]!.push(...ends[f]!);
      const row = node * classes;
      const failRow = f * classes;
      for (let k = 0; k < classes; k++) delta[row + k] = delta[failRow + k]!;
      for (const [k, child] of children[node]!) {
        fail[child] = delta[failRow + k]!;
        delta[row + k] = child;
        queue.push(child);
      }
    }
    this.delta = delta;
    const outputStart = new Int32Array(nodes + 1);
    for (let n = 0; n < nodes; n++) outputStart[n + 1] = outputStart[n]! + ends[n]!.length;
    const outputs = new Int32Array(outputStart[nodes]!);
    for (let n = 0; n < nodes; n++) outputs.set(ends[n]!, outputStart[n]!);
    this.outputStart = outputStart;
    this.outputs = outputs;
  }

  get size(): number {
    return this.nodes;
  }

  scan(text: string): PhraseMatch[] {
    const found = new Map<number, PhraseMatch>();
    const { delta, classes, classOf, outputStart, outputs, phrases } = this;
    let node = 0;
    for (let i = 0; i < text.length; i++) {
      node = delta[node * classes + classOf[text.charCodeAt(i)]!]!;
      const from = outputStart[node]!;
      const to = outputStart[node + 1]!;
      for (let k = from; k < to; k++) {
        const index = outputs[k]!;
        const phrase = phrases[index]!;
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
