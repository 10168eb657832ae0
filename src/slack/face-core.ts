/**
 * What the parts of the Slack face share (face.ts, confirmations.ts, issuance.ts): who asked,
 * the face's services, and a gated call handed to the confirmation buttons. The parts import it;
 * it imports none of them, so the face's rooms point one way.
 */
import type { Logger } from '../core/log.js';
import type { AllowedPaths } from '../core/paths.js';
import type { RunResult } from '../core/runner.js';
import type { Runtime } from '../core/runtime.js';
import type { Severity, ToolContext, ToolDefinition } from '../core/tool.js';
import type { SlackConfig } from './config.js';
import type { Reply, SlackApi } from './reply.js';

/** "Who asked" in Slack is the Slack user id (DESIGN.md §3), marked with the face. */
export const requesterOf = (user: string) => `slack:${user}`;

/** A gated call as the runner answered it (status confirmation_required). */
export interface GatedCall {
  tool: ToolDefinition;
  input: Record<string, unknown>;
  confirmation: { id: string; severity: Severity; impact: string; changes: string[]; rollback: string; expires_at: string };
  request: string;
  user: string;
  reply: Reply;
  csrPem?: string;
}

/** What the parts of the face share. */
export interface FaceCore {
  runtime: Runtime;
  config: SlackConfig;
  api: SlackApi;
  log: Logger;
  /** A tool this face may run now (read-only mode hides the mutating ones). */
  tool(name: string): ToolDefinition | undefined;
  context(user: string, options?: { reply?: Reply; paths?: AllowedPaths }): ToolContext;
  /** Turns a runner outcome into the answer (see SlackFace.answer). */
  answer(tool: ToolDefinition, input: Record<string, unknown>, outcome: RunResult, reply: Reply, user: string, request: string, extra?: Partial<GatedCall>): Promise<void>;
}
