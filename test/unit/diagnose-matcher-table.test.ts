// The phrase automaton from the table scripts/build.mjs prepares (src/diagnose/matcher-table.ts;
// issue 19: `crdb-tls diagnose` start-up) must be the automaton the engine builds: the same
// matches, counts and positions on any text, for the engine's own phrases; and a table made for
// other phrases (a stale build, a hand edit) must be ignored rather than match wrongly.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { enginePhrases } from '../../src/diagnose/engine.js';
import { PhraseMatcher, type MatcherPhrase } from '../../src/diagnose/matcher.js';
import type { PreparedTable } from '../../src/diagnose/matcher-table.js';
import { seededRandom } from '../support/seeded-random.js';

const { phrases } = enginePhrases();
const built = new PhraseMatcher(phrases);
const table = built.toTable();

/** Random texts made of phrase pieces, whole phrases, case changes and junk: where automata differ. */
function texts(seed: number, count: number): string[] {
  const random = seededRandom(seed);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const parts: string[] = [];
    for (let n = 1 + Math.floor(random() * 10); n > 0; n--) {
      const phrase = pick(phrases).text;
      const r = random();
      if (r < 0.4) parts.push(phrase);
      else if (r < 0.6) parts.push(phrase.slice(0, Math.floor(random() * phrase.length)));
      else if (r < 0.75) parts.push(phrase.slice(Math.floor(random() * phrase.length)).toUpperCase());
      else parts.push(pick([' ', 'x', '9', ': ', '"', '\n', 'é', '\u{1F600}', 'Z']));
    }
    out.push(parts.join(random() < 0.5 ? '' : ' '));
  }
  return out;
}

describe('the prepared table of the engine phrases', () => {
  test('is taken, and scans exactly as the built automaton on 3,000 texts', () => {
    const prepared = new PhraseMatcher(phrases, table);
    assert.equal(prepared.size, built.size);
    assert.deepEqual(prepared.toTable(), table, 'the table of the automaton made from it is the same table');
    for (const text of [...texts(19, 3000), phrases.map((p) => p.text).join(' '), phrases.map((p) => p.text.toUpperCase()).join('')]) {
      assert.deepEqual(prepared.scan(text), built.scan(text), JSON.stringify(text).slice(0, 300));
    }
  });

  test('finds every phrase of the catalog', () => {
    const prepared = new PhraseMatcher(phrases, table);
    phrases.forEach((phrase, index) => {
      const match = prepared.scan(` ${phrase.text} `).find((m) => m.phrase === index);
      assert.ok(match, `${JSON.stringify(phrase.text)} is not found through the prepared table`);
    });
  });

  test('made for other phrases, it is ignored: the matcher builds its own', () => {
    const others: MatcherPhrase[] = [...phrases.slice(0, -1), { text: 'a phrase the table never saw' }];
    const matcher = new PhraseMatcher(others, table);
    const text = 'x509: certificate signed by unknown authority and a phrase the table never saw';
    assert.deepEqual(matcher.scan(text), new PhraseMatcher(others).scan(text));
    assert.ok(matcher.scan(text).some((m) => m.phrase === others.length - 1), 'the new phrase is found');
    const reordered = [phrases[1]!, phrases[0]!, ...phrases.slice(2)];
    assert.deepEqual(new PhraseMatcher(reordered, table).scan(text), new PhraseMatcher(reordered).scan(text));
  });

  test('a table whose key fits is taken as it is, not rebuilt (so the key check is what guards it)', () => {
    const forAbc = new PhraseMatcher([{ text: 'abc' }]).toTable();
    const claimsXyz = { ...forAbc, key: JSON.stringify(['xyz']) };
    const matcher = new PhraseMatcher([{ text: 'xyz' }], claimsXyz);
    assert.equal(matcher.scan('abc').length, 1, 'the table was not taken');
    assert.deepEqual(matcher.scan('xyz'), []);
  });

  test('a table of another version is ignored', () => {
    const future = { ...table, version: 2 } as unknown as PreparedTable;
    const text = 'SSL error: certificate verify failed';
    assert.deepEqual(new PhraseMatcher(phrases, future).scan(text), built.scan(text));
  });
});
