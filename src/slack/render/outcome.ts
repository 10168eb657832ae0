/**
 * Everything else the Slack face answers: a tool's result (dispatching to the renderers made for
 * its kind), an error with its hint, usage, help, a dry run, and "not available yet".
 */
import type { StructuredError } from '../../core/errors.js';
import type { Diagnosis } from '../../diagnose/schema.js';
import type { CertListing } from '../../pki/list.js';
import type { Subcommand } from '../commands.js';
import { codeBlock, escapeMrkdwn } from '../text.js';
import { context, fallbackText, header, sections, type SlackMessage } from './blocks.js';
import { renderDiagnosis, type NextToolButton } from './diagnosis.js';
import { renderListing } from './listing.js';
import { renderCheck, renderPlan } from './rotation.js';
import type { CheckReport } from '../../rotation/check.js';
import type { PlanView } from '../../rotation/steps.js';

export interface ToolView {
  name: string;
  title: string;
}

/** A read-only tool's answer (or a mutating one's, done without confirmation). */
export function renderToolOutput(tool: ToolView, output: Record<string, unknown>, text: string, nextTools: NextToolButton[] = []): SlackMessage {
  if (tool.name === 'diagnose_error') return renderDiagnosis(output as unknown as Diagnosis, nextTools, text);
  if (tool.name === 'list_certs') return renderListing(output as unknown as CertListing, text);
  if (tool.name === 'plan_rotation') return renderPlan((output as unknown as { plan: PlanView }).plan, text);
  if (tool.name === 'check_expiry') return renderCheck(output as unknown as CheckReport, text);
  const status = output.status;
  if (status === 'dry_run') {
    const a = output.assessment as { severity: string; impact: string; changes: string[]; rollback: string };
    return {
      text: fallbackText(`Dry run of ${tool.name}: ${a.impact}`),
      blocks: [
        header(`🧪 Dry run: ${tool.title}`),
        context(`severity *${a.severity}*`, 'nothing was changed'),
        ...sections(`*Impact*\n${escapeMrkdwn(a.impact)}\n*Changes*\n${a.changes.map((c) => `• ${escapeMrkdwn(c)}`).join('\n')}\n*Rollback*\n${escapeMrkdwn(a.rollback)}`),
      ],
    };
  }
  if (status === 'refused') {
    return renderProblem(`⛔ Not done: ${tool.title}`, String(output.reason ?? 'refused'));
  }
  return {
    text: fallbackText(text.split('\n')[0] ?? tool.title),
    blocks: [header(`${status === 'done' ? '✅ ' : ''}${tool.title}`), ...sections(codeBlock(text))],
    plain: { title: tool.title, filename: `${tool.name}.txt`, content: text },
  };
}

export function renderProblem(title: string, message: string, hint?: string): SlackMessage {
  return {
    text: fallbackText(`${title}: ${message}`),
    blocks: [header(title), ...sections(escapeMrkdwn(message)), ...(hint ? [context(`💡 ${escapeMrkdwn(hint)}`)] : [])],
  };
}

export function renderError(tool: ToolView, error: StructuredError): SlackMessage {
  return renderProblem(`❌ ${tool.title} failed`, `${error.message} (${error.code})`, error.hint);
}

export function renderUsage(message: string): SlackMessage {
  return { text: fallbackText(message), blocks: sections(`🤔 ${escapeMrkdwn(message).replace(/`([^`]*)`/g, '`$1`')}`) };
}

export function renderUnavailable(sub: Subcommand): SlackMessage {
  return renderProblem(
    `🚧 \`${sub.verb}\` is not available yet`,
    `It needs the tool ${sub.tool}, which this version of crdb-tls does not have yet. Nothing was done.`,
    'Everything else works: try `/crdb-tls help`.',
  );
}

export function renderHelp(command: string, subcommands: Subcommand[], available: (tool: string) => boolean): SlackMessage {
  const lines = subcommands.map((s) => `• \`${command} ${escapeMrkdwn(s.usage)}\`\n      ${escapeMrkdwn(s.about)}${available(s.tool) ? '' : ' _(not available yet)_'}`);
  // Not a tool: a person's approval of a change an assistant asked for over MCP (approvals.ts).
  lines.push(`• \`${command} approve <ref>\`\n      approve a change an assistant asked for over MCP (confirmers only; it then runs once when the assistant retries)`);
  return {
    text: fallbackText(`${command} help`),
    blocks: [
      header('crdb-tls — CockroachDB TLS in Slack'),
      ...sections(`Paste an error after \`${command} diagnose\`, mention me with it, or use the message shortcut *Diagnose TLS error* on any message.\n\n${lines.join('\n')}`),
      context('Actions that can break connections wait for a Confirm by someone allowed to give it. Private keys are never posted: certificates are issued from your CSR.'),
    ],
  };
}
