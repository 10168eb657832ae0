/** A lane's argv, read as commander would read it in the forms a lane takes. */
export interface LaneOptions {
  json: boolean;
  /** Each value option given, by name (`--certs-dir`), from `--name value` or `--name=value`. */
  values: Map<string, string>;
  /** The words that are not options (`-` among them: stdin). */
  words: string[];
}

/**
 * The options after a lane's verb (diagnose-lane.ts, list-lane.ts): `--json` once, each of
 * `valueOptions` at most once, and words only where the verb takes them. Anything else — an
 * option the lane does not know or one given twice, a missing value or one that looks like an
 * option — is undefined: the full CLI (commander) is then the one to take it or explain it.
 */
export function laneOptions(args: readonly string[], valueOptions: ReadonlySet<string>, takesWords: boolean): LaneOptions | undefined {
  const values = new Map<string, string>();
  const words: string[] = [];
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-' || !arg.startsWith('-')) {
      if (!takesWords) return undefined;
      words.push(arg);
      continue;
    }
    if (arg === '--json') {
      if (json) return undefined;
      json = true;
      continue;
    }
    const equals = arg.indexOf('=');
    const name = equals === -1 ? arg : arg.slice(0, equals);
    if (!valueOptions.has(name) || values.has(name)) return undefined;
    const value = equals === -1 ? args[++i] : arg.slice(equals + 1);
    if (value === undefined || value.startsWith('-')) return undefined;
    values.set(name, value);
  }
  return { json, values, words };
}
