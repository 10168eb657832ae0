import packageJson from '../../package.json' with { type: 'json' };
import { endQuietlyOnBrokenPipe } from './terminal.js';

/**
 * The `crdb-tls` command as installed (package.json `bin`: dist/crdb-tls.cjs), built by
 * scripts/build.mjs as CommonJS. A plain `crdb-tls diagnose ...`, what a person waits for most, is
 * answered without Node's ES module loader: the lane is one CommonJS file (dist/chunks/
 * diagnose-lane-*.cjs) read by require(). Starting the ESM loader and linking the lane's ~20 split
 * chunks cost the command ~18 ms of a ~118 ms start (issue 19). Everything else, and whatever the
 * lane declines, runs the ESM entry (dist/crdb-tls.mjs, src/cli/bin.ts) in this same process.
 */
endQuietlyOnBrokenPipe();
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`${packageJson.version}\n`);
} else if (argv[0] === 'diagnose') {
  // The build points this at the lane's CommonJS bundle; it never loads the ESM chunks.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { diagnoseLane } = require('./diagnose-lane.js') as typeof import('./diagnose-lane.js');
  void diagnoseLane(argv.slice(1)).then((answered) => {
    if (answered === undefined) return fullCli();
    process.exitCode = answered;
  });
} else void fullCli();

/** The ESM entry, with the same argv: it answers (or runs its own lanes for) everything else. */
function fullCli(): Promise<unknown> {
  return import('./bin.js');
}
