import { ToolError } from '../core/errors.js';

// pkg/security/username/username.go: case-folded, NFC, then this pattern, at most 63 bytes.
const VALID_USERNAME = /^[\p{Ll}0-9_][-\p{Ll}0-9_.]*$/u;
const MAX_USERNAME_BYTES = 63;
export const USERNAME_HINT =
  'Usernames are case insensitive, must start with a letter, digit or underscore, may contain letters, digits, dashes, periods, or underscores, and must not exceed 63 characters.';

/** Why `name` is not a valid SQL user name, or undefined when it is. */
export function usernameProblem(normalized: string): string | undefined {
  if (normalized.length === 0) return 'username is empty';
  if (Buffer.byteLength(normalized, 'utf8') > MAX_USERNAME_BYTES) return 'username is too long';
  if (!VALID_USERNAME.test(normalized)) return 'username is invalid';
  return undefined;
}

/** CockroachDB's MakeSQLUsernameFromUserInput for creation: "Alice" → "alice"; throws on invalid names. */
export function normalizeSqlUsername(input: string): string {
  const normalized = input.normalize('NFC').toLowerCase().normalize('NFC');
  const problem = usernameProblem(normalized);
  if (problem) throw new ToolError('invalid_input', `${problem}: ${JSON.stringify(input)}`, USERNAME_HINT);
  return normalized;
}

/** SQL users that hold cluster-wide power; certificates for them are high-severity (DESIGN.md §3). */
export function isPrivilegedUser(normalized: string): boolean {
  return normalized === 'root' || normalized === 'admin' || normalized === 'node';
}
