// Texts that real clients and servers print — JDBC PKIX traces, Cloud routing errors, CockroachDB
// server messages, the messages captured from psql and node-pg against a real TLS PostgreSQL —
// taken from shared/reference/cockroach-tls.md and toolchain.md (each case cites its section in
// `source`). Most cannot be reproduced here (no CockroachDB, no Java, no Cloud), so the reference
// is the oracle: the expected code, client, facts and alternatives below come from it, not from
// what diagnose() happens to answer.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { diagnose } from '../../src/diagnose/engine.js';
import { DIAGNOSIS_CODES, type DiagnosisCode } from '../../src/diagnose/codes.js';
import { CLIENT_IDS, type ClientId } from '../../src/connection/clients.js';
import { Diagnosis } from '../../src/diagnose/schema.js';

const CORPUS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'corpus', 'reference', 'diagnose-cases.json');

interface Case {
  id: string;
  source: string;
  text: string;
  expected_code: DiagnosisCode;
  /** The client the text must be recognised as; null = the text alone does not say (not asserted). */
  expected_client: ClientId | null;
  given_client?: ClientId;
  connection_string?: string;
  expected_alternatives?: DiagnosisCode[];
  /** Ambiguous texts must NOT be diagnosed with high confidence. */
  max_confidence?: number;
  facts?: {
    hosts?: Array<{ host: string; port?: number }>;
    files?: Array<{ path: string; role: string }>;
    users?: Array<{ user: string; role: string }>;
    certificate_names?: string[];
    sqlstate?: string;
    routing_id?: string;
  };
  expected_deployment?: 'cloud' | 'self-hosted';
  expected_cause_contains?: string;
  expected_fix_contains?: string;
  expected_evidence_contains?: string;
  expected_connection_notes?: string[];
  must_not_echo?: string[];
}

const corpus = JSON.parse(fs.readFileSync(CORPUS, 'utf8')) as { cases: Case[] };

/** A decisive phrase must give a confident answer; ambiguous cases say so with max_confidence. */
const CONFIDENT = 0.75;

describe('the reference corpus is well-formed', () => {
  test('every case names its source, a known code and a known client', () => {
    const ids = new Set<string>();
    for (const c of corpus.cases) {
      assert.ok(!ids.has(c.id), `duplicate id ${c.id}`);
      ids.add(c.id);
      assert.ok(/(cockroach-tls|toolchain)\.md §\d/.test(c.source), `${c.id}: source must cite a reference section, got ${JSON.stringify(c.source)}`);
      assert.ok((DIAGNOSIS_CODES as readonly string[]).includes(c.expected_code), `${c.id}: unknown code ${c.expected_code}`);
      if (c.expected_client !== null) assert.ok((CLIENT_IDS as readonly string[]).includes(c.expected_client), `${c.id}: unknown client ${c.expected_client}`);
      for (const alt of c.expected_alternatives ?? []) assert.ok((DIAGNOSIS_CODES as readonly string[]).includes(alt), `${c.id}: unknown alternative ${alt}`);
    }
    assert.ok(corpus.cases.length >= 80, `only ${corpus.cases.length} cases`);
  });

  test('the corpus covers every diagnosis code that real text can show', () => {
    const covered = new Set(corpus.cases.map((c) => c.expected_code));
    // tls_version_mismatch, not_tls_endpoint from OpenSSL and client_cert_file_missing have no text in the reference.
    const withoutReferenceText: DiagnosisCode[] = ['tls_version_mismatch', 'client_cert_file_missing'];
    const missing = DIAGNOSIS_CODES.filter((code) => !covered.has(code) && !withoutReferenceText.includes(code));
    assert.deepEqual(missing, [], `codes without a reference case: ${missing.join(', ')}`);
  });
});

describe('diagnoses of texts from the reference', () => {
  const results: Array<{ id: string; ok: boolean }> = [];

  for (const c of corpus.cases) {
    test(`${c.id}: ${c.expected_code}${c.expected_client ? ` from ${c.expected_client}` : ''}`, () => {
      const d = diagnose({
        error_text: c.text,
        ...(c.given_client ? { client: c.given_client } : {}),
        ...(c.connection_string ? { connection_string: c.connection_string } : {}),
      });
      results.push({ id: c.id, ok: d.code === c.expected_code });
      Diagnosis.parse(d);
      assert.equal(d.code, c.expected_code, `${c.id}: got ${d.code} (${d.confidence}) with evidence ${JSON.stringify(d.evidence)}; alternatives ${JSON.stringify(d.alternatives.map((a) => a.code))}`);
      if (c.expected_client !== null) assert.equal(d.client.id, c.expected_client, `${c.id}: client ${d.client.id} (evidence ${JSON.stringify(d.client.evidence)})`);

      if (c.expected_code === 'unknown') {
        assert.equal(d.confidence, 0);
        assert.ok(d.fix_steps.length >= 3, 'unknown must say what to collect next');
      } else if (c.max_confidence !== undefined) {
        assert.ok(d.confidence <= c.max_confidence, `${c.id}: ambiguous text diagnosed with confidence ${d.confidence} > ${c.max_confidence}`);
        assert.ok(d.confidence > 0.2, `${c.id}: confidence ${d.confidence} is too low to name a code`);
      } else {
        assert.ok(d.confidence >= CONFIDENT, `${c.id}: a decisive phrase gave only confidence ${d.confidence}`);
      }
      for (const alt of c.expected_alternatives ?? []) {
        const found = d.alternatives.find((a) => a.code === alt);
        assert.ok(found, `${c.id}: alternative ${alt} missing from ${JSON.stringify(d.alternatives.map((a) => a.code))}`);
        assert.ok(found.tell_apart.length > 20, `${c.id}: alternative ${alt} does not say how to tell it apart`);
        assert.ok(d.causes.some((cause) => cause.confirm === found.tell_apart), `${c.id}: causes do not say how to tell ${alt} apart`);
      }

      if (d.code !== 'unknown') {
        // Evidence is quoted from the input, not invented.
        const lowered = c.text.toLowerCase();
        const fromInput = d.evidence.filter((e) => !e.startsWith('connection string:') && !e.startsWith('reported by a changefeed'));
        assert.ok(fromInput.length > 0, `${c.id}: no evidence`);
        for (const e of fromInput) assert.ok(lowered.includes(e.toLowerCase()), `${c.id}: evidence ${JSON.stringify(e)} is not in the input`);
        assert.ok(d.causes.length > 0 && d.causes.every((cause) => cause.confirm.length > 10), `${c.id}: every cause says how to confirm it`);
        assert.ok(d.fix_steps.length > 0, `${c.id}: no fix steps`);
        assert.deepEqual(d.fix_steps.map((s) => s.step), d.fix_steps.map((_, i) => i + 1), 'steps are numbered 1..n');
      }

      const f = c.facts;
      if (f?.hosts) for (const h of f.hosts) assert.ok(d.facts.hosts.some((x) => x.host === h.host && (h.port === undefined || x.port === h.port)), `${c.id}: host ${JSON.stringify(h)} not in ${JSON.stringify(d.facts.hosts)}`);
      if (f?.files) for (const file of f.files) assert.ok(d.facts.files.some((x) => x.path === file.path && x.role === file.role), `${c.id}: file ${JSON.stringify(file)} not in ${JSON.stringify(d.facts.files)}`);
      if (f?.users) for (const u of f.users) assert.ok(d.facts.users.some((x) => x.user === u.user && x.role === u.role), `${c.id}: user ${JSON.stringify(u)} not in ${JSON.stringify(d.facts.users)}`);
      if (f?.certificate_names) for (const n of f.certificate_names) assert.ok(d.facts.certificate_names.includes(n), `${c.id}: certificate name ${n} not in ${JSON.stringify(d.facts.certificate_names)}`);
      if (f?.sqlstate) assert.equal(d.facts.sqlstate, f.sqlstate);
      if (f?.routing_id) assert.equal(d.facts.routing_id, f.routing_id);
      if (c.expected_deployment) assert.equal(d.deployment, c.expected_deployment);

      const all = JSON.stringify(d);
      if (c.expected_cause_contains) assert.ok(d.causes.some((cause) => cause.cause.includes(c.expected_cause_contains!)), `${c.id}: no cause mentions ${c.expected_cause_contains}: ${JSON.stringify(d.causes.map((x) => x.cause))}`);
      if (c.expected_fix_contains) assert.ok(d.fix_steps.some((s) => `${s.action} ${s.command ?? ''} ${s.snippet?.text ?? ''}`.includes(c.expected_fix_contains!)), `${c.id}: no fix step contains ${c.expected_fix_contains}`);
      if (c.expected_evidence_contains) assert.ok(d.evidence.some((e) => e.includes(c.expected_evidence_contains!)), `${c.id}: evidence lacks ${c.expected_evidence_contains}: ${JSON.stringify(d.evidence)}`);
      for (const note of c.expected_connection_notes ?? []) assert.ok(d.connection?.notes.some((n) => n.includes(note)), `${c.id}: connection notes lack ${note}`);
      for (const secret of c.must_not_echo ?? []) assert.ok(!all.includes(secret), `${c.id}: the output echoes ${secret}`);
    });
  }

  test('accuracy on the reference corpus is 100%', (t) => {
    const wrong = results.filter((r) => !r.ok).map((r) => r.id);
    t.diagnostic(`accuracy: ${results.length - wrong.length}/${results.length} reference texts diagnosed with the expected code`);
    assert.equal(results.length, corpus.cases.length);
    assert.deepEqual(wrong, []);
  });
});
