import cockroachdb from './cockroachdb.json' with { type: 'json' };
import dotnet from './dotnet.json' with { type: 'json' };
import go from './go.json' with { type: 'json' };
import java from './java.json' with { type: 'json' };
import libpqWrappers from './libpq-wrappers.json' with { type: 'json' };
import libPq from './lib-pq.json' with { type: 'json' };
import libpq from './libpq.json' with { type: 'json' };
import managed from './managed.json' with { type: 'json' };
import node from './node.json' with { type: 'json' };
import openssl from './openssl.json' with { type: 'json' };
import pgx from './pgx.json' with { type: 'json' };
import postgresServer from './postgres-server.json' with { type: 'json' };
import prisma from './prisma.json' with { type: 'json' };
import python from './python.json' with { type: 'json' };
import rust from './rust.json' with { type: 'json' };
import { DIAGNOSIS_CODES, type DiagnosisCode } from '../codes.js';
import type { SameTextCandidate, Signal, Weights } from '../rules/types.js';

/**
 * The message catalog: what each client and server prints, read from its source (one JSON file a
 * client family, with the repository, file and version of every message), and what it means — one
 * diagnosis code, a group of codes the text cannot tell apart (with the step that tells them
 * apart), or explicitly "not a TLS/auth problem". test/unit/diagnose-catalog.test.ts feeds every
 * message to diagnose() and fails when one is not recognised as catalogued.
 *
 * A message whose phrase no hand-written rule (rules/*.ts) knows becomes a signal here, so the
 * catalog is knowledge the engine uses, not only a test list.
 */

export interface CatalogMessage {
  /** The exact text, or its format with the printf / {0} holes of the source. */
  message: string;
  file: string;
  codes?: DiagnosisCode[];
  tell_apart?: string;
  /** Why this text is not a TLS/auth problem (then codes is absent). */
  not_tls?: string;
  /** The literal the engine matches, when not the longest hole-free fragment of the message. */
  match?: string;
  /** A prefix around another message (pgx's ConnectError, PDO's SQLSTATE[08006] [7]): no signal of its own. */
  wrapper?: boolean;
  boundary?: boolean;
  /** Signal id when a guide tailors its advice to this message (default catalog.<catalog>.<index>). */
  id?: string;
  /** A real instance of the message (holes filled as a client prints them); the test diagnoses it. */
  example?: string;
}

export interface CatalogFile {
  catalog: string;
  what: string;
  source: { repo: string; ref: string };
  messages: CatalogMessage[];
}

export const CATALOGS: CatalogFile[] = [libpq, postgresServer, cockroachdb, node, openssl, go, pgx, libPq, python, java, dotnet, rust, libpqWrappers, prisma, managed] as CatalogFile[];

/** printf verbs (%s %d %q %v %w %c %x %f, %dh), .NET/Java {0} holes. */
const HOLE = /%[-+ #0-9.]*[sdqvwcxfh]h?|\{\d+\}/g;

/** The literal the engine looks for: `match`, else the longest hole-free fragment, lowercased. */
export function phraseOf(entry: CatalogMessage): string {
  if (entry.match) return entry.match.toLowerCase();
  const fragments = entry.message.split(HOLE).map((f) => f.trim());
  return fragments.reduce((best, f) => (f.length > best.length ? f : best), '').toLowerCase();
}

/** One code: decisive. A group: ranked as listed, generic so that a specific phrase for one of them wins. */
function weightsOf(codes: DiagnosisCode[]): Weights {
  const ladder = codes.length === 1 ? [0.9] : [0.7, 0.55, 0.45, 0.35];
  const weights: Weights = {};
  codes.forEach((code, i) => {
    if (code !== 'unknown') weights[code] = ladder[Math.min(i, ladder.length - 1)]!;
  });
  return weights;
}

/**
 * Signals for the catalogued messages that no rule already covers: a rule whose phrase is part of
 * the message's phrase fires wherever the message does (and weighs it, with its refinements), so
 * a second signal would only count the same evidence twice.
 */
export function catalogSignals(known: ReadonlySet<string>): Signal[] {
  const signals: Signal[] = [];
  const seen = [...known];
  for (const file of CATALOGS) {
    file.messages.forEach((entry, index) => {
      if (entry.wrapper || !entry.codes?.length) return;
      const phrase = phraseOf(entry);
      if (phrase.length < 6 || seen.some((k) => phrase.includes(k))) return;
      for (const code of entry.codes) if (!(DIAGNOSIS_CODES as readonly string[]).includes(code)) throw new Error(`catalog ${file.catalog}: unknown code ${code}`);
      seen.push(phrase);
      signals.push({
        id: entry.id ?? `catalog.${file.catalog}.${index}`,
        phrase,
        weights: weightsOf(entry.codes),
        source: `${file.source.repo.split(' ')[0]} ${entry.file}`,
        ...(entry.codes.length > 1 ? { generic: true } : {}),
        ...(entry.boundary ? { boundary: true } : {}),
      });
    });
  }
  return signals;
}

/** The catalog's groups, one per message (wrappers have no meaning of their own): same-text.ts. */
export function catalogSameText(): SameTextCandidate[] {
  return CATALOGS.flatMap((file) =>
    file.messages
      .filter((m) => !m.wrapper && (m.codes?.length ?? 0) > 1 && m.tell_apart)
      .map((m) => ({
        phrase: phraseOf(m),
        codes: m.codes!.filter((c): c is Exclude<DiagnosisCode, 'unknown'> => c !== 'unknown'),
        tellApart: m.tell_apart!,
        source: `${file.source.repo.split(' ')[0]} ${m.file}`,
      }))
      .filter((g) => g.phrase.length >= 6 && g.codes.length > 1),
  );
}
