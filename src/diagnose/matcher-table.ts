/**
 * The phrase automaton (matcher.ts) as a compact table, so that a process that diagnoses one text
 * does not spend its start-up building it: scripts/build.mjs makes the catalog's table once and
 * the bundle carries it (prepared-matcher.ts). Building costs ~10 ms in V8's interpreter (a loop
 * over every character of every phrase, then every node); taking the table costs one copy per node.
 *
 * What the table holds is what the dense automaton cannot be rebuilt without: nodes numbered in
 * breadth-first order, so that a node's trie children are the next ones in that order and its row
 * is its failure node's row with its own edges written over it (failure nodes are shallower, so
 * their rows are complete first). A table made for other phrases, or read on a big-endian machine,
 * is ignored and the automaton built as before: never a wrong match.
 */

/** A phrase as the table keys it (matcher.ts's MatcherPhrase; not imported, so the two files do not import each other). */
type Phrase = { text: string };

export interface PreparedTable {
  version: 1;
  /** The phrases it was made for, exactly (JSON of their texts, in order). */
  key: string;
  /** The characters of classes 1, 2, …: ASCII upper case folds to the lower case class. */
  classChars: string;
  nodes: number;
  /** Little-endian uint16 base64: fail[nodes], edge class[nodes], child count[nodes], output count[nodes], outputs. */
  data: string;
}

/** The automaton's arrays, as matcher.ts holds them. */
interface Automaton {
  delta: Int32Array | Uint16Array;
  classes: number;
  classOf: Uint8Array;
  outputStart: Int32Array;
  outputs: Int32Array;
  nodes: number;
  fail: Int32Array;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const keyOf = (phrases: Phrase[]) => JSON.stringify(phrases.map((p) => p.text));

export function tableFits(table: PreparedTable, phrases: Phrase[]): boolean {
  return littleEndian && table.version === 1 && table.nodes <= 65536 && table.key === keyOf(phrases);
}

export function toTable(automaton: Automaton, phrases: Phrase[]): PreparedTable {
  const { delta, classes, classOf, outputStart, outputs, nodes, fail } = automaton;
  if (nodes > 65536) throw new Error(`${nodes} automaton nodes do not fit a 16-bit table`);
  const classChars: string[] = [];
  for (let c = 0; c < 65536; c++) if (classOf[c] !== 0 && !(c >= 65 && c <= 90)) classChars[classOf[c]! - 1] = String.fromCharCode(c);
  // A node's trie edges are the transitions that differ from its failure node's (a trie child is
  // deeper than anything the failure row leads to); the root's are its non-zero transitions.
  const order = [0];
  const edgeClass = new Uint16Array(nodes);
  const childCount = new Uint16Array(nodes);
  for (let head = 0; head < order.length; head++) {
    const node = order[head]!;
    for (let k = 0; k < classes; k++) {
      const to = delta[node * classes + k]!;
      const viaFailure = node === 0 ? 0 : delta[fail[node]! * classes + k]!;
      if (to !== viaFailure) {
        order.push(to);
        edgeClass[to] = k;
        childCount[node] = childCount[node]! + 1;
      }
    }
  }
  if (order.length !== nodes) throw new Error(`breadth-first walk reached ${order.length} of ${nodes} nodes`);
  const renumbered = new Int32Array(nodes);
  order.forEach((node, index) => (renumbered[node] = index));
  const words: number[] = [];
  for (const node of order) words.push(renumbered[fail[node]!]!);
  for (const node of order) words.push(edgeClass[node]!);
  for (const node of order) words.push(childCount[node]!);
  for (const node of order) words.push(outputStart[node + 1]! - outputStart[node]!);
  for (const node of order) for (let k = outputStart[node]!; k < outputStart[node + 1]!; k++) words.push(outputs[k]!);
  const bytes = Buffer.alloc(words.length * 2);
  words.forEach((word, index) => bytes.writeUInt16LE(word, index * 2));
  return { version: 1, key: keyOf(phrases), classChars: classChars.join(''), nodes, data: bytes.toString('base64') };
}

export function fromTable(table: PreparedTable): Automaton {
  const { nodes, classChars } = table;
  const classes = classChars.length + 1;
  const classOf = new Uint8Array(65536);
  for (let i = 0; i < classChars.length; i++) {
    const c = classChars.charCodeAt(i);
    classOf[c] = i + 1;
    if (c >= 97 && c <= 122) classOf[c - 32] = i + 1;
  }
  const bytes = Buffer.from(table.data, 'base64');
  const words = new Uint16Array(bytes.length / 2);
  new Uint8Array(words.buffer).set(bytes);
  const fail = new Int32Array(words.subarray(0, nodes));
  const edgeClass = words.subarray(nodes, 2 * nodes);
  const childCount = words.subarray(2 * nodes, 3 * nodes);
  const outputCount = words.subarray(3 * nodes, 4 * nodes);
  const delta = new Uint16Array(nodes * classes);
  let next = 1;
  for (let node = 0; node < nodes; node++) {
    const row = node * classes;
    if (node > 0) delta.copyWithin(row, fail[node]! * classes, fail[node]! * classes + classes);
    for (let j = childCount[node]!; j > 0; j--, next++) delta[row + edgeClass[next]!] = next;
  }
  const outputStart = new Int32Array(nodes + 1);
  for (let n = 0; n < nodes; n++) outputStart[n + 1] = outputStart[n]! + outputCount[n]!;
  const outputs = new Int32Array(words.subarray(4 * nodes));
  return { delta, classes, classOf, outputStart, outputs, nodes, fail };
}
