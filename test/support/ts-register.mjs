// `node --import ./test/support/ts-register.mjs --test ...`: runs the suite's TypeScript through
// ts-hooks.mjs (why not tsx: see there). Stack traces point at the .ts lines (inline source maps).
import { register } from 'node:module';
import process from 'node:process';

process.setSourceMapsEnabled(true);
register('./ts-hooks.mjs', import.meta.url);
