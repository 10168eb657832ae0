import { certsDirOf, loadConfig, startupStagingDirs } from '../core/config.js';
import { AllowedPaths } from '../core/paths.js';
import { policyFromEnv } from '../gate/policy.js';
import { parseDuration } from '../pki/duration.js';
import { listCerts, type CertListing } from '../pki/list.js';
import { renderListingTable } from '../pki/listing-text.js';
import { findStagingLeftovers } from '../pki/staging.js';
import { laneOptions } from './lane-args.js';
import { writeErr, writeJson, writeOut } from './terminal.js';

const DAY_MS = 86_400_000;

/**
 * `crdb-tls cert list` as people and scripts run it — maybe --certs-dir, --fail-within, --json —
 * answered without commander, zod, the store or the runner (issue 19: on a big certs dir the
 * start-up was a third of the run). list_certs only reads (effects 'reads-files': never gated,
 * audited or refused in read-only mode), so what the runner adds for it is the input check and
 * what the CLI's start-up does first: open the store and remove the staging copies a killed write
 * left in the default certs dir and the roots. Here the inputs are checked as the schema would,
 * the roots are the CLI's own (CRDB_TLS_ROOTS), and a run the start-up would have changed
 * something for — a staging copy in one of those dirs, a shared store — is not the lane's.
 *
 * Anything else (--help, an option the lane does not take or one given twice, a bad
 * environment, any error of the listing) returns undefined and the full CLI runs the same argv
 * from the start, so its words and exit codes are the only ones a person sees. The errors a
 * person makes (no such dir, outside the roots, a bad duration) are found before the first
 * progress line. Ctrl-C ends the process by the signal, as the full CLI ends a cancelled listing.
 * test/faces/list-lane.test.ts holds the two paths' answers equal.
 */
export async function listLane(args: readonly string[]): Promise<number | undefined> {
  const parsed = parseArgs(args);
  if (!parsed) return undefined;
  let config;
  try {
    config = loadConfig('cli', process.env);
    policyFromEnv(process.env);
  } catch {
    return undefined;
  }
  if (config.databaseUrl !== undefined) return undefined;
  const leftovers = await Promise.all(startupStagingDirs(config).map((dir) => findStagingLeftovers(dir)));
  if (leftovers.some((found) => found.length > 0)) return undefined;
  let output: CertListing;
  try {
    // As tools/list_certs.ts runs it.
    const paths = new AllowedPaths(config.roots);
    const failWithinDays = parsed.failWithin === undefined ? undefined : parseDuration(parsed.failWithin, 'fail_within') / DAY_MS;
    output = await listCerts(paths.resolve(parsed.certsDir ?? certsDirOf(config), 'certs dir'), {
      ...(failWithinDays === undefined ? {} : { failWithinDays }),
      progress: (message) => writeErr(`crdb-tls: ${message}\n`),
      insideRoots: paths.insideRootsCheck,
    });
  } catch {
    return undefined;
  }
  if (parsed.json) writeJson(output);
  else writeOut(renderListingTable(output) + '\n');
  // As cert-commands.ts decides it: --fail-within fails when a certificate expires within it.
  return output.expiring_within_threshold.length > 0 ? 1 : 0;
}

interface LaneArgs {
  certsDir?: string;
  failWithin?: string;
  json: boolean;
}

const VALUE_OPTIONS = new Set(['--certs-dir', '--fail-within']);

/** The argv after `cert list`, when it holds nothing but what the lane answers alike; undefined otherwise. */
function parseArgs(args: readonly string[]): LaneArgs | undefined {
  const options = laneOptions(args, VALUE_OPTIONS, false);
  if (!options) return undefined;
  const certsDir = options.values.get('--certs-dir');
  const failWithin = options.values.get('--fail-within');
  // An empty value (certs_dir is min(1)) is the full CLI's to explain.
  if (certsDir === '' || failWithin === '') return undefined;
  return { json: options.json, ...(certsDir !== undefined ? { certsDir } : {}), ...(failWithin !== undefined ? { failWithin } : {}) };
}
