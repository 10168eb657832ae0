import type { ConnectionSettings } from '../connection/driver-inputs.js';
import type { NextTool } from './fixes/context.js';
import type { Diagnosis } from './schema.js';

/** The human summary of a diagnosis (CLI, and the text part of the MCP answer). */

function indent(text: string, prefix: string): string {
  return text.split('\n').map((line) => `${prefix}${line}`).join('\n');
}

export interface RenderOptions {
  /** How a face writes a next tool: the CLI as a crdb-tls command line; by default a tool call (MCP's text). */
  nextStep?: (next: NextTool) => string;
}

const toolCall = (t: NextTool) => `${t.tool} ${JSON.stringify(t.arguments)} — ${t.reason}`;

/** One text, several causes: say so, name them all, and how to tell them apart. */
function sameTextLine(group: NonNullable<Diagnosis['same_text']>): string {
  const [first, ...rest] = group.codes;
  return `same text, ${group.codes.length} causes: ${JSON.stringify(group.text)} is printed for ${[first, ...rest].join(', ')} alike (${first} is the most likely); to tell them apart: ${group.tell_apart}`;
}

export function renderDiagnosis(d: Diagnosis, options: RenderOptions = {}): string {
  const out: string[] = [];
  out.push(d.code === 'unknown' ? `unknown — ${d.title}` : `${d.code} — ${d.title} (confidence ${d.confidence.toFixed(2)})`);
  const client = d.client.id ? `${d.client.id}${d.client.source === 'text' ? ` (detected: ${d.client.evidence.slice(0, 3).map((e) => JSON.stringify(e)).join(', ')})` : ` (${d.client.source.replace('_', ' ')})`}` : d.client.family ? `a ${d.client.family} client (exact client not recognised)` : 'not recognised';
  out.push(`client: ${client}${d.deployment !== 'unknown' ? `; deployment: ${d.deployment}` : ''}`);
  if (d.client.note) out.push(`note: ${d.client.note}`);
  if (d.evidence.length) out.push(`evidence: ${d.evidence.map((e) => JSON.stringify(e)).join(', ')}`);
  if (d.same_text) out.push(sameTextLine(d.same_text));
  out.push('', d.explanation);
  if (d.connection) {
    out.push('', `connection string: ${d.connection.redacted}`);
    for (const note of d.connection.notes) out.push(indent(note, '  - ').replace(/^ {2}- /, '  - '));
  }
  if (d.causes.length) {
    out.push('', 'Likely causes:');
    for (const c of d.causes) {
      out.push(`  ${c.rank}. [${c.likelihood}] ${c.cause}`, `     check: ${c.confirm}`);
      if (c.command) out.push(`     $ ${c.command}`);
    }
  }
  if (d.fix_steps.length) {
    out.push('', d.code === 'unknown' ? 'What to collect next:' : 'Fix:');
    for (const s of d.fix_steps) {
      out.push(`  ${s.step}. ${s.action}`);
      if (s.command) out.push(`     $ ${s.command}`);
      if (s.snippet) out.push(`     ${s.snippet.label} (${s.snippet.language}):`, indent(s.snippet.text, '       '));
    }
  }
  if (d.alternatives.length) {
    out.push('', 'Also possible:');
    for (const a of d.alternatives) out.push(`  - ${a.code} (${a.confidence.toFixed(2)}): ${a.tell_apart}`);
  }
  if (d.next_tools.length) {
    out.push('', 'Next:');
    for (const t of d.next_tools) out.push(`  - ${(options.nextStep ?? toolCall)(t)}`);
  }
  return out.join('\n');
}

export function renderConnectionSettings(s: ConnectionSettings): string {
  const out: string[] = [];
  out.push(`${s.client_name} → ${s.host}:${s.port} as ${s.user}, database ${s.database} (${s.deployment}, ${s.auth === 'client-certificate' ? 'client certificate' : 'password'} login, sslmode verify-full)`);
  if (s.prerequisites.length) {
    out.push('', 'First:');
    for (const p of s.prerequisites) out.push(`  - ${p.why}`, `    $ ${p.command}`);
  }
  for (const snippet of s.settings) out.push('', `${snippet.label}:`, indent(snippet.text, '  '));
  out.push('', `sslmode: ${s.sslmode_semantics}`);
  if (s.notes.length) {
    out.push('', 'Notes:');
    for (const n of s.notes) out.push(`  - ${n}`);
  }
  return out.join('\n');
}
