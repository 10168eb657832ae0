/**
 * CREATE CHANGEFEED as SQL text: quoting the sink URI as a string literal, table names as
 * identifiers, WITH options; and reading the sink URI, targets and options back out of a pasted
 * statement (or a CREATE EXTERNAL CONNECTION) for decode.
 */
import { ToolError } from '../core/errors.js';

/**
 * Keywords a table name cannot use unquoted: reserved, type/function-name and column-name
 * keywords of CockroachDB's grammar (pkg/sql/parser/sql.y: reserved_keyword with
 * cockroachdb_extra_reserved_keyword, type_func_name_keyword, col_name_keyword). Quoting a name
 * that did not need it is harmless; missing one is a syntax error, so the list errs wide.
 */
const KEYWORDS = new Set(`
all analyse analyze and any array as asc asymmetric both case cast check collate column concurrently constraint create
current_catalog current_date current_role current_schema current_time current_timestamp current_user default deferrable
desc distinct do else end except false fetch for foreign from grant group having in index initially intersect into
lateral leading limit localtime localtimestamp not nothing null offset on only or order placing primary references
returning select session_user some symmetric table then to trailing true union unique user using variadic when where
window with
authorization binary collation cross family freeze full ilike inner is isnull join left like natural none notnull outer
overlaps right similar tablesample verbose
annotate_type between bigint bit boolean box2d char character characteristics coalesce dec decimal exists extract
extract_duration float geography geometry greatest grouping if iferror ifnull int integer interval iserror least nullif
numeric out overlay point polygon position precision real row smallint string substring time timetz timestamp
timestamptz treat trim values varbit varchar virtual work`.split(/\s+/).filter(Boolean));

/** A SQL string literal: single quotes doubled (standard_conforming_strings: backslashes are literal). */
export const quoteSqlString = (value: string) => `'${value.replace(/'/g, "''")}'`;

const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * One unquoted part of a name, read as SQL reads it: a plain identifier is case-folded (Orders is
 * the table orders) and quoted only when it is a keyword; anything SQL could not read unquoted
 * (spaces, dashes, ...) is quoted as written.
 */
function quoteIdentifierPart(part: string): string {
  if (!PLAIN_IDENTIFIER.test(part)) return `"${part.replace(/"/g, '""')}"`;
  const folded = part.toLowerCase();
  return KEYWORDS.has(folded) ? `"${folded}"` : folded;
}

/**
 * A table name as SQL: `db.schema.table` parts are split on dots outside double quotes; a part
 * given in double quotes is kept exactly (that is how to name "Orders" with its capital).
 */
export function quoteTableName(name: string): string {
  const parts: string[] = [];
  let i = 0;
  const text = name.trim();
  if (text === '') throw new ToolError('invalid_input', 'a table name is empty', 'Give table names such as orders, app.public.orders or "My Table".');
  while (i <= text.length) {
    if (text[i] === '"') {
      let j = i + 1;
      let part = '';
      for (;;) {
        if (j >= text.length) throw new ToolError('invalid_input', `table name ${name} has an unterminated double quote`, 'Close the quoted part, doubling any " inside it.');
        if (text[j] === '"' && text[j + 1] === '"') { part += '"'; j += 2; continue; }
        if (text[j] === '"') break;
        part += text[j];
        j++;
      }
      parts.push(`"${part.replace(/"/g, '""')}"`);
      i = j + 1;
      if (i < text.length && text[i] !== '.') throw new ToolError('invalid_input', `table name ${name}: expected a dot after the quoted part`, 'Separate the parts of a name with dots: db.schema.table.');
    } else {
      const dot = text.indexOf('.', i);
      const part = dot >= 0 ? text.slice(i, dot) : text.slice(i);
      if (part === '') throw new ToolError('invalid_input', `table name ${name} has an empty part`, 'Separate the parts of a name with single dots: db.schema.table.');
      parts.push(quoteIdentifierPart(part));
      i = dot >= 0 ? dot : text.length;
    }
    if (i >= text.length) break;
    i++; // the dot
    if (i >= text.length) throw new ToolError('invalid_input', `table name ${name} ends with a dot`, 'Remove the trailing dot.');
  }
  if (parts.length > 3) throw new ToolError('invalid_input', `table name ${name} has more than three parts`, 'A table is named table, schema.table or database.schema.table.');
  return parts.join('.');
}

export interface ChangefeedOption {
  name: string;
  /** null for an option without a value (`updated`, `diff`). */
  value: string | null;
}

const OPTION_NAME = /^[a-z_][a-z0-9_]*$/;

export function checkOptionName(name: string): void {
  if (!OPTION_NAME.test(name)) {
    throw new ToolError('invalid_input', `changefeed option ${JSON.stringify(name)} is not a valid option name`, 'Option names are lower-case words such as format, updated, resolved, confluent_schema_registry.');
  }
}

export function buildCreateChangefeed(tables: string[], sinkUri: string, options: ChangefeedOption[]): string {
  const targets = tables.map(quoteTableName).join(', ');
  const withClause = options.length === 0 ? '' : ` WITH ${options.map((o) => (o.value === null ? o.name : `${o.name} = ${quoteSqlString(o.value)}`)).join(', ')}`;
  return `CREATE CHANGEFEED FOR TABLE ${targets} INTO ${quoteSqlString(sinkUri)}${withClause};`;
}

// ---- reading a pasted statement ------------------------------------------------------------------

type Token =
  | { kind: 'string'; value: string; start: number }
  | { kind: 'word'; value: string; quoted: boolean; start: number }
  | { kind: 'punct'; value: string; start: number }
  | { kind: 'placeholder'; value: string; start: number };

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const unterminated = (what: string): never => {
    throw new ToolError('invalid_input', `the statement has an unterminated ${what}`, "A ' inside a SQL string must be doubled (''); check the quotes around the sink URI.");
  };
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '-' && sql[i + 1] === '-') { const end = sql.indexOf('\n', i); i = end < 0 ? sql.length : end + 1; continue; }
    if (c === '/' && sql[i + 1] === '*') { const end = sql.indexOf('*/', i + 2); if (end < 0) unterminated('comment'); i = end + 2; continue; }
    const escaped = (c === 'e' || c === 'E') && sql[i + 1] === "'";
    if (c === "'" || escaped) {
      const start = i;
      let j = escaped ? i + 2 : i + 1;
      let value = '';
      for (;;) {
        if (j >= sql.length) unterminated('string literal');
        const d = sql[j]!;
        if (escaped && d === '\\') {
          const next = sql[j + 1] ?? '';
          value += ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' } as Record<string, string>)[next] ?? next;
          j += 2;
          continue;
        }
        if (d === "'" && sql[j + 1] === "'") { value += "'"; j += 2; continue; }
        if (d === "'") break;
        value += d;
        j++;
      }
      tokens.push({ kind: 'string', value, start });
      i = j + 1;
      continue;
    }
    if (c === '"') {
      const start = i;
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= sql.length) unterminated('quoted identifier');
        if (sql[j] === '"' && sql[j + 1] === '"') { value += '"'; j += 2; continue; }
        if (sql[j] === '"') break;
        value += sql[j];
        j++;
      }
      tokens.push({ kind: 'word', value, quoted: true, start });
      i = j + 1;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i));
    if (word) { tokens.push({ kind: 'word', value: word[0], quoted: false, start: i }); i += word[0].length; continue; }
    const placeholder = /^\$\d+/.exec(sql.slice(i));
    if (placeholder) { tokens.push({ kind: 'placeholder', value: placeholder[0], start: i }); i += placeholder[0].length; continue; }
    const number = /^[0-9][0-9.]*/.exec(sql.slice(i));
    if (number) { tokens.push({ kind: 'word', value: number[0], quoted: false, start: i }); i += number[0].length; continue; }
    tokens.push({ kind: 'punct', value: c, start: i });
    i++;
  }
  return tokens;
}

export interface ParsedStatement {
  kind: 'create_changefeed' | 'create_external_connection';
  sinkUri: string;
  /** Targets as written (FOR TABLE a, b), or the query of CREATE CHANGEFEED ... AS SELECT. */
  targets: string[];
  options: ChangefeedOption[];
}

/** True when the text is SQL rather than a bare URI. */
export const looksLikeStatement = (text: string) => /^\s*(--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*(create|alter)\b/i.test(text);

export function parseChangefeedStatement(sql: string): ParsedStatement {
  const tokens = tokenize(sql);
  const isWord = (t: Token | undefined, word: string): boolean => t?.kind === 'word' && !t.quoted && t.value.toLowerCase() === word;
  const refuse = (message: string): never => {
    throw new ToolError('invalid_input', message, 'Paste the whole CREATE CHANGEFEED ... INTO \'...\' statement, or only the sink URI.');
  };
  if (!isWord(tokens[0], 'create')) refuse('only CREATE CHANGEFEED and CREATE EXTERNAL CONNECTION statements are understood');

  if (isWord(tokens[1], 'external') && isWord(tokens[2], 'connection')) {
    const as = tokens.findIndex((t, i) => i > 2 && isWord(t, 'as'));
    const literal = tokens[as + 1];
    if (as < 0 || literal?.kind !== 'string') return refuse('CREATE EXTERNAL CONNECTION without AS \'<uri>\'');
    return { kind: 'create_external_connection', sinkUri: literal.value, targets: [], options: [] };
  }
  if (!isWord(tokens[1], 'changefeed')) refuse('only CREATE CHANGEFEED and CREATE EXTERNAL CONNECTION statements are understood');

  const into = tokens.findIndex((t) => isWord(t, 'into'));
  if (into < 0) refuse('the statement has no INTO clause, so there is no sink URI (a sinkless changefeed has no TLS to check)');
  const literal = tokens[into + 1];
  if (literal?.kind === 'placeholder') refuse(`the sink is a placeholder (${literal.value}); paste the URI it is bound to instead`);
  if (literal?.kind !== 'string') return refuse("INTO must be followed by the sink URI in single quotes");

  // Targets: the text between FOR [TABLE] and INTO, split on top-level commas.
  const targets: string[] = [];
  const forAt = tokens.findIndex((t, i) => i < into && isWord(t, 'for'));
  if (forAt >= 0) {
    let current = '';
    for (const t of tokens.slice(forAt + 1, into)) {
      if (t.kind === 'punct' && t.value === ',') { if (current) targets.push(current); current = ''; continue; }
      if (isWord(t, 'table') && current === '') continue;
      const text = t.kind === 'word' && t.quoted ? `"${t.value.replace(/"/g, '""')}"` : t.value;
      current += text;
    }
    if (current) targets.push(current);
  }

  const options: ChangefeedOption[] = [];
  let i = into + 2;
  if (isWord(tokens[i], 'with')) {
    i++;
    for (;;) {
      const name = tokens[i];
      if (!name || name.kind === 'punct' || isWord(name, 'as')) break;
      i++;
      let value: string | null = null;
      if (tokens[i]?.kind === 'punct' && tokens[i]!.value === '=') {
        const v = tokens[i + 1];
        if (!v) refuse(`option ${name.value} has no value after =`);
        value = v!.value;
        i += 2;
      }
      options.push({ name: name.value.toLowerCase(), value });
      if (tokens[i]?.kind === 'punct' && tokens[i]!.value === ',') { i++; continue; }
      break;
    }
  }
  const asAt = tokens.findIndex((t, k) => k >= into && isWord(t, 'as'));
  if (asAt >= 0 && targets.length === 0) {
    const from = tokens[asAt + 1]?.start ?? sql.length;
    targets.push(sql.slice(from).replace(/;\s*$/, '').replace(/\s+/g, ' ').trim());
  }
  return { kind: 'create_changefeed', sinkUri: literal.value, targets, options };
}
