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

/**
 * What a certificate for a privileged name gives whoever holds its key, for the impact text.
 * `node` is not an admin login: client.node.crt is the identity CockroachDB nodes use for
 * themselves (reference §1.3), and a CN=node certificate can no longer log in as other users
 * (reference §3.2, §7.10); it stays high severity because its holder speaks as a node.
 */
export function privilegeOf(normalized: string): string | undefined {
  if (normalized === 'root') return 'root is the superuser: whoever holds its key has full administrative access to the cluster.';
  if (normalized === 'admin') return 'admin is the role that holds every privilege: whoever holds its key has full administrative access wherever admin may log in.';
  if (normalized === 'node') return 'CN=node is the node identity (client.node.crt), which CockroachDB nodes present for themselves, not an administrator login: whoever holds its key can act as a node of the cluster.';
  return undefined;
}
