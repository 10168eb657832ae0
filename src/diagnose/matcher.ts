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

import { fromTable, tableFits, toTable, type PreparedTable } from './matcher-table.js';

const MAX_POSITIONS = 8;

const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

export class PhraseMatcher {
  /**
   * The automaton as a dense table: `delta[node * classes + class]` is the next node, failure
   * links already folded in, so the scan does one array read per character. Characters that no
   * phrase contains share class 0 (they lead back to the root).
   */
  private readonly delta: Int32Array | Uint16Array;
  private readonly classes: number;
  private readonly classOf: Uint8Array;
  /** Phrases ending at node n (through failure links too): outputs[outputStart[n] .. outputStart[n + 1]). */
  private readonly outputStart: Int32Array;
  private readonly outputs: Int32Array;
  private readonly phrases: MatcherPhrase[];
  private readonly nodes: number;
  /** Failure links (kept for toTable). */
  private readonly fail: Int32Array;

  /**
   * Builds the automaton for `phrases`, or takes it from `prepared` (see matcher-table.ts: the
   * bundle carries the catalog's, made at build time) when that table was made for these phrases.
   */
  constructor(phrases: MatcherPhrase[], prepared?: PreparedTable) {
    this.phrases = phrases;
    const table = prepared && tableFits(prepared, phrases) ? prepared : undefined;
    if (table) {
      const built = fromTable(table);
      ({ delta: this.delta, classes: this.classes, classOf: this.classOf, outputStart: this.outputStart, outputs: this.outputs, nodes: this.nodes } = built);
      this.fail = built.fail;
      return;
    }
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

    // The trie, written straight into the dense table: 0 means "no child yet" (no trie edge leads
    // back to the root), so the same table then receives the failure transitions in place.
    let capacity = 1;
    for (const phrase of phrases) capacity += phrase.text.length;
    let delta = new Int32Array(capacity * classes);
    const ends = new Map<number, number[]>();
    // The trie's edges as linked lists (node → first edge, edge → next), so that the breadth-first
    // pass below touches each edge once instead of every class of every node: this runs once, in
    // V8's interpreter, where a loop over 450,000 table cells costs tens of milliseconds of start-up.
    const firstEdge = new Int32Array(capacity).fill(-1);
    const nextEdge = new Int32Array(capacity);
    const edgeClass = new Int32Array(capacity);
    let nodes = 1;
    phrases.forEach((phrase, index) => {
      let node = 0;
      for (let i = 0; i < phrase.text.length; i++) {
        const k = classOf[phrase.text.charCodeAt(i)]!;
        const at = node * classes + k;
        let child = delta[at]!;
        if (child === 0) {
          child = nodes++;
          delta[at] = child;
          edgeClass[child] = k;
          nextEdge[child] = firstEdge[node]!;
          firstEdge[node] = child;
        }
        node = child;
      }
      const list = ends.get(node);
      if (list) list.push(index);
      else ends.set(node, [index]);
    });
    delta = delta.slice(0, nodes * classes);
    this.nodes = nodes;
    // Breadth-first: a node's failure link is the longest proper suffix that is also a prefix; a
    // missing transition is the failure node's transition (complete already: it is shallower).
    const fail = new Int32Array(nodes);
    const order = new Int32Array(nodes);
    let tail = 0;
    for (let child = firstEdge[0]!; child !== -1; child = nextEdge[child]!) order[tail++] = child;
    const outputsOf: Array<number[] | undefined> = new Array(nodes);
    for (let head = 0; head < tail; head++) {
      const node = order[head]!;
      const f = fail[node]!;
      const own = ends.get(node);
      const inherited = outputsOf[f];
      outputsOf[node] = own && inherited ? [...own, ...inherited] : (own ?? inherited);
      const row = node * classes;
      const failRow = f * classes;
      // Every transition of the failure node, then this node's own edges over them.
      delta.copyWithin(row, failRow, failRow + classes);
      for (let child = firstEdge[node]!; child !== -1; child = nextEdge[child]!) {
        const k = edgeClass[child]!;
        fail[child] = delta[failRow + k]!;
        delta[row + k] = child;
        order[tail++] = child;
      }
    }
    // 16-bit cells when the nodes fit (they do for the catalog: ~8,500): half the table, so more of
    // it stays in the CPU cache between the short texts a diagnosis scans among its other work.
    this.delta = nodes <= 65536 ? Uint16Array.from(delta) : delta;
    const outputStart = new Int32Array(nodes + 1);
    for (let n = 0; n < nodes; n++) outputStart[n + 1] = outputStart[n]! + (outputsOf[n]?.length ?? 0);
    const outputs = new Int32Array(outputStart[nodes]!);
    for (let n = 0; n < nodes; n++) if (outputsOf[n]) outputs.set(outputsOf[n]!, outputStart[n]!);
    this.outputStart = outputStart;
    this.outputs = outputs;
    this.fail = fail;
  }

  /** The automaton as a compact table that `new PhraseMatcher(phrases, table)` takes instead of building it. */
  toTable(): PreparedTable {
    return toTable({ delta: this.delta, classes: this.classes, classOf: this.classOf, outputStart: this.outputStart, outputs: this.outputs, nodes: this.nodes, fail: this.fail }, this.phrases);
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
