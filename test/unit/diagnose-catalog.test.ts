// The message catalog (src/diagnose/catalog/*.json, read from each client's and server's source):
// every catalogued message, as a client prints it, must be recognised as catalogued — its one code
// as the top diagnosis, or for a group every code of the group named (the top one among them), or
// for a "not a TLS/auth problem" text no TLS diagnosis at all. The count per catalog is printed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CATALOGS, phraseOf, type CatalogMessage } from '../../src/diagnose/catalog/index.js';
import { DIAGNOSIS_CODES } from '../../src/diagnose/codes.js';
import { diagnose } from '../../src/diagnose/engine.js';

/** A message as a client prints it: its example, else its format with the holes filled. */
function instance(entry: CatalogMessage): string {
  if (entry.example) return entry.example;
  return entry.message.replace(/%[-+ #0-9.]*[sdqvwcxfh]h?|\{\d+\}/g, (hole) => (hole.endsWith('d') ? '2' : hole.endsWith('c') ? 'H' : 'db.internal'));
}

function failure(entry: CatalogMessage): string | null {
  const d = diagnose({ error_text: instance(entry) });
  if (entry.not_tls) return d.code === 'unknown' ? null : `not a TLS/auth problem, but diagnosed ${d.code}`;
  const codes = entry.codes!;
  if (codes.length === 1) return d.code === codes[0] ? null : `expected ${codes[0]}, got ${d.code}`;
  const named = [d.code, ...d.alternatives.map((a) => a.code)];
  if (!codes.includes(d.code)) return `expected one of ${codes.join(', ')} on top, got ${d.code}`;
  const missing = codes.filter((c) => !named.includes(c));
  return missing.length ? `group ${codes.join(', ')}: ${missing.join(', ')} not named (got ${named.join(', ')})` : null;
}

describe('the message catalog', () => {
  test('every entry is well-formed: a source file, a code / group / not-TLS reason, a matchable phrase', () => {
    for (const file of CATALOGS) {
      assert.ok(file.source.repo && file.source.ref, `${file.catalog}: source`);
      for (const entry of file.messages) {
        assert.ok(entry.file, `${file.catalog}: ${entry.message}: file`);
        assert.ok(Boolean(entry.not_tls) !== Boolean(entry.codes?.length), `${file.catalog}: ${entry.message}: exactly one of codes / not_tls`);
        for (const code of entry.codes ?? []) assert.ok((DIAGNOSIS_CODES as readonly string[]).includes(code) && code !== 'unknown', `${entry.message}: ${code}`);
        if ((entry.codes?.length ?? 0) > 1) assert.ok(entry.tell_apart, `${file.catalog}: ${entry.message}: a group says how to tell its codes apart`);
        assert.ok(phraseOf(entry).length >= 6, `${file.catalog}: ${entry.message}: phrase`);
        assert.ok(entry.example === undefined || entry.example.toLowerCase().replace(/ +/g, ' ').includes(phraseOf(entry)) || entry.wrapper, `${file.catalog}: the example of ${JSON.stringify(entry.message)} contains its phrase`);
      }
    }
  });

  test('every catalogued message is recognised as catalogued (count per catalog)', () => {
    const failures: string[] = [];
    const rows: string[] = [];
    let total = 0;
    for (const file of CATALOGS) {
      let ok = 0;
      for (const entry of file.messages) {
        const why = failure(entry);
        if (why) failures.push(`${file.catalog}: ${JSON.stringify(entry.message)}: ${why}`);
        else ok++;
      }
      total += file.messages.length;
      rows.push(`${file.catalog.padEnd(16)} ${ok}/${file.messages.length}`);
    }
    process.stdout.write(`# catalog recognised per catalog (${total} messages)\n${rows.map((r) => `#   ${r}`).join('\n')}\n`);
    assert.deepEqual(failures, []);
  });
});
