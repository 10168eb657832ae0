import { loadConfig } from '../core/config.js';
import { policyFromEnv } from '../gate/policy.js';
import type { ClientId, Deployment } from '../connection/clients.js';
import { MAX_CONNECTION_STRING_LENGTH } from '../connection/pasted-settings.js';
import { diagnose } from '../diagnose/engine.js';
import { MAX_ERROR_TEXT_BYTES } from '../diagnose/limits.js';
import { renderDiagnosis } from '../diagnose/text.js';
import { choicesOf } from './choices.js';
import { laneOptions } from './lane-args.js';
import { cliNextStep } from './next-steps.js';
import { errorTextOf } from './stdin.js';
import { writeJson, writeOut } from './terminal.js';

/**
 * `crdb-tls diagnose` as people and scripts run it most — the text, maybe --client,
 * --connection-string, --deployment, --json — answered without commander, zod, the store or the
 * runner: the cost of a start-up a person waits for (issue 19). diagnose_error reads nothing,
 * changes nothing and is never gated or audited (effects 'none'), so what the runner adds for it
 * is the input check; here every field is known good before the domain runs (a choice from the
 * prepared list, a text that is not blank, settings within their length).
 *
 * Anything else — --help, an unknown or repeated option, a value commander would refuse, a bad
 * environment, a text the domain refuses — returns undefined before a byte is written, and the
 * full CLI runs the same argv from the start: its words and exit codes are then the only ones a
 * person sees. Stdin, if read here, is read once (stdin.ts keeps it for the full CLI).
 * test/faces/diagnose-lane.test.ts holds the two paths' answers equal.
 */
export async function diagnoseLane(args: readonly string[]): Promise<number | undefined> {
  const parsed = parseArgs(args);
  if (!parsed) return undefined;
  const { text, json, client, connectionString, deployment } = parsed;
  let config;
  try {
    config = loadConfig('cli', process.env);
    policyFromEnv(process.env);
  } catch {
    return undefined;
  }
  const errorText = await errorTextOf(text, MAX_ERROR_TEXT_BYTES);
  if (errorText === undefined || errorText.trim() === '') return undefined;
  let output;
  try {
    // As tools/diagnose_error.ts runs it.
    output = diagnose(
      { error_text: errorText, ...(client ? { client } : {}), ...(connectionString !== undefined ? { connection_string: connectionString } : {}), ...(deployment ? { deployment } : {}) },
      { certsDir: config.defaultCertsDir ?? null, caKey: config.defaultCaKey ?? null },
    );
  } catch {
    return undefined;
  }
  if (json) writeJson(output);
  else writeOut(renderDiagnosis(output, { nextStep: cliNextStep }) + '\n');
  return 0;
}

interface LaneArgs {
  text: string[];
  json: boolean;
  client?: ClientId;
  connectionString?: string;
  deployment?: Deployment;
}

const VALUE_OPTIONS = new Set(['--client', '--connection-string', '--deployment']);
// The same prepared lists commander offers (diagnose-commands.ts): the lane takes exactly what it takes.
const CLIENTS: readonly string[] = choicesOf('diagnose_error', 'client');
const DEPLOYMENT_CHOICES: readonly string[] = choicesOf('diagnose_error', 'deployment');

/** The argv after `diagnose`, when it holds nothing but what the lane answers alike; undefined otherwise. */
function parseArgs(args: readonly string[]): LaneArgs | undefined {
  const options = laneOptions(args, VALUE_OPTIONS, true);
  if (!options) return undefined;
  const { values, words: text, json } = options;
  const client = values.get('--client');
  const deployment = values.get('--deployment');
  const connectionString = values.get('--connection-string');
  if (client !== undefined && !CLIENTS.includes(client)) return undefined;
  if (deployment !== undefined && !DEPLOYMENT_CHOICES.includes(deployment)) return undefined;
  if (connectionString !== undefined && connectionString.length > MAX_CONNECTION_STRING_LENGTH) return undefined;
  return {
    text,
    json,
    ...(client !== undefined ? { client: client as ClientId } : {}),
    ...(connectionString !== undefined ? { connectionString } : {}),
    ...(deployment !== undefined ? { deployment: deployment as Deployment } : {}),
  };
}
