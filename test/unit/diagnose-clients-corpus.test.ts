// diagnose_error on what REAL clients printed: test/corpus/clients/<client>.json, made by
// scripts/corpus/generate.ts running node-pg, psql, psycopg2, asyncpg, pgJDBC and Go pgx v4
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
const CLIENTS = ['node-pg', 'psql', 'psycopg2', 'asyncpg', 'pgjdbc', 'go-pgx'] as const;
const FAULTS = [
  'unknown_server_ca', 'missing_ca_file', 'hostname_mismatch', 'server_cert_expired', 'server_cert_not_yet_valid', 'client_cert_other_ca',
  'client_cert_expired', 'no_client_cert', 'wrong_user', 'key_permissions', 'key_mismatch', 'key_wrong_format', 'key_encrypted',
  'server_without_tls', 'client_without_tls', 'port_closes', 'http_port', 'tls_version',
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
}

/**
 * Texts whose diagnosis is not the true cause, and why (analysed when the corpus was generated).
 * `client/fault` → the code diagnose() gives. Everything not listed must be diagnosed right.
 */
const VERIFY_FAILED_ONLY = 'libpq prints only "SSL error: certificate verify failed" for every server-certificate verification failure (unknown CA, expired, not yet valid); the text cannot tell them apart and the unknown CA is the most common cause';
const ALERT_LOST = 'the server\'s TLS alert never reached the text: the client wrote its next record after the TLS 1.3 handshake, the server had already closed, and the reset (ECONNRESET / Broken pipe) was reported instead of the alert';
const KNOWN_MISSES: Record<string, { got: DiagnosisCode; why: string }> = {
  'psql/server_cert_expired': { got: 'untrusted_server_ca', why: `${VERIFY_FAILED_ONLY}; server_cert_expired is offered as the alternative` },
  'psql/server_cert_not_yet_valid': { got: 'untrusted_server_ca', why: VERIFY_FAILED_ONLY },
  'psycopg2/server_cert_expired': { got: 'untrusted_server_ca', why: `${VERIFY_FAILED_ONLY} (psycopg2 passes libpq's text on); server_cert_expired is offered as the alternative` },
  'psycopg2/server_cert_not_yet_valid': { got: 'untrusted_server_ca', why: VERIFY_FAILED_ONLY },
  'asyncpg/client_cert_expired': { got: 'connection_dropped', why: `${ALERT_LOST} ("Connection reset by peer", "connection was closed in the middle of operation")` },
  'asyncpg/http_port': { got: 'server_tls_disabled', why: 'asyncpg says "rejected SSL upgrade" for ANY SSLRequest answer but S: the same text as for a server without TLS; not_tls_endpoint is offered as the alternative' },
  'go-pgx/http_port': { got: 'server_tls_disabled', why: 'pgx says "server refused TLS connection" for ANY SSLRequest answer but S: the same text as for a server without TLS; not_tls_endpoint is offered as the alternative' },
  'pgjdbc/client_cert_other_ca': { got: 'connection_dropped', why: `${ALERT_LOST} ("SSL error: Broken pipe" while sending its Finished)` },
  'pgjdbc/client_cert_expired': { got: 'connection_dropped', why: `${ALERT_LOST} ("SSL error: Broken pipe" while sending its Finished)` },
  'pgjdbc/key_mismatch': { got: 'connection_dropped', why: 'Java signs the CertificateVerify with the wrong key and the server drops the connection; the text is only "Broken pipe" / "The connection attempt failed."' },
};

/** Top-1 accuracy floors per client, measured on the committed corpus (not 100% unless it was). */
const FLOORS: Record<(typeof CLIENTS)[number], number> = {
  'node-pg': 17 / 17,
  psql: 15 / 17,
  psycopg2: 15 / 17,
  asyncpg: 15 / 17,
  pgjdbc: 14 / 17,
  'go-pgx': 16 / 17,
};

const files: ClientFile[] = CLIENTS.map((client) => JSON.parse(fs.readFileSync(path.join(DIR, `${client}.json`), 'utf8')) as ClientFile);

describe('the real-client corpus is well-formed', () => {
  test('one file per client, and every fault either failed (an entry) or connected (listed as not noticed)', () => {
    for (const file of files) {
      const seen = [...file.entries.map((e) => e.fault), ...file.connected.map((c) => c.fault)].sort();
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
          const got = diagnose({ error_text: e.text }).code;
          if (got === e.expected_code) correct++;
          if (miss) {
            assert.equal(got, miss.got, `${key} was a known miss answering ${miss.got}; it now answers ${got} — update KNOWN_MISSES`);
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
    const lines = table.map((r) => `${r.client.padEnd(9)} ${String(r.correct).padStart(2)}/${r.total}  ${((100 * r.correct) / r.total).toFixed(0)}%`);
    const correct = table.reduce((s, r) => s + r.correct, 0);
    const total = table.reduce((s, r) => s + r.total, 0);
    lines.push(`${'all'.padEnd(9)} ${correct}/${total}  ${((100 * correct) / total).toFixed(0)}%`);
    t.diagnostic('top-1 accuracy of diagnose_error on real client output (text alone):');
    for (const line of lines) t.diagnostic(`  ${line}`);
    assert.equal(table.length, files.length);
  });
});
