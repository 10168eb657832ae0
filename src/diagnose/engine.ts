import { ToolError } from '../core/errors.js';
import { CLIENT_FAMILY } from '../connection/clients.js';
import { CLIENT_MARKERS, detectClient, type ClientDetection, type ClientHit } from './client-markers.js';
import { CODE_TITLES, DIAGNOSIS_CODES, type Deployment, type DiagnosisCode } from './codes.js';
import type { ParsedConnection } from '../connection/pasted-parts.js';
import { analyzeConnectionString, clientFromConnectionString, isCloudHost, routingIdFromOptions, type ConnectionAnalysis } from '../connection/pasted-settings.js';
import { ANCHORS, extractFacts, type Facts } from './extract.js';
import type { FixContext } from './fixes/context.js';
import { GUIDES, withFillIns } from './fixes/index.js';
import { PhraseMatcher, type MatcherPhrase } from './matcher.js';
import { PREPARED_MATCHER } from './prepared-matcher.js';
import { normalizeErrorText } from './normalize.js';
import { CATALOG_SAME_TEXT, sameTextFor, type SameTextCandidate } from './same-text.js';
import { ALL_SIGNALS, type Signal, type Weights } from './rules/index.js';
import { MAX_ERROR_TEXT_BYTES } from './limits.js';
import type { DiagnoseInput, Diagnosis } from './schema.js';

/**
 * The ranking engine: normalise, find every known phrase in one pass, weigh them per code,
 * explain away family-level phrases that a specific one accounts for, adjust for context
 * (client, connection string, deployment), then rank. Confidence is the top code's share of the
 * evidence: one decisive phrase gives ~0.9, two codes that fit equally give ~0.5 each, and
 * nothing above 0.3 gives `unknown` with what to collect — never a confident guess.
 */

const UNKNOWN_BELOW = 0.3;
const ALTERNATIVE_FROM = 0.2;
const MAX_CONFIDENCE = 0.97;
const MAX_ALTERNATIVES = 4;
const LINE_WINDOW = 600;

type Ref = { kind: 'signal'; signal: Signal } | { kind: 'client'; marker: (typeof CLIENT_MARKERS)[number] } | { kind: 'anchor'; anchor: string };

let compiled: { matcher: PhraseMatcher; refs: Ref[] } | undefined;

/** Every signal phrase, client marker and fact anchor, in the automaton's order (scripts/build.mjs prepares its table). */
export function enginePhrases(): { phrases: MatcherPhrase[]; refs: Ref[] } {
  const phrases: MatcherPhrase[] = [];
  const refs: Ref[] = [];
  for (const signal of ALL_SIGNALS) {
    phrases.push({ text: signal.phrase, ...(signal.boundary ? { boundary: true } : {}) });
    refs.push({ kind: 'signal', signal });
  }
  for (const marker of CLIENT_MARKERS) {
    phrases.push({ text: marker.phrase, ...(marker.boundary ? { boundary: true } : {}) });
    refs.push({ kind: 'client', marker });
  }
  for (const anchor of Object.keys(ANCHORS)) {
    phrases.push({ text: anchor });
    refs.push({ kind: 'anchor', anchor });
  }
  return { phrases, refs };
}

/** Built once per process, one automaton for all phrases; in the bundle, taken from the table made at build time. */
function compile(): { matcher: PhraseMatcher; refs: Ref[] } {
  if (compiled) return compiled;
  const { phrases, refs } = enginePhrases();
  compiled = { matcher: new PhraseMatcher(phrases, PREPARED_MATCHER), refs };
  return compiled;
}

type SharedGroups = Array<{ group: SameTextCandidate; offsets: number[] }>;
const sharedGroups = new Map<Signal, SharedGroups>();

/**
 * The catalog's shared texts that contain the signal's phrase (looked for on its line, not scanned
 * for), worked out on the signal's first match: a diagnosis meets a few signals, and comparing
 * every signal with every shared text at start cost a one-text run ~3 ms (issue 19).
 */
function sharedGroupsOf(signal: Signal): SharedGroups {
  let groups = sharedGroups.get(signal);
  if (!groups) {
    groups = CATALOG_SAME_TEXT.map((group) => ({ group, offsets: offsetsOf(group.phrase, signal.phrase) })).filter((g) => g.offsets.length > 0);
    sharedGroups.set(signal, groups);
  }
  return groups;
}

/** Where `part` occurs inside `whole`. */
function offsetsOf(whole: string, part: string): number[] {
  const offsets: number[] = [];
  for (let at = whole.indexOf(part); at >= 0; at = whole.indexOf(part, at + 1)) offsets.push(at);
  return offsets;
}

/** The catalogued shared text around a signal's occurrences, as written in the input, if it is there. */
function sharedTextAt(text: string, positions: number[], phrase: string, offsets: number[]): string | null {
  for (const position of positions) {
    for (const offset of offsets) {
      const start = position - offset;
      if (start < 0 || start + phrase.length > text.length) continue;
      const candidate = text.slice(start, start + phrase.length);
      if (candidate.toLowerCase() === phrase) return candidate;
    }
  }
  return null;
}

/** The line around `position`, at most LINE_WINDOW characters each side, lowercased. */
function lineAround(text: string, position: number): string {
  let start = position;
  const floor = Math.max(0, position - LINE_WINDOW);
  while (start > floor && text.charCodeAt(start - 1) !== 10) start--;
  let end = position;
  const ceiling = Math.min(text.length, position + LINE_WINDOW);
  while (end < ceiling && text.charCodeAt(end) !== 10) end++;
  return text.slice(start, end).toLowerCase();
}

interface Contribution {
  signal: Signal;
  weights: Weights;
  /** The phrase as it appears in the input. */
  text: string;
}

interface Scored {
  scores: Map<DiagnosisCode, number>;
  evidence: Map<DiagnosisCode, Array<{ text: string; weight: number }>>;
}

function score(contributions: Contribution[]): Scored {
  const specific = new Set<string>();
  for (const c of contributions) {
    if (c.signal.generic) continue;
    for (const [code, weight] of Object.entries(c.weights)) if (weight >= 0.5) specific.add(code);
  }
  const remaining = new Map<DiagnosisCode, number>();
  const evidence = new Map<DiagnosisCode, Array<{ text: string; weight: number }>>();
  for (const c of contributions) {
    const entries = Object.entries(c.weights) as Array<[DiagnosisCode, number]>;
    if (c.signal.generic && entries.some(([code]) => specific.has(code))) continue; // explained by a specific phrase
    for (const [code, weight] of entries) {
      if (!(weight > 0)) continue;
      remaining.set(code, (remaining.get(code) ?? 1) * (1 - weight));
      const list = evidence.get(code) ?? [];
      if (!list.some((e) => e.text.toLowerCase() === c.text.toLowerCase())) list.push({ text: c.text, weight });
      evidence.set(code, list);
    }
  }
  const scores = new Map<DiagnosisCode, number>();
  for (const [code, rest] of remaining) scores.set(code, 1 - rest);
  return { scores, evidence };
}

const combine = (a: number, b: number) => 1 - (1 - a) * (1 - b);

/** Codes whose TLS fault, seen in a changefeed job, is a changefeed sink problem (diagnosis-codes.md). */
const SINK_TLS_CODES: DiagnosisCode[] = ['untrusted_server_ca', 'hostname_mismatch', 'server_cert_expired', 'client_cert_untrusted', 'client_cert_expired', 'client_key_format', 'client_key_mismatch', 'cert_wrong_usage', 'connection_dropped', 'tls_version_mismatch'];

/**
 * Context the phrases alone do not carry. Returns the codes it ABSORBED into another: a TLS fault
 * inside a changefeed error is the detail of changefeed_sink_tls, not a competing diagnosis, so it
 * stays listed as an alternative but does not lower the confidence.
 */
function adjustForContext(scored: Scored, client: ClientDetection, connection: ParsedConnection | null, contextEvidence: Map<DiagnosisCode, string[]>, signals: ReadonlySet<string>): Set<DiagnosisCode> {
  const { scores, evidence } = scored;
  const absorbed = new Set<DiagnosisCode>();
  // A changefeed whose only evidence is that it reached no broker has a reachability problem, not
  // a TLS one: connection_dropped stays on top and changefeed_sink_tls stays an alternative.
  const tlsEvidence = SINK_TLS_CODES.some((code) => code !== 'connection_dropped' && (scores.get(code) ?? 0) > 0);
  if (client.family === 'changefeed' && (tlsEvidence || (scores.get('changefeed_sink_tls') ?? 0) > (scores.get('connection_dropped') ?? 0))) {
    const best = Math.max(0, ...SINK_TLS_CODES.map((code) => scores.get(code) ?? 0));
    if (best > 0) {
      const underlying = SINK_TLS_CODES.filter((code) => (scores.get(code) ?? 0) > 0);
      scores.set('changefeed_sink_tls', Math.min(0.95, combine(scores.get('changefeed_sink_tls') ?? 0, best)));
      const list = evidence.get('changefeed_sink_tls') ?? [];
      for (const code of underlying) for (const e of evidence.get(code) ?? []) if (!list.some((x) => x.text === e.text)) list.push(e);
      evidence.set('changefeed_sink_tls', list);
      for (const code of underlying) {
        scores.set(code, (scores.get(code) ?? 0) * 0.6);
        absorbed.add(code);
      }
      contextEvidence.set('changefeed_sink_tls', [...(contextEvidence.get('changefeed_sink_tls') ?? []), `reported by a changefeed (${client.evidence.slice(0, 2).join(', ') || client.source})`]);
    }
  }
  const sslmode = connection?.params.sslmode;
  if (sslmode === 'disable' && (scores.get('server_requires_tls') ?? 0) > 0) {
    scores.set('server_requires_tls', combine(scores.get('server_requires_tls')!, 0.3));
    contextEvidence.set('server_requires_tls', ['connection string: sslmode=disable']);
  }
  if (sslmode === 'disable' && (scores.get('server_tls_disabled') ?? 0) > 0) {
    // A client that asks for no TLS cannot be told "the server has no TLS".
    scores.set('server_tls_disabled', scores.get('server_tls_disabled')! * 0.5);
  }
  // libpq and lib/pq skip a sslcert file that does not exist and connect without a certificate
  // (fe-secure-openssl.c initialize_SSL; lib/pq ssl.go sslClientCertificates): given settings
  // that name one, "connection requires a valid client certificate" means that file is missing.
  const sslcert = connection?.params.sslcert;
  if (sslcert && signals.has('pg.requires-client-cert') && (client.family === null || client.family === 'libpq' || client.id === 'go-libpq')) {
    scores.set('client_cert_file_missing', combine(scores.get('client_cert_file_missing') ?? 0, 0.95));
    contextEvidence.set('client_cert_file_missing', [`connection string: sslcert=${sslcert}, yet the server got no certificate`]);
  }
  return absorbed;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** A code's confidence: its share of the evidence considered. */
function share(score: number, denominator: number): number {
  return round2(Math.min(MAX_CONFIDENCE, denominator > 0 ? score / denominator : 0));
}

/** The phrases that speak for a code, strongest first, then what the context added; at most 8. */
function evidenceOf(code: DiagnosisCode, scored: Scored, contextEvidence: Map<DiagnosisCode, string[]>): string[] {
  const phrases = (scored.evidence.get(code) ?? []).sort((a, b) => b.weight - a.weight).map((e) => e.text);
  // "self-signed certificate" adds nothing next to "self-signed certificate in certificate chain".
  const distinct = phrases.filter((p, i) => !phrases.some((other, j) => j !== i && other.length > p.length && other.toLowerCase().includes(p.toLowerCase())));
  return [...distinct, ...(contextEvidence.get(code) ?? [])].slice(0, 8);
}

/** Ties in the ranking go to the code listed first in DIAGNOSIS_CODES. */
const CODE_ORDER = new Map<DiagnosisCode, number>(DIAGNOSIS_CODES.map((code, i) => [code, i]));

function pickFiles(facts: Facts, connection: ParsedConnection | null) {
  const p = connection?.params ?? {};
  const certFromText = facts.files.find((f) => f.role === 'client' && !f.path.endsWith('.key') && !f.path.endsWith('.pk8'))?.path;
  const keyFromText = facts.files.find((f) => f.role === 'client' && (f.path.endsWith('.key') || f.path.endsWith('.pk8')))?.path;
  return {
    caPath: p.sslrootcert ?? facts.files.find((f) => f.role === 'ca')?.path ?? null,
    certPath: p.sslcert ?? certFromText ?? null,
    keyPath: p.sslkey ?? keyFromText ?? null,
  };
}

function inferDeployment(given: Deployment | undefined, facts: Facts, connection: ParsedConnection | null, scores: Map<DiagnosisCode, number>, cloudMentioned: boolean): Deployment | null {
  if (given) return given;
  const hosts = [...(connection?.hosts ?? []), ...facts.hosts];
  if (hosts.some((h) => isCloudHost(h.host)) || cloudMentioned || (scores.get('cluster_routing') ?? 0) >= 0.5 || routingIdFromOptions(connection?.params.options) || facts.routing_id) return 'cloud';
  return null;
}

/** Where the printed commands will run: crdb-tls and cockroach read COCKROACH_CERTS_DIR / COCKROACH_CA_KEY themselves. */
export interface DiagnoseEnvironment {
  certsDir?: string | null;
  caKey?: string | null;
}

/** Diagnoses pasted error text. Throws input_too_large (nothing processed) above 1 MiB. */
export function diagnose(input: DiagnoseInput, environment: DiagnoseEnvironment = {}): Diagnosis {
  const bytes = Buffer.byteLength(input.error_text, 'utf8');
  if (bytes > MAX_ERROR_TEXT_BYTES) {
    throw new ToolError('input_too_large', `error_text is ${bytes.toLocaleString('en-US')} bytes; the limit is 1 MiB (${MAX_ERROR_TEXT_BYTES.toLocaleString('en-US')} bytes)`, 'Paste the part around the error: its first line and every "Caused by" / wrapped error are enough.');
  }
  const normalized = normalizeErrorText(input.error_text);
  const text = normalized.text;
  const { matcher, refs } = compile();
  const matches = matcher.scan(text);

  const contributions: Contribution[] = [];
  const clientHits: ClientHit[] = [];
  const anchors: Array<{ anchor: string; positions: number[] }> = [];
  const sameText: SameTextCandidate[] = [];
  const matchedIds = new Set<string>();
  for (const match of matches) {
    const ref = refs[match.phrase]!;
    if (ref.kind === 'signal') matchedIds.add(ref.signal.id);
  }
  for (const match of matches) {
    const ref = refs[match.phrase]!;
    const first = match.positions[0]!;
    if (ref.kind === 'signal') {
      const phraseText = text.slice(first, first + ref.signal.phrase.length);
      // Two phrases together say more than the line around one of them.
      const together = ref.signal.together && matchedIds.has(ref.signal.together.with) ? ref.signal.together.weights : undefined;
      // The line is read at most once, and only for a signal that looks at it.
      const sameTextOf = ref.signal.sameText;
      const line = !together && (ref.signal.refine || typeof sameTextOf === 'function') ? lineAround(text, first) : '';
      const refined = together ? undefined : ref.signal.refine?.(line);
      contributions.push({ signal: ref.signal, weights: together ?? refined ?? ref.signal.weights, text: phraseText });
      const group = together ? ref.signal.together!.sameText : typeof sameTextOf === 'function' ? sameTextOf(line) : sameTextOf;
      if (group) sameText.push({ ...group, phrase: phraseText, source: group.source ?? ref.signal.source });
      for (const { group: shared, offsets } of sharedGroupsOf(ref.signal)) {
        const found = sharedTextAt(text, match.positions, shared.phrase, offsets);
        if (found) sameText.push({ ...shared, phrase: found });
      }
    } else if (ref.kind === 'client') {
      clientHits.push({ client: ref.marker.client, weight: ref.marker.weight, text: text.slice(first, first + ref.marker.phrase.length).trim() });
    } else {
      anchors.push({ anchor: ref.anchor, positions: match.positions });
    }
  }

  let parsed: ParsedConnection | null = null;
  let analysis: ConnectionAnalysis | null = null;
  let connectionClient;
  if (input.connection_string !== undefined && input.connection_string.trim() !== '') {
    const preliminary = analyzeConnectionString(input.connection_string, input.client);
    connectionClient = clientFromConnectionString(preliminary.parsed);
    parsed = preliminary.parsed;
  }
  const client = detectClient(clientHits, input.client, connectionClient);
  if (input.connection_string !== undefined && input.connection_string.trim() !== '') {
    analysis = analyzeConnectionString(input.connection_string, client.id ?? undefined).analysis;
  }

  const scored = score(contributions);
  const contextEvidence = new Map<DiagnosisCode, string[]>();
  // Every signal that matched gave one contribution: matchedIds is the set of their ids.
  const absorbed = adjustForContext(scored, client, parsed, contextEvidence, matchedIds);

  const ranked = [...scored.scores.entries()]
    .filter(([, s]) => s > 0)
    .sort((a, b) => b[1] - a[1] || CODE_ORDER.get(a[0])! - CODE_ORDER.get(b[0])!);
  const top = ranked[0];
  const code: DiagnosisCode = top && top[1] >= UNKNOWN_BELOW ? top[0] : 'unknown';
  const considered = ranked.filter(([c, s]) => s >= 0.1 && !absorbed.has(c));
  const denominator = considered.reduce((sum, [, s]) => sum + s, 0) + (1 - (top?.[1] ?? 0));

  const facts = extractFacts(text, anchors);
  const files = pickFiles(facts, parsed);
  const firstHost = parsed?.hosts[0] ?? facts.hosts[0] ?? null;
  const cloudMentioned = anchors.some((a) => a.anchor === 'cockroachlabs.cloud');
  const deployment = inferDeployment(input.deployment, facts, parsed, scored.scores, cloudMentioned);
  // Every field given: the object is built once, not merged over fixContext()'s defaults.
  const ctx: FixContext = {
    client: client.id,
    family: client.id ? CLIENT_FAMILY[client.id] : (client.family as FixContext['family']),
    deployment,
    host: firstHost?.host ?? null,
    port: firstHost?.port ?? null,
    user: parsed?.user ?? facts.users.find((u) => u.role === 'requested')?.user ?? null,
    database: parsed?.database ?? null,
    caPath: files.caPath,
    certPath: files.certPath,
    keyPath: files.keyPath,
    routingId: routingIdFromOptions(parsed?.params.options) ?? facts.routing_id,
    sslmode: parsed?.params.sslmode ?? null,
    connection: parsed,
    signals: matchedIds,
    facts,
    env: { certsDir: environment.certsDir ?? null, caKey: environment.caKey ?? null },
  };

  const guide = GUIDES[code];

  const alternativesRanked = ranked.filter(([c, s]) => c !== code && s >= ALTERNATIVE_FROM).slice(0, MAX_ALTERNATIVES);
  const primaryConfirm = guide.confirm(ctx);
  const alternatives = alternativesRanked.map(([alt, s]) => ({
    code: alt,
    title: CODE_TITLES[alt],
    confidence: share(s, denominator),
    evidence: evidenceOf(alt, scored, contextEvidence),
    tell_apart: code === 'unknown' ? `A weak match: it is ${alt} if ${GUIDES[alt].confirm(ctx)}.` : `It is ${code} if ${primaryConfirm}; it is ${alt} if ${GUIDES[alt].confirm(ctx)}.`,
  }));

  const causes = guide.causes(ctx).map(withFillIns);
  for (const alt of alternatives.slice(0, 2)) {
    causes.push({ cause: `Or the fault is ${alt.code}: ${alt.title.charAt(0).toLowerCase()}${alt.title.slice(1)}.`, likelihood: alt.confidence >= 0.3 ? 'medium' : 'low', confirm: alt.tell_apart });
  }
  const nextTools = guide.nextTools(ctx).filter((tool, i, all) => all.findIndex((t) => t.tool === tool.tool) === i);

  return {
    code,
    title: CODE_TITLES[code],
    confidence: code === 'unknown' ? 0 : share(top![1], denominator),
    explanation: guide.explanation(ctx),
    evidence: code === 'unknown' ? [] : evidenceOf(code, scored, contextEvidence),
    causes: causes.map((c, i) => ({ rank: i + 1, ...c })),
    fix_steps: guide.fixes(ctx).map(withFillIns).map((s, i) => ({ step: i + 1, ...s })),
    alternatives,
    same_text: sameTextFor(code, sameText, contributions, new Set(contextEvidence.keys())),
    next_tools: nextTools,
    client: { id: client.id, family: client.family, source: client.source, evidence: client.evidence, ...(client.note ? { note: client.note } : {}) },
    deployment: deployment ?? 'unknown',
    facts,
    connection: analysis,
    input: { bytes, characters_scanned: text.length, unescaped_sequences: normalized.unescaped },
  };
}
