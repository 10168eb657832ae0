/**
 * `crdb-tls confirm <id>` and `crdb-tls confirm --list`: a person approves, in their own terminal,
 * a gated call an MCP client could not ask them about (DESIGN.md §3). It shows the impact and asks
 * on the terminal; only a typed "yes" approves, "no" declines, anything else leaves it waiting.
 *
 * What this can and cannot tell apart (README, security model): it refuses without a terminal,
 * so an assistant's plain shell tool (pipes, no TTY) cannot approve, and it refuses when the
 * terminal descends from the server that asked or from the program that started it (an agent
 * running commands in its own child shells, `script` included). An assistant that can run
 * arbitrary commands as this OS user can still get around both (a detached pseudo-terminal whose
 * parent is init, another terminal program): against such an assistant the real control is
 * CRDB_TLS_MCP_CONFIRM=slack, or no shell tool for it.
 */
import os from 'node:os';
import readline from 'node:readline';
import { Command } from 'commander';
import type { Runtime } from '../core/runtime.js';
import { approvalProblem, approve, decline, terminalProblem } from '../gate/approval.js';
import { confirmationRef } from '../gate/gate.js';
import type { PendingConfirmation } from '../store/types.js';
import { startedBy } from './ancestry.js';
import { EXIT_FAILED, EXIT_OK } from './invoke.js';

/** A string from outside (a client's name, an impact naming paths) printed without terminal control characters. */
const printable = (text: string) => text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');

function describe(c: PendingConfirmation): string {
  const a = c.assessment;
  return [
    `${c.tool} (severity ${a.severity}), asked by ${c.requester} over ${c.binding.face}, valid until ${c.expires_at}`,
    `  Impact:   ${a.impact}`,
    `  Changes:  ${a.changes.join('\n            ')}`,
    `  Rollback: ${a.rollback}`,
    `  Audit:    ${confirmationRef(c.id)}`,
  ].map(printable).join('\n');
}

function ask(question: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    let answered = false;
    rl.on('close', () => {
      if (!answered) resolve(undefined);
    });
    rl.on('SIGINT', () => rl.close());
    rl.question(question, (answer) => {
      answered = true;
      resolve(answer);
      rl.close();
    });
  });
}

const say = (text: string) => void process.stderr.write(`${text}\n`);
const me = () => ({ os_user: os.userInfo().username, host: os.hostname() });

async function list(runtime: Runtime): Promise<number> {
  const now = new Date();
  const open = await runtime.runner.store.openConfirmations(now);
  const here = open.filter((c) => !approvalProblem(c, 'terminal', now) && !terminalProblem(c, me()));
  const elsewhere = open.length - here.length;
  if (here.length === 0) process.stdout.write('No confirmation is waiting for a person in this terminal.\n');
  for (const c of here) process.stdout.write(`${c.id}\n  ${describe(c).replace(/\n/g, '\n  ')}\n`);
  if (elsewhere > 0) process.stdout.write(`(${elsewhere} more waiting elsewhere: in Slack, approved already, or for another OS user or host.)\n`);
  return EXIT_OK;
}

async function confirmOne(runtime: Runtime, id: string): Promise<number> {
  const store = runtime.runner.store;
  const now = new Date();
  const c = await store.getConfirmation(id.trim());
  const problem = approvalProblem(c, 'terminal', now) ?? terminalProblem(c!, me());
  if (problem) {
    say(`crdb-tls: not approved: ${problem}.`);
    return EXIT_FAILED;
  }
  const confirmation = c!;
  // Pipes are what a program (an assistant's shell tool) has; a person has a terminal.
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    say('crdb-tls: not approved: crdb-tls confirm asks a person on a terminal, and stdin/stderr is not one. Run it in your own terminal window (not through the assistant), or approve in Slack.');
    return EXIT_FAILED;
  }
  const spawner = startedBy(confirmation.binding.origin);
  if (spawner) {
    say(`crdb-tls: not approved: this terminal was started by ${printable(spawner.comm)} (pid ${spawner.pid}), the program that runs the MCP server that asked — an assistant's own shell. Approve it from a terminal you opened yourself.`);
    return EXIT_FAILED;
  }
  say(describe(confirmation));
  const answer = (await ask('Type yes to approve, no to decline: '))?.trim().toLowerCase();
  const by = me().os_user;
  const detail = { tty: process.stdin.isTTY === true, host: me().host };
  if (answer === 'yes') {
    if (!(await approve(store, confirmation, { channel: 'terminal', by, at: new Date().toISOString() }, new Date(), detail))) {
      say('crdb-tls: not approved: it was settled meanwhile (approved, declined, used or expired).');
      return EXIT_FAILED;
    }
    say(`Approved. The assistant's next ${confirmation.tool} call with this id runs it once (until ${confirmation.expires_at}); tell it to go ahead.`);
    return EXIT_OK;
  }
  if (answer === 'no') {
    await decline(store, confirmation, by, 'terminal', detail);
    say('Declined: the call will not run.');
    return EXIT_FAILED;
  }
  say('Nothing approved; the request still waits (answer yes or no).');
  return EXIT_FAILED;
}

export function confirmCommand(cliRuntime: () => Promise<Runtime>, setExit: (code: number) => void): Command {
  return new Command('confirm')
    .description('approve, as a person at this terminal, a change an assistant asked for over MCP (shows the impact, asks yes/no)')
    .argument('[id]', 'the confirmation id the assistant showed you (cf_…)')
    .option('--list', 'list the confirmations waiting for a person in this terminal')
    .addHelpText('after', '\nOnly a typed "yes" on a terminal approves; then the assistant\'s next call with the id runs the change once.\nWithout a terminal (a pipe, an assistant\'s shell tool) it refuses.')
    .action(async (id: string | undefined, options: { list?: boolean }) => {
      if (options.list) return setExit(await list(await cliRuntime()));
      if (!id) {
        say('crdb-tls: confirm needs an id (cf_…), or --list to see what is waiting (see --help)');
        return setExit(2);
      }
      setExit(await confirmOne(await cliRuntime(), id));
    });
}
