// Real-client tests need psql and openssl (DESIGN.md §7). Locally a missing tool skips loudly;
// in CI it fails, because .ci/run installs both and a skipped test there would hide a gap.
import type { TestContext } from 'node:test';
import { findOnPath } from '../../src/core/executables.js';

export type SystemTool = 'psql' | 'openssl' | 'go' | 'strace';

const DEBIAN_PACKAGE: Record<SystemTool, string> = { psql: 'postgresql-client', openssl: 'openssl', go: 'golang-go', strace: 'strace' };

/** The absolute path of the executable `name` on PATH, or undefined. */
export const onPath = (name: string): string | undefined => findOnPath(name) ?? undefined;

/** Why to skip, or false when the tool is there; throws in CI. Usable as `{ skip: describeSkip('psql') }`. */
export function describeSkip(name: SystemTool): string | false {
  if (onPath(name)) return false;
  const install = `apt-get install ${DEBIAN_PACKAGE[name]}`;
  if (process.env.CI === 'true') {
    throw new Error(`${name} is not installed but CI must never skip real-client tests: ${install} (.ci/run does this)`);
  }
  const reason = `${name} is not installed; install it (${install}) — CI installs it`;
  process.stderr.write(`\n!!! SKIPPING: ${reason}\n\n`);
  return reason;
}

/** The absolute path of `name` on PATH; if missing, skips `t` (locally) or throws (CI). */
export function requireSystemTool(t: TestContext | undefined, name: SystemTool): string | undefined {
  const file = onPath(name);
  if (file) return file;
  const reason = describeSkip(name);
  if (reason) t?.skip(reason);
  return undefined;
}
