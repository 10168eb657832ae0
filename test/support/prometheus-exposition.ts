// A strict parser of the Prometheus text exposition format 0.0.4, written from the format's rules
// (not from crdb-tls): metric and label name syntax, label value escapes (\\ \" \n only), HELP and
// TYPE before a metric's samples and at most once, one group of lines per metric, no duplicate
// series, float values, and no timestamps (node_exporter's textfile collector refuses them).
import assert from 'node:assert/strict';

export interface Sample { name: string; labels: Record<string, string>; value: number }
export interface Family { help: string | null; type: string | null; samples: Sample[] }

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** Parses exposition text strictly; throws on anything the format does not allow. */
export function parseExposition(text: string): Map<string, Family> {
  assert.ok(text.endsWith('\n'), 'the text ends with a line feed');
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { help: null, type: null, samples: [] }));
    return f;
  };
  let lastSampleName: string | null = null;
  const closed = new Set<string>();
  for (const [n, line] of text.split('\n').entries()) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!m) continue; // a comment
      const [, kind, name, rest] = m;
      assert.match(name!, METRIC_NAME, `line ${n + 1}: metric name`);
      const f = family(name!);
      assert.equal(f.samples.length, 0, `line ${n + 1}: ${kind} of ${name} after its samples`);
      if (kind === 'HELP') {
        assert.equal(f.help, null, `line ${n + 1}: second HELP for ${name}`);
        assert.ok(!/\\[^\\n]/.test(rest!.replace(/\\\\/g, '')), `line ${n + 1}: bad escape in HELP`);
        f.help = rest!;
      } else {
        assert.equal(f.type, null, `line ${n + 1}: second TYPE for ${name}`);
        assert.ok(TYPES.has(rest!), `line ${n + 1}: unknown type ${rest}`);
        f.type = rest!;
      }
      continue;
    }
    let i: number;
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    assert.ok(nameMatch, `line ${n + 1}: no metric name`);
    const name = nameMatch[0];
    i = name.length;
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      i++;
      while (line[i] !== '}') {
        const labelMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
        assert.ok(labelMatch, `line ${n + 1}: label name at ${i}`);
        const label = labelMatch[0];
        assert.match(label, LABEL_NAME);
        assert.ok(!label.startsWith('__'), `line ${n + 1}: reserved label ${label}`);
        i += label.length;
        assert.equal(line.slice(i, i + 2), '="', `line ${n + 1}: ="`);
        i += 2;
        let value = '';
        for (;;) {
          const c = line[i];
          assert.ok(c !== undefined, `line ${n + 1}: unterminated label value`);
          if (c === '"') break;
          if (c === '\\') {
            const next = line[i + 1];
            assert.ok(next === '\\' || next === '"' || next === 'n', `line ${n + 1}: bad escape \\${next}`);
            value += next === 'n' ? '\n' : next;
            i += 2;
          } else {
            value += c;
            i++;
          }
        }
        i++;
        assert.ok(!(label in labels), `line ${n + 1}: label ${label} twice`);
        labels[label] = value;
        if (line[i] === ',') i++;
        else assert.equal(line[i], '}', `line ${n + 1}: , or } expected at ${i}`);
      }
      i++;
    }
    const parts = line.slice(i).trim().split(/\s+/);
    assert.equal(parts.length, 1, `line ${n + 1}: a value and nothing else (no timestamp for the textfile collector)`);
    assert.match(parts[0]!, /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]Inf)$/, `line ${n + 1}: value`);
    if (lastSampleName !== name) {
      assert.ok(!closed.has(name), `line ${n + 1}: samples of ${name} are not one group`);
      if (lastSampleName) closed.add(lastSampleName);
      lastSampleName = name;
    }
    const f = family(name);
    const key = JSON.stringify(Object.entries(labels).sort());
    assert.ok(!f.samples.some((s) => JSON.stringify(Object.entries(s.labels).sort()) === key), `line ${n + 1}: duplicate series`);
    f.samples.push({ name, labels, value: Number(parts[0]) });
  }
  return families;
}
