/**
 * The Slack face's request handling, shared by every entry point (slash command, mention,
 * message shortcut, buttons, the watched-channel suggestion, the digest) and by both receivers
 * (HTTP and Socket Mode): a parsed request becomes one runner call, and its outcome one answer.
 * Nothing here knows Bolt; app.ts adapts Bolt's events to these methods.
 */
import { publicInputSchema } from '../core/envelope.js';
import type { Logger } from '../core/log.js';
import type { AllowedPaths } from '../core/paths.js';
import type { RunResult } from '../core/runner.js';
import type { Runtime } from '../core/runtime.js';
import { isMutating, type ToolContext, type ToolDefinition } from '../core/tool.js';
import type { Diagnosis } from '../diagnose/schema.js';
import { parseCommand, SUBCOMMANDS, type ParsedCommand, type Subcommand } from './commands.js';
import type { SlackConfig } from './config.js';
import { Confirmations } from './confirmations.js';
import { requesterOf, type FaceCore, type GatedCall } from './face-core.js';
import { SlackPolicy } from './policy.js';
import { Issuance } from './issuance.js';
import { context, type SlackMessage } from './render/blocks.js';
import type { NextToolButton } from './render/diagnosis.js';
import { renderError, renderHelp, renderProblem, renderToolOutput, renderUnavailable, renderUsage } from './render/outcome.js';
import { Reply, type ReplyTarget, type SlackApi } from './reply.js';
import { escapeMrkdwn, holdsPrivateKeyText } from './text.js';

export const NEXT_TOOL_ACTION = 'crdb_tls_next';

/**
 * The next tools a diagnosis may offer as buttons, with their labels: read-only tools whose answer
 * does not depend on the asker's machine. test_connection and list_certs would run on the app's
 * host with its files, not the asker's, so they stay as text.
 */
const NEXT_TOOL_LABELS: Record<string, string> = {
  probe_server: 'Probe the server',
  get_client_ca: 'Show the Client CA',
  connection_string: 'Show connection settings',
  decode_changefeed_uri: 'Decode the sink URI',
};
/** Whether a tool's input names a host to connect to: such calls need CRDB_TLS_SLACK_NETWORK_USERS. */
function namesHosts(input: Record<string, unknown>): boolean {
  const some = (value: unknown) => (Array.isArray(value) ? value.length > 0 : typeof value === 'string' && value.trim() !== '');
  return ['host', 'hosts', 'sql_urls', 'url'].some((field) => some(input[field]));
}

const NETWORK_USERS_REFUSAL = renderProblem(
  '🔒 Not allowed to reach the network',
  'Tools that connect to a host (probe, test a login, check or plan with live hosts, reload) may be run from Slack only by the people in CRDB_TLS_SLACK_NETWORK_USERS. Nothing was sent. Ask the app\'s operator to add you (a Slack member id or user group id), or run `crdb-tls` on your own machine.',
);

/** A placeholder a diagnosis writes where it does not know a value (<host>, <user>). */
const PLACEHOLDER = /<[^<>]*>/;

/**
 * Arguments that name files on the machine of whoever pasted the error: on the app's host they
 * mean nothing (or something else), so a button runs the tool without them.
 */
const FILE_ARGUMENTS = new Set(['ca', 'cert', 'key', 'certificate', 'certs_dir', 'ca_key', 'out', 'csr', 'cert_file', 'key_file', 'sslrootcert', 'sslcert', 'sslkey']);

export class SlackFace implements FaceCore {
  readonly policy: SlackPolicy;
  readonly confirmations: Confirmations;
  readonly issuance: Issuance;

  constructor(
    readonly runtime: Runtime,
    readonly config: SlackConfig,
    readonly api: SlackApi,
    readonly log: Logger,
    private readonly catalog: ToolDefinition[],
  ) {
    this.policy = new SlackPolicy(config, api, log);
    this.issuance = new Issuance(this, this.policy);
    this.confirmations = new Confirmations(this, this.policy, this.issuance);
  }

  tool(name: string): ToolDefinition | undefined {
    return this.runtime.runner.visible(this.catalog).find((t) => t.name === name);
  }

  context(user: string, options: { reply?: Reply; paths?: AllowedPaths } = {}): ToolContext {
    const { reply, paths } = options;
    return {
      config: this.runtime.config,
      paths: paths ?? this.runtime.paths,
      log: this.runtime.log,
      store: this.runtime.runner.store,
      requester: requesterOf(user),
      ...(reply ? { progress: (message: string) => reply.progress(message) } : {}),
    };
  }

  reply(target: ReplyTarget): Reply {
    return new Reply(this.api, this.log, target);
  }

  help(command: string): SlackMessage {
    return renderHelp(command, SUBCOMMANDS, (tool) => this.tool(tool) !== undefined);
  }

  /** What to answer at once, in the acknowledgement itself (help, usage): undefined when there is work to do. */
  immediateAnswer(parsed: ParsedCommand, command: string): SlackMessage | undefined {
    if (parsed.kind === 'help') return this.help(command);
    if (parsed.kind === 'usage') return renderUsage(parsed.message);
    return undefined;
  }

  /** Runs `/crdb-tls <text>` (or a mention's text) for `target.user` and answers at the target. */
  async handleText(text: string, target: ReplyTarget, command = '/crdb-tls'): Promise<void> {
    const parsed = parseCommand(text);
    const immediate = this.immediateAnswer(parsed, command);
    if (immediate) {
      await this.reply({ ...target, privately: true }).whisper(immediate);
      return;
    }
    if (parsed.kind === 'run') await this.run(parsed.subcommand, parsed.input, target, text);
  }

  /** Runs one subcommand: the tool through the runner, its outcome rendered, a gated call sent to the buttons. */
  async run(sub: Subcommand, input: Record<string, unknown>, target: ReplyTarget, request: string): Promise<void> {
    const reply = this.reply(sub.ephemeral ? { ...target, privately: true } : target);
    const tool = this.tool(sub.tool);
    if (!tool) {
      const hidden = this.catalog.some((t) => t.name === sub.tool);
      await reply.whisper(hidden ? renderProblem(`🔒 \`${sub.verb}\` is off`, 'Read-only mode is on (CRDB_TLS_READ_ONLY): nothing that changes things can run.') : renderUnavailable(sub));
      return;
    }
    if (holdsPrivateKeyText(request)) {
      await reply.whisper(renderProblem('⚠️ You posted a private key', 'What you sent holds a private key. It is now in Slack\'s history and search: treat it as compromised, create a new key and certificate, and never paste keys into chat. I will not repeat it.'));
    }
    if (namesHosts(input) && !(await this.policy.mayReachNetwork(target.user))) {
      this.log.info({ user: target.user, tool: tool.name }, 'refused: not in CRDB_TLS_SLACK_NETWORK_USERS');
      await reply.whisper(NETWORK_USERS_REFUSAL);
      return;
    }
    if (sub.issuance) {
      await this.issuance.request({ user: target.user, csrPem: String(input.csr_pem), input, reply, request: cleanRequest(sub, request) });
      return;
    }
    await reply.start(`⏳ <@${target.user}> asked for \`${sub.verb}\` — working on it…`);
    const outcome = await this.runtime.runner.run(tool, input, this.context(target.user, { reply }));
    await this.answer(tool, input, outcome, reply, target.user, cleanRequest(sub, request));
  }

  /** Turns a runner outcome into the answer: an error, the buttons of a gated call, or the result. */
  async answer(tool: ToolDefinition, input: Record<string, unknown>, outcome: RunResult, reply: Reply, user: string, request: string, extra: Partial<GatedCall> = {}): Promise<void> {
    if (!outcome.ok) {
      await reply.finish(renderError(tool, outcome.error));
      return;
    }
    if (outcome.output.status === 'confirmation_required') {
      await this.confirmations.ask({ tool, input, confirmation: outcome.output.confirmation as GatedCall['confirmation'], request, user, reply, ...extra });
      return;
    }
    const message = renderToolOutput(tool, outcome.output, outcome.text, tool.name === 'diagnose_error' ? this.nextToolButtons(outcome.output as unknown as Diagnosis) : []);
    await reply.finish(message);
    await this.attachPicture(tool, outcome.output, reply);
  }

  /** The tool's picture of its result (the expiry timeline) in the answer's thread; the answer stands without it. */
  async attachPicture(tool: ToolDefinition, output: Record<string, unknown>, reply: Reply): Promise<void> {
    if (!tool.picture) return;
    try {
      const picture = await tool.picture.draw(output);
      await reply.attachPicture({ ...picture, title: tool.title });
    } catch (error) {
      this.log.warn({ err: error, tool: tool.name }, 'the picture of a result could not be posted');
    }
  }

  /** Buttons for the diagnosis's next tools that can run from Slack as they are: read-only, available, arguments complete. */
  nextToolButtons(d: Diagnosis): NextToolButton[] {
    const buttons: NextToolButton[] = [];
    d.next_tools.forEach((next, index) => {
      const label = NEXT_TOOL_LABELS[next.tool];
      const tool = this.tool(next.tool);
      if (!label || !tool || isMutating(tool)) return;
      const args = Object.fromEntries(Object.entries(next.arguments).filter(([name]) => !FILE_ARGUMENTS.has(name)));
      if (Object.values(args).some((v) => PLACEHOLDER.test(String(v))) || !publicInputSchema(tool).safeParse(args).success) return;
      // A host taken from pasted text is offered only when the network policy could let it through.
      if (typeof args.host === 'string' && !this.runtime.config.network.list.mayAllow(args.host, typeof args.port === 'number' ? args.port : 26257)) return;
      const value = JSON.stringify({ tool: next.tool, arguments: args });
      if (value.length > 2000) return;
      buttons.push({ label, actionId: `${NEXT_TOOL_ACTION}:${index}:${next.tool}`, value });
    });
    return buttons;
  }

  /** A next-tool button: the tool (read-only, checked again here) with the arguments the button carries. */
  async runNextTool(value: string, target: ReplyTarget): Promise<void> {
    let parsed: { tool?: unknown; arguments?: unknown };
    try {
      parsed = JSON.parse(value) as typeof parsed;
    } catch {
      return;
    }
    const tool = typeof parsed.tool === 'string' && NEXT_TOOL_LABELS[parsed.tool] ? this.tool(parsed.tool) : undefined;
    const reply = this.reply(target);
    if (!tool || isMutating(tool)) {
      await reply.whisper(renderProblem('🚧 Not available', `${String(parsed.tool)} cannot run from a button here.`));
      return;
    }
    const args = (parsed.arguments && typeof parsed.arguments === 'object' ? parsed.arguments : {}) as Record<string, unknown>;
    if (namesHosts(args) && !(await this.policy.mayReachNetwork(target.user))) {
      await this.reply({ ...target, privately: true }).whisper(NETWORK_USERS_REFUSAL);
      return;
    }
    await reply.start(`⏳ <@${target.user}> ran \`${tool.name}\` — working on it…`);
    const outcome = await this.runtime.runner.run(tool, args, this.context(target.user, { reply }));
    await this.answer(tool, args, outcome, reply, target.user, tool.name);
  }

  /** The quiet suggestion in a watched channel: a diagnosis only the author sees, when the text is a known TLS error. */
  async suggest(text: string, channel: string, ts: string, threadTs: string | undefined, user: string): Promise<boolean> {
    const tool = this.tool('diagnose_error');
    if (!tool || text.length < 12) return false;
    const outcome = await this.runtime.runner.run(tool, { error_text: text.slice(0, 20_000) }, this.context(user));
    if (!outcome.ok) return false;
    const d = outcome.output as unknown as Diagnosis;
    if (d.code === 'unknown' || d.confidence < 0.5) return false;
    const value = JSON.stringify({ channel, ts: threadTs ?? ts, text: text.slice(0, 1800) });
    await this.api.postEphemeral({
      channel,
      user,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      text: `That looks like ${d.code}: ${d.title}`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `👋 That looks like *${d.code}* — ${escapeMrkdwn(d.title)}. Want the fix for your client?` } },
        { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Diagnose in thread', emoji: true }, action_id: SUGGEST_ACTION, value }] },
        context('Only you can see this. Turn these off by asking the app\'s operator (CRDB_TLS_SLACK_WATCH_CHANNELS).'),
      ],
    });
    return true;
  }

  /** The suggestion's button: the diagnosis, in the thread of the message it was about. */
  async diagnoseSuggested(value: string, user: string): Promise<void> {
    let parsed: { channel?: string; ts?: string; text?: string };
    try {
      parsed = JSON.parse(value) as typeof parsed;
    } catch {
      return;
    }
    if (!parsed.channel || !parsed.ts || !parsed.text) return;
    await this.diagnose(parsed.text, { channel: parsed.channel, threadTs: parsed.ts, user }, 'Diagnose TLS error');
  }

  /** Diagnoses pasted text (a mention, a shortcut, a suggestion's button). */
  async diagnose(text: string, target: ReplyTarget, request: string): Promise<void> {
    const sub = SUBCOMMANDS.find((s) => s.verb === 'diagnose')!;
    const parsed = parseCommand(`diagnose ${text}`);
    if (parsed.kind !== 'run') {
      await this.reply(target).whisper(renderUsage('There is no text to diagnose in that message.'));
      return;
    }
    await this.run(sub, parsed.input, target, request);
  }
}

export const SUGGEST_ACTION = 'crdb_tls_suggest';

/** The request as shown on a confirmation: the verb and its flags, never pasted material. */
function cleanRequest(sub: Subcommand, request: string): string {
  const firstLine = request.split('\n')[0] ?? '';
  const withoutPem = firstLine.replace(/-----BEGIN[\s\S]*$/, '').trim();
  return sub.mode === 'text' ? sub.verb : withoutPem.length > 200 ? `${withoutPem.slice(0, 199)}…` : withoutPem;
}
