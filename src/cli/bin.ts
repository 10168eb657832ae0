import { main } from './main.js';
import { signalOfExitCode } from './invoke.js';
import { endQuietlyOnBrokenPipe } from './terminal.js';

endQuietlyOnBrokenPipe();
const code = await main(process.argv.slice(2));
const stoppedBy = signalOfExitCode(code);
if (stoppedBy) {
  // The answer is written and the audit trail synced. End the way an interrupted Unix program does,
  // by the signal itself: the shell sees it, and the process does not wait for work the call
  // abandoned (exit would join a native key generation still running on libuv's thread pool).
  process.removeAllListeners(stoppedBy);
  process.kill(process.pid, stoppedBy);
}
process.exitCode = code;
