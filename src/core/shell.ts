/**
 * Commands a person pastes into a shell must run as printed: every value from the text, the
 * connection string or the environment is quoted for POSIX shells, and a value nobody told us is
 * a parameter expansion that stops with a message naming it (`"${DB_HOST:?the host ...}"`), never
 * a `<placeholder>` the shell would read as a redirection. Faces render these strings as they are.
 */

/** Shell text inserted as it is (already quoted, or an expansion). */
export class Shell {
  constructor(readonly text: string) {}
}
export const raw = (text: string) => new Shell(text);

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./~^-]+$/;

/** Placeholders other modules write into values (`client.<user>.crt`): in a command they become expansions. */
const PLACEHOLDER_NEEDS: Record<string, Needed> = { '<user>': 'user', '<host>': 'host', '<cluster-id>': 'clusterId', '<routing-id>': 'routingId' };

/** One shell word: bare when it is safe, else in single quotes (a ' inside becomes '\''); a known <placeholder> inside becomes its expansion. */
export function shq(word: string): string {
  if (SAFE_WORD.test(word) && !word.startsWith('~')) return word;
  if (!word.includes('<')) return quoteWord(word);
  for (const [placeholder, what] of Object.entries(PLACEHOLDER_NEEDS)) {
    const at = word.indexOf(placeholder);
    if (at >= 0) return [word.slice(0, at), need(what).text, word.slice(at + placeholder.length)].map((part, i) => (i === 1 ? part : part === '' ? '' : shq(part))).join('');
  }
  return quoteWord(word);
}

function quoteWord(word: string): string {
  if (word !== '' && SAFE_WORD.test(word) && !word.startsWith('~') && !word.startsWith('-')) return word;
  if (word.startsWith('-') && SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export type ShellValue = string | number | Shell | ReadonlyArray<string | Shell>;

const render = (value: ShellValue): string => {
  if (value instanceof Shell) return value.text;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return shq(value);
  return value.map(render).join(' ');
};

/** A command line: literal parts as written, every interpolated value quoted (or inserted if Shell). An empty value takes its following space with it. */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): string {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) {
    const text = render(values[i]!);
    let next = strings[i + 1]!;
    if (text === '' && next.startsWith(' ')) next = next.slice(1);
    else if (text === '' && next === '' && out.endsWith(' ')) out = out.slice(0, -1);
    out += text + next;
  }
  return out;
}

/** What a value means when the text did not say it, as `${NAME:?meaning}`: the shell stops with the meaning if NAME is unset. */
const NEEDED = {
  host: { name: 'DB_HOST', meaning: 'the host name the client dials' },
  user: { name: 'SQL_USER', meaning: 'the SQL user' },
  caKey: { name: 'COCKROACH_CA_KEY', meaning: 'the CA private key file' },
  clusterId: { name: 'CLUSTER_ID', meaning: 'the CockroachDB Cloud cluster id' },
  join: { name: 'JOIN', meaning: 'the host:port list of the nodes to join' },
  broker: { name: 'BROKER', meaning: 'the Kafka broker host:port' },
  routingId: { name: 'ROUTING_ID', meaning: 'the Cloud routing id, CLUSTERNAME-TENANTID' },
} as const;
export type Needed = keyof typeof NEEDED;

const NEED_WORDS = Object.fromEntries(Object.entries(NEEDED).map(([what, n]) => [what, raw(`"\${${n.name}:?${n.meaning}}"`)])) as Record<Needed, Shell>;
export const need = (what: Needed): Shell => NEED_WORDS[what];

/** The certs directory crdb-tls and cockroach use by default. */
export const DEFAULT_CERTS_DIR_WORD = '"${COCKROACH_CERTS_DIR:-$HOME/.cockroach-certs}"';

/** The variables a command needs set (its `${NAME:?...}` expansions), in order. */
const NEEDED_LIST = Object.values(NEEDED).map(({ name, meaning }) => ({ name, meaning, marker: `\${${name}:?` }));

/** Which of NEEDED_LIST the command expands, as bits in NEEDED_LIST's order: one look at each `${` it has. */
function neededMask(command: string): number {
  let mask = 0;
  for (let at = command.indexOf('${'); at >= 0; at = command.indexOf('${', at + 2)) {
    for (let i = 0; i < NEEDED_LIST.length; i++) if (command.startsWith(NEEDED_LIST[i]!.marker, at)) mask |= 1 << i;
  }
  return mask;
}

/** The note for each set of needed variables, written the first time a command needs that set. */
const NOTES: string[] = [];

/** The sentence to add to a step whose command needs variables set. */
export function fillInNote(command: string): string {
  if (!command.includes(':?')) return '';
  const mask = neededMask(command);
  if (mask === 0) return '';
  const cached = NOTES[mask];
  if (cached !== undefined) return cached;
  const needed = NEEDED_LIST.filter((_, i) => (mask & (1 << i)) !== 0);
  const note = ` Before pasting it set ${needed.map((n) => `${n.name} (${n.meaning})`).join(' and ')}, e.g. ${needed[0]!.name}=...; the command stops and says so if ${needed.length === 1 ? 'it is' : 'one is'} unset.`;
  NOTES[mask] = note;
  return note;
}
