/**
 * A diagnosis as Block Kit: a header with the code, the confidence and the client, the
 * explanation, ranked causes, numbered fix steps with code blocks for the detected client, and
 * buttons for the next tools the app can run from Slack.
 */
import type { Diagnosis } from '../../diagnose/schema.js';
import { codeBlock, escapeMrkdwn } from '../text.js';
import { actions, button, context, divider, fallbackText, header, sections, type Block, type SlackMessage } from './blocks.js';

/** A next tool the face can run from a button (read-only, in the catalog, its arguments complete). */
export interface NextToolButton {
  label: string;
  actionId: string;
  value: string;
}

const LIKELIHOOD = { high: '🔴 likely', medium: '🟠 possible', low: '⚪ less likely' } as const;

function clientLine(d: Diagnosis): string {
  if (d.client.id) return `client *${escapeMrkdwn(d.client.id)}* (${d.client.source === 'text' ? 'detected' : d.client.source.replace('_', ' ')})`;
  if (d.client.family) return `a ${escapeMrkdwn(d.client.family)} client`;
  return 'client not recognised (add `--client`)';
}

export function renderDiagnosis(d: Diagnosis, nextTools: NextToolButton[], plainText: string): SlackMessage {
  const known = d.code !== 'unknown';
  const blocks: Block[] = [
    header(known ? `🔍 ${d.code} — ${d.title}` : `🤷 No known TLS error recognised`),
    context(
      known ? `confidence *${d.confidence.toFixed(2)}*` : 'confidence 0',
      clientLine(d),
      ...(d.deployment !== 'unknown' ? [`deployment *${d.deployment}*`] : []),
      ...(d.evidence.length ? [`evidence: ${d.evidence.slice(0, 4).map((e) => `“${escapeMrkdwn(e)}”`).join(', ')}`] : []),
    ),
    ...sections(escapeMrkdwn(d.explanation)),
  ];
  if (d.same_text) {
    const codes = d.same_text.codes.map((c) => `*${c}*`).join(', ');
    blocks.push(...sections(`*Same text, ${d.same_text.codes.length} causes:* “${escapeMrkdwn(d.same_text.text)}” is printed for ${codes} alike (${d.same_text.codes[0]} is the most likely).\n_To tell them apart:_ ${escapeMrkdwn(d.same_text.tell_apart)}`));
  }
  if (d.client.note) blocks.push(context(`_${escapeMrkdwn(d.client.note)}_`));
  if (d.connection) {
    blocks.push(...sections(`*Connection string* (password hidden)\n${codeBlock(d.connection.redacted)}${d.connection.notes.length ? `\n${d.connection.notes.map((n) => `• ${escapeMrkdwn(n)}`).join('\n')}` : ''}`));
  }
  if (d.causes.length) {
    const causes = d.causes.map((c) => `${c.rank}. ${LIKELIHOOD[c.likelihood]} — ${escapeMrkdwn(c.cause)}\n      _check:_ ${escapeMrkdwn(c.confirm)}${c.command ? `\n${codeBlock(c.command)}` : ''}`);
    blocks.push(...sections(`*Likely causes*\n${causes.join('\n')}`));
  }
  if (d.fix_steps.length) {
    blocks.push(divider(), ...sections(known ? '*Fix*' : '*What to collect next*'));
    for (const s of d.fix_steps) {
      const parts = [`*${s.step}.* ${escapeMrkdwn(s.action)}`];
      if (s.command) parts.push(codeBlock(s.command));
      if (s.snippet) parts.push(`_${escapeMrkdwn(s.snippet.label)}_ (${escapeMrkdwn(s.snippet.language)})\n${codeBlock(s.snippet.text)}`);
      blocks.push(...sections(parts.join('\n')));
    }
  }
  if (d.alternatives.length) {
    blocks.push(context(...d.alternatives.slice(0, 5).map((a) => `also possible: *${a.code}* (${a.confidence.toFixed(2)}) — ${escapeMrkdwn(a.tell_apart)}`)));
  }
  const later = d.next_tools.filter((t) => !nextTools.some((b) => b.actionId.endsWith(`:${t.tool}`)));
  if (nextTools.length || later.length) {
    blocks.push(...actions(nextTools.map((t) => button(t.label, t.actionId, t.value))));
    if (later.length) blocks.push(context(`next: ${later.map((t) => `\`${t.tool}\` — ${escapeMrkdwn(t.reason)}`).join('; ')}`));
  }
  const text = known ? `${d.code} — ${d.title} (confidence ${d.confidence.toFixed(2)})` : 'No known TLS error recognised';
  return { text: fallbackText(text), blocks, plain: { title: `Diagnosis: ${d.code}`, filename: `diagnosis-${d.code}.txt`, content: plainText } };
}
