import crypto from 'node:crypto';
import * as z from 'zod';
import { Gate, inputHash, type ConfirmedBy, type GateSettings } from '../gate/gate.js';
import type { GatePolicy } from '../gate/policy.js';
import type { AuditEventKind, Store } from '../store/types.js';
import { ToolError, toStructuredError, type StructuredError } from './errors.js';
import { publicInputSchema } from './envelope.js';
import { isMutating, type Assessment, type ToolContext, type ToolDefinition } from './tool.js';

export type RunResult =
  | { ok: true; output: Record<string, unknown>; text: string }
  | { ok: false; error: StructuredError };

/** Formats zod issues as one line: "user: expected string; lifetime: invalid duration". */
function describeValidationIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

const SECRET_FIELD = /password|secret|token|private/i;

/**
 * Error texts are for a person: a message that quotes a 10 MB input (or lists ten thousand
 * validation issues) is cut, so that no face sends megabytes back and no input is echoed whole.
 */
const MAX_ERROR_TEXT = 2_000;
function bounded(error: StructuredError): StructuredError {
  const cut = (text: string) => (text.length <= MAX_ERROR_TEXT ? text : `${text.slice(0, MAX_ERROR_TEXT)}… (${text.length - MAX_ERROR_TEXT} more characters cut)`);
  return error.hint === undefined ? { code: error.code, message: cut(error.message) } : { code: error.code, message: cut(error.message), hint: cut(error.hint) };
}

/**
 * A long text (a pasted certificate bundle, a CSR) is kept in the audit trail as its start, its
 * length and its SHA-256: enough to tell which one it was, without each gated call writing
 * megabytes several times over (requested, confirmed, done).
 */
const MAX_AUDITED_TEXT = 2_048;
const AUDITED_TEXT_START = 200;
function auditableValue(value: unknown): unknown {
  if (typeof value === 'string') {
    if (value.length <= MAX_AUDITED_TEXT) return value;
    const sha256 = crypto.createHash('sha256').update(value).digest('hex');
    return `${value.slice(0, AUDITED_TEXT_START)}… [${value.length} characters, SHA-256 ${sha256}]`;
  }
  if (Array.isArray(value)) return value.map(auditableValue);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, auditableValue(v)]));
  return value;
}

/** What of an input goes into the audit trail: everything but fields that may hold secrets, long texts cut. */
function auditableInput(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([key]) => !SECRET_FIELD.test(key)).map(([key, value]) => [key, auditableValue(value)]));
}

/** Input fields that name where a network tool goes; a URL is kept without its credentials and query. */
const TARGET_FIELD = /^(host|hosts|port|url|cluster_id|address|addresses|target|targets|node|nodes|server|metrics_url|sql_url)$/;
function withoutCredentials(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, '$1').replace(/[?#].*$/s, '');
}
function targetText(value: unknown): string | undefined {
  if (typeof value === 'string') return withoutCredentials(value).slice(0, 300);
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map(targetText).filter(Boolean).join(',').slice(0, 300);
  if (value && typeof value === 'object') return targetText(Object.values(value));
  return undefined;
}
/** Where a network call went, in a few words for the audit trail: `host=db.internal port=26257`. */
function networkTarget(input: Record<string, unknown>): string {
  const parts = Object.entries(input)
    .filter(([key, value]) => TARGET_FIELD.test(key) && value !== undefined && !SECRET_FIELD.test(key))
    .map(([key, value]) => `${key}=${targetText(value) ?? ''}`);
  return parts.join(' ') || '(default targets)';
}

/**
 * The one way any face runs a tool: validate → (read-only check) → assess → gate → run → audit,
 * ending in a structured result or a structured error, never a stack trace. Faces cannot bypass
 * it: they get tools only through it.
 */
export class Runner {
  private readonly gate: Gate;

  constructor(
    readonly policy: GatePolicy,
    readonly store: Store,
    now: () => Date = () => new Date(),
    settings: GateSettings = { face: 'cli' },
  ) {
    this.gate = new Gate(policy, store, now, settings);
  }

  /** The face this runner answers for; its confirmations are bound to it. */
  get face(): GateSettings['face'] {
    return this.gate.face;
  }

  /** The tools a face may show: read-only mode removes every mutating one (DESIGN.md §3). */
  visible<T extends Pick<ToolDefinition, 'effects'>>(catalog: T[]): T[] {
    return this.policy.readOnly ? catalog.filter((tool) => !isMutating(tool)) : catalog;
  }

  async run(tool: ToolDefinition, rawInput: unknown, ctx: ToolContext): Promise<RunResult> {
    if (this.policy.readOnly && isMutating(tool)) {
      return { ok: false, error: { code: 'refused', message: `${tool.name} changes things and read-only mode is on`, hint: 'Unset CRDB_TLS_READ_ONLY to allow changes.' } };
    }
    const parsed = publicInputSchema(tool).safeParse(rawInput ?? {});
    if (!parsed.success) {
      return { ok: false, error: bounded({ code: 'invalid_input', message: `invalid input for ${tool.name}: ${describeValidationIssues(parsed.error)}`, hint: `See the input schema of ${tool.name}.` }) };
    }
    try {
      if (!isMutating(tool)) return await this.runReading(tool, parsed.data as Record<string, unknown>, ctx);
      return await this.runMutating(tool, parsed.data as Record<string, unknown>, ctx);
    } catch (caught) {
      const error = cancellationOf(caught, tool, ctx);
      if (!(error instanceof ToolError)) ctx.log.error({ err: error, tool: tool.name }, 'tool failed unexpectedly');
      return { ok: false, error: bounded(toStructuredError(error)) };
    }
  }

  /**
   * A reading tool runs at once. A network call and a reveal are audited too (issue 13): one
   * compact event each — tool, who, target, outcome — after the call, before its answer.
   */
  private async runReading(tool: ToolDefinition, input: Record<string, unknown>, ctx: ToolContext): Promise<RunResult> {
    const reveals: string[] = [];
    const networked = tool.effects === 'network';
    const callCtx: ToolContext = { ...ctx, markReveal: (target: string) => void reveals.push(target) };
    const record = async (outcome: string) => {
      const base = { tool: tool.name, requester: ctx.requester, confirmer: null, severity: null, confirmation_id: null, input_hash: inputHash(tool.name, input) };
      if (networked) await this.store.appendAudit({ ...base, event: 'network_call', detail: { target: networkTarget(input), outcome } });
      for (const target of reveals) await this.store.appendAudit({ ...base, event: 'revealed', detail: { target, outcome } });
    };
    let output: Record<string, unknown>;
    try {
      output = await tool.run(input, callCtx);
    } catch (caught) {
      const error = cancellationOf(caught, tool, ctx);
      await record(`error: ${toStructuredError(error).code}`);
      throw error;
    }
    await record('ok');
    return { ok: true, output, text: tool.summary(output) };
  }

  private async runMutating(tool: ToolDefinition, data: Record<string, unknown>, ctx: ToolContext): Promise<RunResult> {
    const { confirmation_id: confirmationId, dry_run: dryRun, ...input } = data;
    const hash = inputHash(tool.name, input);
    const audit = (event: z.infer<typeof AuditEventKind>, assessment: Assessment | undefined, extra: { requester?: string; confirmer?: string | null; confirmationId?: string | null; detail?: Record<string, unknown> } = {}) =>
      this.store.appendAudit({
        event,
        tool: tool.name,
        requester: extra.requester ?? ctx.requester,
        confirmer: extra.confirmer ?? null,
        severity: assessment?.severity ?? null,
        confirmation_id: extra.confirmationId ?? null,
        input_hash: hash,
        detail: { input: auditableInput(input), ...(assessment ? { impact: assessment.impact, changes: assessment.changes } : {}), ...extra.detail },
      });

    let assessment: Assessment;
    try {
      assessment = await tool.assess!(input, ctx);
    } catch (error) {
      await audit('refused', undefined, { confirmationId: (confirmationId as string | undefined) ?? null, detail: { stage: 'assess', error: toStructuredError(error) } });
      throw error;
    }
    if (dryRun) {
      await audit('dry_run', assessment);
      return { ok: true, output: { status: 'dry_run', assessment }, text: `Dry run, nothing changed. Severity ${assessment.severity}: ${assessment.impact}\nChanges: ${assessment.changes.join('; ')}\nRollback: ${assessment.rollback}` };
    }
    await audit('requested', assessment, { confirmationId: (confirmationId as string | undefined) ?? null });
    const decision = await this.gate.decide(tool, hash, assessment, confirmationId as string | undefined, ctx);
    if (!decision.proceed) {
      const pendingId = (decision.output.confirmation as { id?: string } | undefined)?.id ?? (confirmationId as string | undefined) ?? ctx.askPersonConfirmationId ?? null;
      await audit(decision.event, assessment, { confirmationId: pendingId, detail: { reason: decision.output.reason } });
      return { ok: true, output: decision.output, text: decision.text };
    }
    const confirmed: ConfirmedBy | null = decision.confirmed;
    // Every event after the gate says how the call was confirmed: the channel, and whether the requester confirmed itself.
    const how = confirmed ? { channel: confirmed.channel, self_confirmed: confirmed.self_confirmed } : {};
    const who = { requester: decision.requester, confirmer: confirmed?.confirmer ?? null, confirmationId: decision.confirmationId };
    if (confirmed) await audit('confirmed', assessment, { ...who, detail: how });
    let result: Record<string, unknown>;
    try {
      result = await tool.run(input, ctx);
    } catch (caught) {
      const error = cancellationOf(caught, tool, ctx);
      await audit('failed', assessment, { ...who, detail: { ...how, error: toStructuredError(error) } });
      throw error;
    }
    // Durable before the caller hears "done" (DESIGN.md §4).
    await audit('done', assessment, { ...who, detail: how });
    return { ok: true, output: { status: 'done', result, assessment }, text: tool.summary(result) };
  }
}

/**
 * Once the caller has stopped the call, whatever error ends it is that stop (an abort surfacing
 * from a socket or a timer is not a bug); a tool's own words about it are kept.
 */
function cancellationOf(error: unknown, tool: ToolDefinition, ctx: ToolContext): unknown {
  if (!ctx.signal?.aborted || (error instanceof ToolError && error.code === 'cancelled')) return error;
  const hint = isMutating(tool) ? 'Check what was already changed (audit_log, the files, the Cloud console) before running it again.' : 'Run it again when needed.';
  return new ToolError('cancelled', error instanceof ToolError ? error.message : `${tool.name} was cancelled before it finished`, hint);
}
