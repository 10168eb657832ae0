// same_text: when the decisive text is printed word for word for several causes, the answer names
// every one of them and the step that tells them apart — and says nothing of the kind when the
// input does tell them apart (a specific phrase, the server's log line, the connection string).
// Texts are real client output (test/corpus/clients) or catalogued examples (src/diagnose/catalog).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CATALOGS } from '../../src/diagnose/catalog/index.js';
import { diagnose } from '../../src/diagnose/engine.js';
import { Diagnosis, type DiagnoseInput } from '../../src/diagnose/schema.js';
import { renderDiagnosis } from '../../src/diagnose/text.js';
import { renderDiagnosis as renderSlack } from '../../src/slack/render/diagnosis.js';

const run = (input: DiagnoseInput) => Diagnosis.parse(diagnose(input));

const PSQL_VERIFY_FAILED = 'psql: error: connection to server at "127.0.0.1", port 26257 failed: SSL error: certificate verify failed';
const PSQL_NO_CERT = 'psql: error: connection to server at "127.0.0.1", port 26257 failed: FATAL:  connection requires a valid client certificate';

describe('a text printed for several causes names all of them', () => {
  test('libpq\'s "certificate verify failed": unknown CA, expired and not yet valid, the most likely first', () => {
    const d = run({ error_text: PSQL_VERIFY_FAILED });
    assert.equal(d.code, 'untrusted_server_ca');
    assert.deepEqual(d.same_text?.codes, ['untrusted_server_ca', 'server_cert_expired', 'cert_not_yet_valid']);
    assert.equal(d.same_text?.text, 'SSL error: certificate verify failed');
    assert.match(d.same_text!.source, /fe-secure-openssl\.c/);
    assert.ok(d.same_text!.tell_apart.length > 20);
  });

  test('the server log line that names the alert tells them apart: no group', () => {
    for (const [log, code] of [
      ['LOG:  could not accept SSL connection: tlsv1 alert unknown ca', 'untrusted_server_ca'],
      ['LOG:  could not accept SSL connection: sslv3 alert certificate expired', 'server_cert_expired'],
    ] as const) {
      const d = run({ error_text: `${PSQL_VERIFY_FAILED}\n${log}` });
      assert.equal(d.code, code, log);
      assert.equal(d.same_text, null, `${log}: the log tells the causes apart`);
    }
  });

  test('a specific reason next to "certificate verify failed" is not a shared text', () => {
    const d = run({ error_text: 'ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1006)' });
    assert.equal(d.code, 'server_cert_expired');
    assert.equal(d.same_text, null);
  });

  test('"connection requires a valid client certificate" from libpq: no certificate configured, or its file is missing', () => {
    const d = run({ error_text: PSQL_NO_CERT });
    assert.equal(d.code, 'client_cert_required');
    assert.deepEqual(d.same_text?.codes, ['client_cert_required', 'client_cert_file_missing']);
  });

  test('the connection string naming sslcert tells them apart: the file is missing, and the fix names that path', () => {
    const d = run({ error_text: PSQL_NO_CERT, connection_string: 'host=db.internal port=26257 user=app sslmode=verify-full sslrootcert=certs/ca.crt sslcert=certs/client.app.crt sslkey=certs/client.app.key' });
    assert.equal(d.code, 'client_cert_file_missing');
    assert.equal(d.same_text, null);
    assert.ok(d.evidence.some((e) => e.includes('sslcert=certs/client.app.crt')), d.evidence.join(' | '));
    assert.ok(JSON.stringify(d.fix_steps).includes('certs/client.app.crt'));
  });

  test('a connection string without sslcert leaves the answer and the group as they were', () => {
    const d = run({ error_text: PSQL_NO_CERT, connection_string: 'postgresql://app@db.internal:26257/defaultdb?sslmode=verify-full&sslrootcert=certs/ca.crt' });
    assert.equal(d.code, 'client_cert_required');
    assert.deepEqual(d.same_text?.codes, ['client_cert_required', 'client_cert_file_missing']);
  });

  test('Perl DBI prints the conninfo: sslcert=… in the line tells them apart', () => {
    const d = run({ error_text: "DBI connect('host=127.0.0.1;port=26257;user=root;sslmode=verify-full;sslcert=/certs/missing/client.root.crt','root',...) failed: connection to server at \"127.0.0.1\", port 26257 failed: FATAL:  connection requires a valid client certificate at connect.pl line 6." });
    assert.equal(d.code, 'client_cert_file_missing');
    assert.equal(d.same_text, null);
  });

  test('node-postgres reads the files itself: the server\'s text alone is no shared text there', () => {
    const d = run({ error_text: 'error: connection requires a valid client certificate\n    at Parser.parseErrorMessage (/app/node_modules/pg-protocol/dist/parser.js:283:98)' });
    assert.equal(d.code, 'client_cert_required');
    assert.equal(d.same_text, null);
  });

  test('an asyncpg SSLRequest refusal: a server without TLS or another service', () => {
    const d = run({ error_text: 'ConnectionError: PostgreSQL server at "127.0.0.1:26257" rejected SSL upgrade' });
    assert.deepEqual(d.same_text?.codes, ['server_tls_disabled', 'not_tls_endpoint']);
    assert.equal(d.same_text?.text, 'rejected SSL upgrade');
  });

  test('no group for unknown text or for one decisive message', () => {
    assert.equal(run({ error_text: 'something went wrong' }).same_text, null);
    assert.equal(run({ error_text: 'x509: certificate signed by unknown authority' }).same_text, null);
  });

  test('every catalogued group example that stands alone names every code of its group', () => {
    let checked = 0;
    for (const file of CATALOGS) {
      for (const entry of file.messages) {
        if (!entry.example || entry.wrapper || (entry.codes?.length ?? 0) < 2) continue;
        const d = run({ error_text: entry.example });
        if (!d.same_text) continue; // the example carries more than the message (a reason that tells them apart)
        checked++;
        for (const code of entry.codes!) assert.ok(d.same_text.codes.includes(code), `${file.catalog}: ${entry.message}: ${code} not in ${d.same_text.codes.join(', ')}`);
        assert.equal(d.same_text.codes[0], d.code);
      }
    }
    assert.ok(checked >= 8, `only ${checked} catalog groups checked`);
  });
});

describe('every face shows the group', () => {
  test('the text rendering (CLI, MCP text) names all causes and how to tell them apart', () => {
    const d = run({ error_text: PSQL_VERIFY_FAILED });
    const text = renderDiagnosis(d);
    assert.match(text, /same text, 3 causes: "SSL error: certificate verify failed" is printed for untrusted_server_ca, server_cert_expired, cert_not_yet_valid alike/);
    assert.ok(text.includes(d.same_text!.tell_apart));
    assert.doesNotMatch(renderDiagnosis(run({ error_text: 'x509: certificate signed by unknown authority' })), /same text/);
  });

  test('Slack shows a section with every cause', () => {
    const d = run({ error_text: PSQL_VERIFY_FAILED });
    const message = renderSlack(d, [], renderDiagnosis(d));
    const all = JSON.stringify(message.blocks);
    assert.match(all, /Same text, 3 causes/);
    for (const code of d.same_text!.codes) assert.ok(all.includes(`*${code}*`), code);
  });
});
