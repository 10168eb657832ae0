// CREATE CHANGEFEED as SQL text: table names quoted the way CockroachDB's grammar needs them,
// the sink URI as a string literal with quotes doubled, and a pasted statement read back into its
// sink URI, targets and options.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ToolError } from '../../src/core/errors.js';
import { buildCreateChangefeed, parseChangefeedStatement, quoteSqlString, quoteTableName } from '../../src/changefeed/statement.js';
import { randomSecret } from '../support/changefeed-pki.js';
import { seededRandom } from '../support/seeded-random.js';

describe('quoting', () => {
  test('plain names stay bare (case-folded like SQL), keywords and odd names are double-quoted, quoted parts are kept', () => {
    assert.equal(quoteTableName('orders'), 'orders');
    assert.equal(quoteTableName('Orders'), 'orders');
    assert.equal(quoteTableName('app.public.orders'), 'app.public.orders');
    // pkg/sql/parser/sql.y: user and order are reserved, family is a CockroachDB extra keyword.
    assert.equal(quoteTableName('user'), '"user"');
    assert.equal(quoteTableName('public.order'), 'public."order"');
    assert.equal(quoteTableName('family'), '"family"');
    assert.equal(quoteTableName('my-table'), '"my-table"');
    assert.equal(quoteTableName('"My Table"'), '"My Table"');
    assert.equal(quoteTableName('db."we ""quote"""'), 'db."we ""quote"""');
  });

  test('malformed names are invalid input', () => {
    for (const name of ['', 'a..b', 'a.', '"open', 'a.b.c.d']) {
      assert.throws(() => quoteTableName(name), (error: unknown) => error instanceof ToolError && error.code === 'invalid_input', name);
    }
  });

  test('a string literal survives any content: what the parser reads back is what was quoted', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 200; i++) {
      const uri = `kafka://b:9093?x=${randomSecret(random, 20)}`;
      const sql = buildCreateChangefeed(['orders'], uri, [{ name: 'resolved', value: randomSecret(random, 8) }, { name: 'updated', value: null }]);
      const parsed = parseChangefeedStatement(sql);
      assert.equal(parsed.sinkUri, uri);
      assert.deepEqual(parsed.targets, ['orders']);
      assert.equal(parsed.options[1]?.name, 'updated');
      assert.equal(parsed.options[1]?.value, null);
    }
    assert.equal(quoteSqlString("it's"), "'it''s'");
  });
});

describe('reading a pasted statement', () => {
  test('CREATE CHANGEFEED with comments, escapes and several targets', () => {
    const parsed = parseChangefeedStatement(`-- the orders feed
      create changefeed for table app.orders, "Line Items" into e'kafka://b:9093?topic_name=it\\'s' with updated, resolved = '10s';`);
    assert.equal(parsed.kind, 'create_changefeed');
    assert.equal(parsed.sinkUri, "kafka://b:9093?topic_name=it's");
    assert.deepEqual(parsed.targets, ['app.orders', '"Line Items"']);
    assert.deepEqual(parsed.options, [{ name: 'updated', value: null }, { name: 'resolved', value: '10s' }]);
  });

  test('CREATE EXTERNAL CONNECTION and the CDC query form', () => {
    assert.equal(parseChangefeedStatement("CREATE EXTERNAL CONNECTION kafka_sink AS 'kafka://b:9093?tls_enabled=true'").sinkUri, 'kafka://b:9093?tls_enabled=true');
    const query = parseChangefeedStatement("CREATE CHANGEFEED INTO 'webhook-https://h/x' WITH schema_change_policy = 'stop' AS SELECT * FROM orders WHERE status = 'open'");
    assert.equal(query.sinkUri, 'webhook-https://h/x');
    assert.deepEqual(query.targets, ["SELECT * FROM orders WHERE status = 'open'"]);
  });

  test("an unterminated literal (a ' in the URI not doubled) and a placeholder sink are explained, not guessed", () => {
    assert.throws(() => parseChangefeedStatement("CREATE CHANGEFEED FOR t INTO 'kafka://b?sasl_password=it's'"), /unterminated string literal/);
    assert.throws(() => parseChangefeedStatement('CREATE CHANGEFEED FOR t INTO $1'), /placeholder/);
  });
});
