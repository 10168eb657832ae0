// The expiry timeline's SVG, read back as XML and held against the inventory it was drawn from.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { XMLValidator } from 'fast-xml-parser';
import { timelineModel } from '../../src/rotation/timeline.js';
import { renderTimelineSvg } from '../../src/rotation/timeline-svg.js';
import type { PlanView } from '../../src/rotation/steps.js';
import { findAll, inventory, item, parseSvg, textOf } from '../support/timeline.js';

const attr = (el: Record<string, unknown>, name: string) => el[`@${name}`] as string | undefined;
const certMarks = (svg: string) => findAll(parseSvg(svg), (name, el) => name === 'g' && attr(el, 'class') === 'cert');

describe('the expiry timeline SVG', () => {
  const days = [-400, -3, 0.5, 5, 12, 29, 31, 60, 89, 91, 200, 365, 800, 1829, 3659, 7000];
  const inv = inventory([...days.map((d) => item(d)), item(null, { what: 'broken.crt', path: '/srv/certs/broken.crt' })]);
  const svg = renderTimelineSvg(timelineModel(inv));

  test('is well-formed XML with a title and a description referenced for screen readers', () => {
    assert.equal(XMLValidator.validate(svg), true);
    const root = parseSvg(svg);
    assert.equal(attr(root, 'role'), 'img');
    assert.equal(attr(root, 'aria-labelledby'), 'timeline-title timeline-desc');
    assert.match(textOf((root.title as Array<Record<string, unknown>>)[0]!), /Certificate expiry timeline/);
    assert.match(textOf((root.desc as Array<Record<string, unknown>>)[0]!), /17 certificates: 2 expired/);
  });

  test('draws one mark per certificate, the unreadable one included', () => {
    const marks = certMarks(svg);
    assert.equal(marks.length, inv.items.length);
    assert.deepEqual(marks.map((m) => attr(m, 'data-status')).sort(), inv.items.map((i) => i.status).sort());
  });

  test('places each expiry at an x that grows with its date (monotonic axis, 10-year CA and 5-day leaf apart)', () => {
    const dated = certMarks(svg)
      .filter((m) => attr(m, 'data-not-after'))
      .map((m) => ({ at: Date.parse(attr(m, 'data-not-after')!), x: Number(attr(m, 'data-x')) }))
      .sort((a, b) => a.at - b.at);
    assert.equal(dated.length, days.length);
    for (let i = 1; i < dated.length; i++) assert.ok(dated[i]!.x > dated[i - 1]!.x, `x of ${new Date(dated[i]!.at).toISOString()} (${dated[i]!.x}) is right of the one before (${dated[i - 1]!.x})`);
    // Not squashed: a 5-day and a 12-day leaf are still visibly apart next to a 19-year certificate.
    const at = (d: number) => dated.find((p) => Math.abs(p.at - (Date.parse('2026-12-03T12:00:00Z') + d * 86_400_000)) < 1000)!.x;
    assert.ok(at(12) - at(5) > 15, `5 d and 12 d are ${at(12) - at(5)} px apart`);
  });

  test("has today's line, the fail and warn windows in that order, and a legend of every status", () => {
    const root = parseSvg(svg);
    const today = findAll(root, (name, el) => name === 'g' && attr(el, 'class') === 'today');
    assert.equal(today.length, 1);
    assert.match(textOf(today[0]!), /today 2026-12-03/);
    const todayX = Number(attr((today[0]!.line as Array<Record<string, unknown>>)[0]!, 'x1'));
    const windows = findAll(root, (name, el) => name === 'rect' && attr(el, 'class') === 'window');
    const fail = windows.find((w) => attr(w, 'data-window') === 'fail')!;
    const warn = windows.find((w) => attr(w, 'data-window') === 'warn')!;
    assert.equal(Number(attr(fail, 'x')), todayX);
    assert.ok(Math.abs(Number(attr(fail, 'x')) + Number(attr(fail, 'width')) - Number(attr(warn, 'x'))) < 0.2, 'the warn window starts where the fail window ends');
    assert.ok(Number(attr(warn, 'width')) > 0);
    const legend = findAll(root, (name, el) => name === 'g' && attr(el, 'class') === 'legend-item').map(textOf).join(' | ');
    for (const word of ['ok', 'warn (< 90 d)', 'fail (< 30 d)', 'expired', 'unreadable', 'fail window', 'warn window']) assert.ok(legend.includes(word), `legend has "${word}": ${legend}`);
  });

  test('tells status by shape and words as well as colour (a monochrome print keeps it)', () => {
    const marks = certMarks(svg);
    const count = (m: Record<string, unknown>, tag: string) => ((m[tag] as unknown[] | undefined) ?? []).length;
    const corners = (m: Record<string, unknown>) => ((m.path as Array<Record<string, unknown>> | undefined) ?? []).map((p) => (attr(p, 'd') ?? '').split('L').length).join('+');
    const signature = (status: string) => {
      const m = marks.find((x) => attr(x, 'data-status') === status)!;
      assert.ok(textOf(m).includes(status === 'ok' ? '· ok' : status.toUpperCase()), `the ${status} row names its status in words: ${textOf(m)}`);
      return `circles ${count(m, 'circle')}, rects ${count(m, 'rect')}, paths ${corners(m)}`;
    };
    const signatures = ['ok', 'warn', 'fail', 'expired', 'error'].map(signature);
    assert.equal(new Set(signatures).size, 5, `five distinct markers: ${signatures.join(' | ')}`);
  });

  test('groups rows by source and then by issuing CA', () => {
    const two = inventory([
      item(10, { issuer: 'CN=Old CA' }),
      item(20, { issuer: 'CN=New CA' }),
      item(30, { source: 'node', location: 'node1:26257', path: null, what: 'served by the node' }),
    ]);
    const root = parseSvg(renderTimelineSvg(timelineModel(two)));
    const sources = findAll(root, (name, el) => name === 'g' && attr(el, 'class') === 'source').map(textOf);
    assert.deepEqual(sources.map((s) => s.trim()), ['certs dir /srv/certs', 'served by node node1:26257']);
    const issuers = findAll(root, (name, el) => name === 'text' && attr(el, 'class') === 'issuer').map(textOf);
    assert.deepEqual(issuers, ['issued by CN=Old CA', 'issued by CN=New CA', 'issued by O=Cockroach,CN=Cockroach CA']);
  });

  test('keeps hostile text as text: markup, control characters and bidi overrides in a subject do not break out', () => {
    const evil = inventory([item(40, { what: '</text><script>alert(1)</script>\u001b[31m\u202eevil', subject: 'CN="><svg onload=x>' })]);
    const out = renderTimelineSvg(timelineModel(evil));
    assert.equal(XMLValidator.validate(out), true);
    assert.doesNotMatch(out, /<script|\u001b|\u202e/);
    const root = parseSvg(out);
    assert.equal(findAll(root, (name) => name === 'script' || name === 'svg').length, 0, 'no element from the text');
    assert.equal(findAll(root, (_name, el) => Object.keys(el).some((k) => k.toLowerCase() === '@onload')).length, 0, 'no attribute from the text');
    assert.match(textOf(root), /<\/text><script>alert\(1\)<\/script>/, 'the text is shown as it was, as text');
  });

  test('overlays a plan: the step that reissues a file and the step that removes a CA', () => {
    const leaf = item(10);
    const ca = item(2000, { what: 'ca.crt certificate 2 of 2', usage: 'CA', path: '/srv/certs/ca.crt', sha256_fingerprint: 'OLDCA', subject: 'CN=Old CA', issuer: 'CN=Old CA' });
    const plan = {
      id: 'rp_test',
      steps: [
        { number: 3, kind: 'reissue_client', title: 'Reissue u10', files: [{ path: leaf.path!, sha256_at_plan: null }], action: null },
        { number: 5, kind: 'remove_ca', title: 'Remove the old CA', files: [{ path: ca.path!, sha256_at_plan: null }], action: { kind: 'remove_ca', bundles: [ca.path!], remove: [{ sha256_fingerprint: 'OLDCA', subject: 'CN=Old CA', not_after: ca.not_after! }], check_dirs: [], check_files: [], check_hosts: [] } },
      ],
    } as unknown as PlanView;
    const root = parseSvg(renderTimelineSvg(timelineModel(inventory([leaf, ca]), plan)));
    const steps = findAll(root, (name, el) => name === 'g' && attr(el, 'class') === 'plan-step').map((g) => `${attr(g, 'data-step')}:${attr(g, 'data-effect')}`);
    assert.deepEqual(steps.sort(), ['3:replaces', '5:removes']);
    assert.match(textOf(root), /Plan rp_test/);
  });

  test('an empty inventory still draws a valid picture with the axis and windows', () => {
    const out = renderTimelineSvg(timelineModel(inventory([])));
    assert.equal(XMLValidator.validate(out), true);
    assert.equal(certMarks(out).length, 0);
    assert.match(out, /data-window="fail"/);
  });
});
