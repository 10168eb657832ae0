// The rules of the house (docs/architecture.md), checked against the import graph: no circle
// between modules or between rooms, imports point down the floors only, and no product file over
// MAX_LINES. `npm test` and `.ci/run` run it through scripts/check-house.ts.
import fs from 'node:fs';
import path from 'node:path';
import { findCircles, readImportGraph, type ImportGraph } from './import-graph.js';

export const MAX_LINES = 400;

/** Files still waiting for their split (issue 20); an entry that fits again is itself a problem, so the list only shrinks. */
export const NOT_YET_SPLIT: ReadonlySet<string> = new Set([
]);

/**
 * The floors, top to bottom. A module may import its own room, or a room on a lower floor; rooms
 * on one floor may import each other only one way (the room graph has no circle either).
 */
export const FLOORS: ReadonlyArray<{ name: string; rooms: readonly string[] }> = [
  { name: 'faces', rooms: ['cli', 'mcp', 'slack'] },
  { name: 'catalog', rooms: ['tools'] },
  { name: 'contract', rooms: ['core'] },
  { name: 'domain', rooms: ['rotation', 'changefeed', 'cloud', 'net', 'diagnose', 'connection', 'pki'] },
  { name: 'gate and store', rooms: ['gate', 'store'] },
  { name: 'foundation', rooms: ['core/foundation'] },
];

/**
 * The modules of src/core that every floor may use: errors, logging, paths, text hygiene, shell
 * quoting of printed commands and the vocabulary of a gated call. They import nothing above the
 * foundation, which is what lets the gate and the store speak of assessments without importing
 * the tool contract.
 */
export const FOUNDATION: ReadonlySet<string> = new Set(
  ['assessment', 'errors', 'executables', 'log', 'paths', 'picture', 'read-file', 'shell', 'unicode'].map((name) => `src/core/${name}.ts`),
);

/** The room a module lives in: `tools`, the folder under src/, or `core/foundation`. */
export function roomOf(file: string): string {
  if (FOUNDATION.has(file)) return 'core/foundation';
  const parts = file.split('/');
  if (parts[0] === 'tools') return 'tools';
  if (parts[0] === 'src' && parts.length > 2) return parts[1]!;
  return parts[0]!;
}

function floorOf(room: string): number {
  const floor = FLOORS.findIndex((f) => f.rooms.includes(room));
  return floor === -1 ? Number.NaN : floor;
}

/** Room → rooms it imports, from the module graph. */
export function roomGraph(graph: ImportGraph): Map<string, string[]> {
  const rooms = new Map<string, Set<string>>();
  for (const [file, targets] of graph) {
    const from = roomOf(file);
    const set = rooms.get(from) ?? new Set<string>();
    rooms.set(from, set);
    for (const target of targets) if (roomOf(target) !== from) set.add(roomOf(target));
  }
  return new Map([...rooms].sort(([a], [b]) => a.localeCompare(b)).map(([room, set]) => [room, [...set].sort()]));
}

export interface HouseReport {
  problems: string[];
  modules: number;
  imports: number;
}

/** Every breach of the house rules under `root` (src/ and tools/), each as one line a person can act on. */
export function checkHouse(root: string): HouseReport {
  const graph = readImportGraph(root);
  const problems: string[] = [];
  for (const circle of findCircles(graph)) problems.push(`import circle: ${[...circle, circle[0]].join(' → ')}`);
  for (const [file, targets] of graph) {
    const from = roomOf(file);
    if (Number.isNaN(floorOf(from))) {
      problems.push(`${file}: room ${from} is on no floor; add it to FLOORS in scripts/house.ts and to docs/architecture.md`);
      continue;
    }
    for (const target of targets) {
      const to = roomOf(target);
      if (to === from) continue;
      if (floorOf(to) < floorOf(from)) {
        problems.push(`${file} imports ${target}: ${from} (${FLOORS[floorOf(from)]!.name}) may not import ${to} (${FLOORS[floorOf(to)]!.name}, a floor above)`);
      }
    }
  }
  for (const circle of findCircles(roomGraph(graph))) problems.push(`room circle: ${[...circle, circle[0]].join(' → ')} (two rooms import each other one way only)`);
  for (const file of graph.keys()) {
    const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n').length - 1;
    const waiting = NOT_YET_SPLIT.has(file);
    if (lines > MAX_LINES && !waiting) problems.push(`${file}: ${lines} lines, over ${MAX_LINES}: split it along its concepts`);
    if (lines <= MAX_LINES && waiting) problems.push(`${file}: ${lines} lines now; take it out of NOT_YET_SPLIT in scripts/house.ts`);
  }
  const imports = [...graph.values()].reduce((n, t) => n + t.length, 0);
  return { problems, modules: graph.size, imports };
}

/** The room-level import graph as a mermaid flowchart, floors as subgraphs (docs/architecture.md embeds it). */
export function mermaidRooms(root: string): string {
  const rooms = roomGraph(readImportGraph(root));
  const id = (room: string) => room.replace(/\W/g, '_');
  const lines = ['flowchart TD'];
  for (const floor of FLOORS) {
    lines.push(`  subgraph ${id(floor.name)}["${floor.name}"]`);
    for (const room of floor.rooms) if (rooms.has(room)) lines.push(`    ${id(room)}["${room}"]`);
    lines.push('  end');
  }
  for (const [room, targets] of rooms) for (const target of targets) lines.push(`  ${id(room)} --> ${id(target)}`);
  return lines.join('\n');
}
