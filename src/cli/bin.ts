import packageJson from '../../package.json' with { type: 'json' };
import { endQuietlyOnBrokenPipe } from './terminal.js';

endQuietlyOnBrokenPipe();
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  // What commander would print, without loading it or anything else: the bundle loads the rest of
  // the CLI (and each tool) only when a command needs it (scripts/build.mjs splits it).
  process.stdout.write(`${packageJson.version}\n`);
} else {
  // A plain `crdb-tls cert list ...` is answered without the full CLI; the lane declines the rest
  // (list-lane.ts). A plain `crdb-tls diagnose ...` is the installed command's to answer before it
  // gets here (launcher.ts): here, diagnose is the full CLI's.
  const answered = argv[0] === 'cert' && argv[1] === 'list' ? await (await import('./list-lane.js')).listLane(argv.slice(2)) : undefined;
  if (answered === undefined) await runCli(argv);
  else process.exitCode = answered;
}

async function runCli(args: string[]): Promise<void> {
  // `crdb-tls mcp` as an IDE spawns it: its opening is answered before the SDK loads (mcp-stdio-start.ts).
  if (args.length === 1 && args[0] === 'mcp') await (await import('./mcp-stdio-start.js')).answerOpening();
  const [{ main }, { signalOfExitCode }, { logsWritten }] = await Promise.all([import('./main.js'), import('./invoke.js'), import('../core/log.js')]);
  const code = await main(args);
  const stoppedBy = signalOfExitCode(code);
  if (stoppedBy) {
    // The answer is written and the audit trail synced. End the way an interrupted Unix program does,
    // by the signal itself: the shell sees it, and the process does not wait for work the call
    // abandoned (exit would join a native key generation still running on libuv's thread pool).
    // Lines logged while pino was still loading are written first (src/core/log.ts).
    await logsWritten();
    process.removeAllListeners(stoppedBy);
    process.kill(process.pid, stoppedBy);
  }
  process.exitCode = code;
}
