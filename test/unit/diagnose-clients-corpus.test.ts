// diagnose_error on what REAL clients printed: test/corpus/clients/<client>.json, made by
// scripts/corpus/generate.ts running node-pg, psql, psycopg2, psycopg 3, asyncpg, PHP pgsql and PDO, Ruby pg,
// Perl DBD::Pg, pgJDBC, Go pgx v4 and Go lib/pq
// against a real TLS PostgreSQL (and loopback fault servers) set up with one known fault each.
// The label is the fault that was set up, not what diagnose() answers. The text is given alone,
// as a person pastes it (no client, no connection string). Top-1 accuracy per client is printed
// and held to the floor measured when the corpus was committed; a text the engine cannot tell
// apart is listed in KNOWN_MISSES with the reason, so that a change in either direction shows up.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { diagnose } from '../../src/diagnose/engine.js';
import { DIAGNOSIS_CODES, type DiagnosisCode } from '../../src/diagnose/codes.js';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'corpus', 'clients');
const CLIENTS = ['node-pg', 'postgres-js', 'knex', 'typeorm', 'sequelize', 'psql', 'psycopg2', 'psycopg3', 'asyncpg', 'php-pgsql', 'php-pdo', 'ruby-pg', 'perl-dbd-pg', 'pgjdbc', 'go-pgx', 'go-libpq'] as const;
const LIBPQ_BASED = ['psql', 'psycopg2', 'psycopg3', 'php-pgsql', 'php-pdo', 'ruby-pg', 'perl-dbd-pg'];
const FAULTS = [
  'unknown_server_ca', 'missing_ca_file', 'hostname_mismatch', 'server_cert_expired', 'server_cert_not_yet_valid', 'client_cert_other_ca',
  'client_cert_expired', 'no_client_cert', 'wrong_user', 'key_permissions', 'key_mismatch', 'key_wrong_format', 'key_encrypted',
  'server_without_tls', 'client_without_tls', 'port_closes', 'http_port', 'tls_version',
  'missing_client_cert', 'missing_client_key', 'http_port_no_tls', 'hostname_many_sans', 'hostname_hostaddr',
];

interface Entry {
  client: string;
  fault: string;
  expected_code: DiagnosisCode;
  text: string;
  command: string;
  exit_code: number | null;
  generated_at: string;
  versions: Record<string, string>;
}

interface ClientFile {
  client: string;
  generated_at: string;
  versions: Record<string, string>;
  server: string;
  entries: Entry[];
  connected: Array<{ fault: string; expected_code: DiagnosisCode; command: string }>;
  not_applicable?: Array<{ fault: string; why: string }>;
  /** Faults where the client printed nothing and never exited (no text to diagnose). */
  hung?: Array<{ fault: string; note: string }>;
}

/**
 * Texts whose diagnosis is not the true cause, and why (analysed when the corpus was generated).
 * `client/fault` → the code diagnose() gives. Everything not listed must be diagnosed right.
 */
const VERIFY_FAILED_ONLY = 'libpq prints only "SSL error: certificate verify failed" for every server-certificate verification failure (unknown CA, expired, not yet valid); the text cannot tell them apart and the unknown CA is the most common cause';
const ALERT_LOST = 'the server\'s TLS alert never reached the text: the client wrote its next record after the TLS 1.3 handshake, the server had already closed, and the reset (ECONNRESET / Broken pipe) was reported instead of the alert';
const MISSING_CERT_SILENT = 'libpq (and lib/pq) send no client certificate when the sslcert file does not exist, so the text is the server\'s "connection requires a valid client certificate", the same as with no sslcert at all; client_cert_file_missing is offered as the alternative';
const HTTP_NO_TLS = 'with sslmode=disable against an HTTP port the client sends its startup message in plaintext, the HTTP server answers 400 and closes, and this client reports only the closed connection (libpq alone prints "received H")';
const SAME_TEXT_HTTP = (client: string) => `${client} says this for ANY SSLRequest answer but S: the same text as for a server without TLS; not_tls_endpoint is offered as the alternative`;
const KNOWN_MISSES: Record<string, { got: DiagnosisCode; why: string }> = {
  ...Object.fromEntries(LIBPQ_BASED.flatMap((c) => [
    [`${c}/server_cert_expired`, { got: 'untrusted_server_ca' as DiagnosisCode, why: `${VERIFY_FAILED_ONLY}; server_cert_expired is offered as the alternative` }],
    [`${c}/server_cert_not_yet_valid`, { got: 'untrusted_server_ca' as DiagnosisCode, why: `${VERIFY_FAILED_ONLY}; cert_not_yet_valid is offered as an alternative` }],
    [`${c}/missing_client_cert`, { got: 'client_cert_required' as DiagnosisCode, why: MISSING_CERT_SILENT }],
  ])),
  'go-libpq/missing_client_cert': { got: 'client_cert_required', why: MISSING_CERT_SILENT },
  'asyncpg/http_port': { got: 'server_tls_disabled', why: SAME_TEXT_HTTP('asyncpg ("rejected SSL upgrade")') },
  'go-pgx/http_port': { got: 'server_tls_disabled', why: SAME_TEXT_HTTP('pgx ("server refused TLS connection")') },
  'go-libpq/http_port': { got: 'server_tls_disabled', why: SAME_TEXT_HTTP('lib/pq ("SSL is not enabled on the server")') },
  'asyncpg/http_port_no_tls': { got: 'connection_dropped', why: `${HTTP_NO_TLS} ("connection was closed in the middle of operation")` },
  'go-pgx/http_port_no_tls': { got: 'connection_dropped', why: `${HTTP_NO_TLS} ("failed to receive message (unexpected EOF)")` },
  'go-libpq/http_port_no_tls': { got: 'connection_dropped', why: `${HTTP_NO_TLS} ("unexpected EOF")` },
  ...Object.fromEntries(['node-pg', 'knex', 'typeorm', 'sequelize'].map((c) => [`${c}/http_port_no_tls`, { got: 'connection_dropped' as DiagnosisCode, why: `${HTTP_NO_TLS} (node-postgres: "Connection terminated unexpectedly")` }])),
  'postgres-js/server_without_tls': { got: 'connection_dropped', why: 'postgres.js starts TLS even after the server answered N to its SSLRequest, so the text is Node\'s "Client network socket disconnected before secure TLS connection was established", the same as for a cut connection' },
  'postgres-js/http_port': { got: 'connection_dropped', why: 'postgres.js reports any non-TLS answer to its handshake as Node\'s "Client network socket disconnected before secure TLS connection was established"' },
  'pgjdbc/client_cert_other_ca': { got: 'connection_dropped', why: `${ALERT_LOST} ("SSL error: Broken pipe" while sending its Finished); client_cert_untrusted is offered as the alternative` },
  'pgjdbc/client_cert_expired': { got: 'connection_dropped', why: `${ALERT_LOST} ("SSL error: Broken pipe" while sending its Finished); client_cert_expired is offered as the alternative` },
  'pgjdbc/key_mismatch': { got: 'connection_dropped', why: 'Java signs the CertificateVerify with the wrong key and the server drops the connection; the text is only "Broken pipe" / "The connection attempt failed."' },
};

/** Misses whose true cause the answer does not even name among its alternatives (the rest do). */
const NOT_NAMED = new Set(['asyncpg/http_port_no_tls', 'go-pgx/http_port_no_tls', 'go-libpq/http_port_no_tls', 'node-pg/http_port_no_tls', 'knex/http_port_no_tls', 'typeorm/http_port_no_tls', 'sequelize/http_port_no_tls', 'pgjdbc/key_mismatch', 'postgres-js/server_without_tls', 'postgres-js/http_port']);

/** Top-1 accuracy floors per client, measured on the committed corpus (not 100% unless it was). */
const FLOORS: Record<(typeof CLIENTS)[number], number> = {
  'node-pg': 20 / 21,
  'postgres-js': 17 / 19,
  knex: 20 / 21,
  typeorm: 20 / 21,
  sequelize: 20 / 21,
  psql: 19 / 22,
  psycopg2: 19 / 22,
  psycopg3: 19 / 22,
  asyncpg: 19 / 21,
  'php-pgsql': 19 / 22,
  'php-pdo': 19 / 22,
  'ruby-pg': 19 / 22,
  'perl-dbd-pg': 19 / 22,
  pgjdbc: 18 / 21,
  'go-pgx': 19 / 21,
  'go-libpq': 19 / 22,
};

const files: ClientFile[] = CLIENTS.map((client) => JSON.parse(fs.readFileSync(path.join(DIR, `${client}.json`), 'utf8')) as ClientFile);

describe('the real-client corpus is well-formed', () => {
  test('one file per client, and every fault either failed (an entry) or connected (listed as not noticed)', () => {
    for (const file of files) {
      const seen = [...file.entries.map((e) => e.fault), ...file.connected.map((c) => c.fault), ...(file.not_applicable ?? []).map((n) => n.fault), ...(file.hung ?? []).map((h) => h.fault)].sort();
      assert.deepEqual(seen, [...FAULTS].sort(), `${file.client}: faults covered`);
      assert.match(file.server, /^PostgreSQL \d+/);
      assert.ok(Object.keys(file.versions).length > 0, `${file.client}: versions recorded`);
    }
  });

  test('every entry is labelled with a known code, holds real output and no key material', () => {
    for (const file of files) {
      for (const e of file.entries) {
        assert.equal(e.client, file.client);
        assert.ok((DIAGNOSIS_CODES as readonly string[]).includes(e.expected_code), `${e.client}/${e.fault}: ${e.expected_code}`);
        assert.ok(e.text.trim().length > 0, `${e.client}/${e.fault}: empty text`);
        assert.notEqual(e.exit_code, 0, `${e.client}/${e.fault}: an entry is a failed connection`);
        assert.ok(!/PRIVATE KEY|MII[A-Za-z0-9+/]{60}/.test(e.text), `${e.client}/${e.fault}: key material in the text`);
        assert.ok(e.command.length > 0 && e.generated_at && e.versions);
      }
    }
  });
});

describe('diagnose_error on real client output', () => {
  const table: Array<{ client: string; correct: number; total: number }> = [];

  for (const file of files) {
    describe(file.client, () => {
      let correct = 0;
      for (const e of file.entries) {
        const key = `${e.client}/${e.fault}`;
        const miss = KNOWN_MISSES[key];
        test(`${e.fault}: ${e.expected_code}${miss ? ` (known miss: ${miss.got})` : ''}`, () => {
          const d = diagnose({ error_text: e.text });
          const got = d.code;
          if (got === e.expected_code) correct++;
          if (miss) {
            assert.equal(got, miss.got, `${key} was a known miss answering ${miss.got}; it now answers ${got} — update KNOWN_MISSES`);
            // A text the client prints for several causes: the answer names the true one too.
            if (!NOT_NAMED.has(key)) assert.ok(d.alternatives.some((a) => a.code === e.expected_code), `${key}: ${e.expected_code} is not among the alternatives ${d.alternatives.map((a) => a.code).join(', ')}`);
          } else {
            assert.equal(got, e.expected_code, `${key}: the text\n${e.text}`);
          }
        });
      }
      const floor = FLOORS[file.client as keyof typeof FLOORS];
      test(`top-1 accuracy of ${file.client} is at least ${Math.round(floor * 100)}%`, () => {
        table.push({ client: file.client, correct, total: file.entries.length });
        assert.ok(correct / file.entries.length >= floor - 1e-9, `${correct}/${file.entries.length}`);
      });
    });
  }

  test('accuracy table', (t) => {
    const lines = table.map((r) => `${r.client.padEnd(12)} ${String(r.correct).padStart(2)}/${r.total}  ${((100 * r.correct) / r.total).toFixed(0)}%`);
    const correct = table.reduce((s, r) => s + r.correct, 0);
    const total = table.reduce((s, r) => s + r.total, 0);
    lines.push(`${'all'.padEnd(12)} ${correct}/${total}  ${((100 * correct) / total).toFixed(0)}%`);
    t.diagnostic('top-1 accuracy of diagnose_error on real client output (text alone):');
    for (const line of lines) t.diagnostic(`  ${line}`);
    assert.equal(table.length, files.length);
  });
});
