import * as z from 'zod';
import type { Logger } from './log.js';
import type { Config } from './config.js';
import type { AllowedPaths } from './paths.js';
import type { Assessment, AskPerson } from './assessment.js';
import type { Picture } from './picture.js';
import type { ConfirmationChannel, Store } from '../store/types.js';

/** What a tool does to the world (DESIGN.md §2). The last three make a tool "mutating". */
type Effects = 'none' | 'reads-files' | 'network' | 'writes-files' | 'cloud-write' | 'signals-process';
const MUTATING_EFFECTS: ReadonlySet<Effects> = new Set(['writes-files', 'cloud-write', 'signals-process']);

// Re-exported: tools and faces name them together with the contract.
export { Assessment, Severity } from './assessment.js';
export type { Picture } from './picture.js';

interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** Everything a tool may use besides its input; faces build it, tools never reach for globals. */
export interface ToolContext {
  config: Config;
  paths: AllowedPaths;
  log: Logger;
  /** Where confirmations and the audit trail live (read by audit_log). */
  store: Store;
  /** Who asked, as DESIGN.md §3 defines it per face. */
  requester: string;
  /** Asks the person for a secret without echoing it; absent where nobody can be asked (MCP, CI). */
  promptSecret?: (question: string) => Promise<string>;
  signal?: AbortSignal;
  /**
   * Asks the person to confirm a gated call right now, where the face can (MCP elicitation, a
   * terminal prompt, --yes); absent where it cannot, and the gate answers confirmation_required.
   */
  askPerson?: AskPerson;
  /** How askPerson reaches the person, for the audit trail (default: elicitation over MCP, cli_prompt on the CLI). */
  askPersonChannel?: ConfirmationChannel;
  /** The pending confirmation askPerson answers, when the face made one first (the MCP form round): audited with the answer. */
  askPersonConfirmationId?: string;
  /**
   * Set by the Slack face only, on a Confirm click, after it checked the Slack policy (confirmers,
   * four-eyes): the clicker as a requester id. It is what lets a Slack-issued confirmation be redeemed.
   */
  confirmedInSlackBy?: string;
  /**
   * Given by the runner to every call: a read tool that hands secret material out (a revealed
   * changefeed URI written to a file) calls it with where it went, and the runner records a
   * `revealed` audit event (tool, who, target, outcome) when the call ends. Calling it is all a
   * tool has to do; it never sees the store.
   */
  markReveal?: (target: string) => void;
  /** Tells the person how a long call is going (MCP progress notifications, CLI stderr); absent where nobody listens. */
  progress?: (message: string, fraction?: number) => void;
}

type AnyObject = z.ZodObject<z.ZodRawShape>;

export interface ToolDefinition<I extends AnyObject = AnyObject, O extends AnyObject = AnyObject> {
  name: string;
  title: string;
  description: string;
  annotations: ToolAnnotations;
  effects: Effects;
  input: I;
  output: O;
  /** Required for mutating tools: the impact of this call. */
  assess?: (input: z.infer<I>, ctx: ToolContext) => Promise<Assessment>;
  run: (input: z.infer<I>, ctx: ToolContext) => Promise<z.infer<O>>;
  summary: (output: z.infer<O>) => string;
  /**
   * A picture of the result for faces that can show one (an MCP image block, a Slack upload):
   * `wanted` says whether this call asked for it (MCP); Slack draws it whenever the tool has one.
   * Loaded only when drawn, so that no other call pays for the renderer.
   */
  picture?: { wanted: (input: z.infer<I>) => boolean; draw: (output: z.infer<O>) => Promise<Picture> };
}

export function isMutating(tool: Pick<ToolDefinition, 'effects'>): boolean {
  return MUTATING_EFFECTS.has(tool.effects);
}

/**
 * Declares a tool and checks, once at load time, that its declaration is coherent: a catalog
 * with a mutating tool that cannot assess itself, or annotations that lie, must not start.
 */
export function defineTool<I extends AnyObject, O extends AnyObject>(def: ToolDefinition<I, O>): ToolDefinition<I, O> {
  if (!/^[a-z][a-z0-9_]*$/.test(def.name)) throw new Error(`tool name ${def.name} is not snake_case`);
  const mutating = isMutating(def);
  if (mutating && !def.assess) throw new Error(`tool ${def.name} has effects ${def.effects} but no assess()`);
  // A tool that changes things never says it is read-only. The other way round a tool may be
  // honest that it records something of its own (plan_rotation saves its plan in the store)
  // without being gated: that changes nothing on disk, on the cluster or in the Cloud.
  if (mutating && def.annotations.readOnlyHint) {
    throw new Error(`tool ${def.name}: readOnlyHint=true contradicts effects ${def.effects}`);
  }
  if (!mutating && def.annotations.destructiveHint) throw new Error(`tool ${def.name}: a read-only tool cannot be destructive`);
  return def;
}
