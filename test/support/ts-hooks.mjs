// Module hooks that run the TypeScript of src/, tools/, test/ and scripts/ under `npm test`
// (registered by ts-register.mjs). Why not tsx, which the npm scripts use: every test file is its
// own process, and tsx costs ~0.45 s of CPU to start in each (measured: `node --import tsx -e ''`
// 0.55 s user+sys against 0.09 s bare); these hooks cost ~0.1 s, with esbuild (the same compiler
// tsx uses) loaded only when a file is not in the cache yet.
//
// What they do, and no more: a relative `./x.js` import whose `./x.ts` exists resolves to the .ts
// file (TypeScript's NodeNext convention, which tsconfig.json uses); a .ts file is compiled by
// esbuild's transform (types removed, nothing bundled, inline source map) and cached on disk by
// the hash of its path, its text and the compiler's version.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

const CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/crdb-tls-test-ts/', import.meta.url));
// Node's own version as the target: esbuild then keeps what this Node supports (import attributes).
const TARGET = `node${process.versions.node}`;
const ESBUILD_VERSION = JSON.parse(fs.readFileSync(fileURLToPath(new URL('../../node_modules/esbuild/package.json', import.meta.url)), 'utf8')).version;
const HOOKS_TEXT = fs.readFileSync(fileURLToPath(import.meta.url));
let esbuild;

const isRelative = (specifier) => specifier.startsWith('./') || specifier.startsWith('../');

export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL;
  if (specifier.endsWith('.js') && isRelative(specifier) && parent?.startsWith('file:') && !parent.includes('/node_modules/')) {
    const typescript = new URL(`${specifier.slice(0, -3)}.ts`, parent);
    if (fs.existsSync(typescript)) return { url: typescript.href, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const source = fs.readFileSync(file, 'utf8');
  const key = crypto.createHash('sha256').update(HOOKS_TEXT).update(`\0${ESBUILD_VERSION}\0${TARGET}\0${file}\0`).update(source).digest('hex');
  const cached = path.join(CACHE_DIR, `${key}.mjs`);
  let code;
  try {
    code = fs.readFileSync(cached, 'utf8');
  } catch {
    esbuild ??= await import('esbuild');
    ({ code } = await esbuild.transform(source, {
      loader: 'ts',
      format: 'esm',
      target: TARGET,
      sourcemap: 'inline',
      sourcefile: file,
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
    }));
    // Written whole or not at all: two test processes may compile the same file at once.
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    const partial = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(partial, code);
    fs.renameSync(partial, cached);
  }
  return { format: 'module', source: code, shortCircuit: true };
}
