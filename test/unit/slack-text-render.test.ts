// The Slack face's text handling and Block Kit limits, as pure functions: Slack's escaping of what
// people type, what may never be posted (private keys, key parameters, URL passwords), and the
// splitting that keeps every section under 3000 characters with code blocks intact.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import { paginate, sections, splitMrkdwn, type Block } from '../../src/slack/render/blocks.js';
import { escapeMrkdwn, fromSlackText, holdsPrivateKeyText, scrubOutgoing, splitWords } from '../../src/slack/text.js';

const rsaKeyPem = () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('text from Slack', () => {
  test('entities and links Slack puts into a pasted error are turned back into what was pasted', () => {
    const slack = 'failed: &lt;nil&gt; &amp; see <https://www.cockroachlabs.com/docs|docs> for <@U0ALICE> in <#C0HELP|tls-help>';
    assert.equal(fromSlackText(slack), 'failed: <nil> & see https://www.cockroachlabs.com/docs for @U0ALICE in #tls-help');
  });

  test('quoted words stay together, with straight or curly quotes', () => {
    assert.deepEqual(splitWords('probe "db one:26257" --servername “node 1”').map((w) => w.word), ['probe', 'db one:26257', '--servername', 'node 1']);
  });
});

describe('what is never posted', () => {
  test('a PEM private key is removed, whatever its label', () => {
    const key = rsaKeyPem();
    const out = scrubOutgoing(`before\n${key}after`);
    assert.ok(!out.includes('PRIVATE KEY'));
    assert.ok(!out.includes(key.split('\n')[1]!), 'no line of the key body survives');
    assert.match(out, /^before\n\[private key removed\]\nafter$/);
  });

  test('an unterminated private key block is removed to the end', () => {
    const key = rsaKeyPem();
    const cut = key.slice(0, key.length / 2);
    assert.ok(!scrubOutgoing(`x ${cut}`).includes(cut.split('\n')[2]!));
  });

  test('base64 of a DER private key (as in a sink URI) is recognised and removed', () => {
    const der = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
    assert.ok(holdsPrivateKeyText(`kafka://b:9093?client_key=${encodeURIComponent(der)}`));
    const out = scrubOutgoing(`the key ${der} is here`);
    assert.ok(!out.includes(der));
  });

  test('key parameters and URL passwords are redacted, masks already there are kept', () => {
    const out = scrubOutgoing('kafka://b:9093?topic_name=x&client_key=LS0tABC&sasl_password=hunter2 postgresql://app:s3cret@h:26257/db postgresql://app:****@h/db');
    assert.ok(!out.includes('LS0tABC') && !out.includes('hunter2') && !out.includes('s3cret'));
    assert.ok(out.includes('client_key=[redacted]') && out.includes('sasl_password=[redacted]') && out.includes('app:[redacted]@h:26257'));
    assert.ok(out.includes('postgresql://app:****@h/db'));
  });

  test('a certificate is public and passes untouched', () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUJ0Y=\n-----END CERTIFICATE-----';
    assert.equal(scrubOutgoing(cert), cert);
  });
});

describe('Block Kit limits', () => {
  const fence = '```';

  test('a long code block is cut into sections under 3000 characters, each a whole code block', () => {
    const body = Array.from({ length: 400 }, (_, i) => `line ${i} ${'x'.repeat(40)}`).join('\n');
    const pieces = splitMrkdwn(`*Output*\n${fence}${body}${fence}\nafter`);
    assert.ok(pieces.length > 5);
    for (const piece of pieces) {
      assert.ok(piece.length <= 3000, `piece of ${piece.length} characters`);
      assert.equal((piece.match(/```/g) ?? []).length % 2, 0, `unbalanced fences in: ${piece.slice(0, 80)}…`);
    }
    const rejoined = pieces.join('\n').replace(/```/g, '');
    for (const i of [0, 199, 399]) assert.ok(rejoined.includes(`line ${i} `), `line ${i} kept`);
  });

  test('one line longer than a section is cut inside the line, never inside an entity', () => {
    const text = escapeMrkdwn('<>&'.repeat(3000));
    const pieces = splitMrkdwn(text);
    for (const piece of pieces) {
      assert.ok(piece.length <= 3000);
      assert.ok(!/&(?:a|am|l|g|lt|gt|amp)?$/.test(piece.replace(/&(?:lt|gt|amp);$/, '')), 'no entity cut at the end');
    }
    assert.equal(pieces.join(''), text);
  });

  test('pages hold at most 50 blocks and about 11,000 characters, and a header is never left at the end of a page', () => {
    const blocks: Block[] = [];
    for (let i = 0; i < 40; i++) blocks.push({ type: 'header', text: { type: 'plain_text', text: `part ${i}` } }, ...sections('y'.repeat(2000)));
    const pages = paginate(blocks);
    assert.ok(pages.length > 1);
    for (const page of pages) {
      assert.ok(page.length <= 50);
      assert.notEqual(page[page.length - 1]!.type, 'header');
      const chars = page.reduce((n, b) => n + (b.type === 'section' || b.type === 'header' ? b.text.text.length : 0), 0);
      assert.ok(chars <= 11_000 + 3000, `page of ${chars} characters`);
    }
    assert.equal(pages.flat().length, blocks.length);
  });
});
