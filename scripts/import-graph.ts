// Reads the import graph of the product (src/ and tools/) with the TypeScript compiler's own
// pre-processor, so `import type`, re-exports and `await import()` all count: a circle made of
// types alone still ties two rooms together.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** One module and the product modules it imports, as paths relative to the root (posix). */
export type ImportGraph = Map<string, string[]>;

const SOURCE = /\.tsx?$/;

function listSources(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSources(full));
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** `./x.js` in TypeScript source names `./x.ts` (NodeNext resolution). */
function resolveRelative(fromFile: string, specifier: string, known: ReadonlySet<string>): string | null {
  const base = path.posix.join(path.posix.dirname(fromFile), specifier);
  const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, `${base}/index.ts`];
  return candidates.find((c) => known.has(c)) ?? null;
}

/** The graph of every .ts file under `dirs` (relative to `root`); imports of packages and node: are left out. */
export function readImportGraph(root: string, dirs: readonly string[] = ['src', 'tools']): ImportGraph {
  const files = dirs.flatMap((d) => listSources(path.join(root, d))).map((f) => path.relative(root, f).split(path.sep).join('/'));
  const known = new Set(files);
  const graph: ImportGraph = new Map();
  for (const file of files.sort()) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const info = ts.preProcessFile(text, true, true);
    const targets = new Set<string>();
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue;
      const target = resolveRelative(file, ref.fileName, known);
      if (!target) {
        // Data the product reads at build time (package.json) is not a module of the house.
        if (!SOURCE.test(ref.fileName.replace(/\.js$/, '.ts')) || /\.json$/.test(ref.fileName)) continue;
        throw new Error(`${file}: cannot resolve import ${ref.fileName}`);
      }
      targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** Every circle, each once, as the modules in order (Tarjan's strongly connected components). */
export function findCircles(graph: ImportGraph): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (node: string): void => {
    indices.set(node, index);
    low.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indices.get(next)!));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfLoop = (graph.get(node) ?? []).includes(node);
      if (component.length > 1 || selfLoop) circles.push(cycleThrough(graph, new Set(component)));
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return circles;
}

/** One real circle inside a strongly connected component, as a path that starts and ends at its first module (BFS, so the shortest). */
function cycleThrough(graph: ImportGraph, component: ReadonlySet<string>): string[] {
  const start = [...component].sort()[0]!;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    for (const next of graph.get(node) ?? []) {
      if (!component.has(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0]!)!);
        return path;
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, node);
        queue.push(next);
      }
    }
  }
  return [...component];
}
