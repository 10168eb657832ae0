import { PassThrough, Writable, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { loadConfig } from '../core/config.js';
import { policyFromEnv } from '../gate/policy.js';
import { withoutUnfilledPlaceholders } from '../mcp/bundle-env.js';
import { initializeResponse, isInitializedNotification, preparedInitialize, preparedToolsList, toolsListResponse, type PreparedHandshake } from '../mcp/handshake.js';
import { PREPARED_HANDSHAKE } from '../mcp/prepared-handshake.js';
import { continueConnection } from '../mcp/stdio-connection.js';

/** Longer than any opening message a client sends; past it the SDK takes over (and applies its own limits). */
const MAX_OPENING_BYTES = 1024 * 1024;

/**
 * `crdb-tls mcp` over stdio, before anything heavy loads: answers a 2025 client's `initialize` and
 * first `tools/list` from the handshake the build prepared (src/mcp/handshake.ts), then hands the
 * connection to the SDK with every byte it read, so that the SDK serves it from its first message
 * and only its answers to the two already given are left out. Resolves at the hand-over: at the
 * first message it does not answer, at the end of stdin, or at once when it cannot answer at all
 * (a build without the prepared handshake, a configuration error for the full start to report).
 */
export function answerOpening(prepared: PreparedHandshake | undefined = PREPARED_HANDSHAKE, stdin: Readable = process.stdin, stdout: Writable = process.stdout): Promise<void> {
  if (!prepared) return Promise.resolve();
  let readOnly: boolean;
  try {
    const env = withoutUnfilledPlaceholders(process.env);
    loadConfig('mcp', env);
    readOnly = policyFromEnv(env).readOnly;
  } catch {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const read: Buffer[] = [];
    let readBytes = 0;
    let pending = '';
    // A character split across two reads is decoded whole.
    const decoder = new StringDecoder('utf8');
    let ended = false;
    let phase: 'initialize' | 'tools/list' = 'initialize';
    let apps = false;
    const answered: Array<string | number> = [];

    let input: PassThrough | undefined;
    // The SDK listens on the stream it is given, not on stdin: a failing stdin ends that stream
    // (as its close would) instead of going unheard, or crashing the process before the SDK is there.
    stdin.on('error', (error) => {
      process.stderr.write(`crdb-tls: MCP over stdio: reading stdin failed (${error.message}); the connection ends\n`);
      if (!input) onEnd();
      else if (!input.writableEnded) input.end();
    });

    const handOver = () => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      input = new PassThrough();
      for (const chunk of read) input.write(chunk);
      if (ended) input.end();
      else stdin.pipe(input);
      continueConnection({ stdin: input, stdout: withoutRepeatedAnswers(answered, stdout) });
      resolve();
    };
    const onLine = (line: string): 'more' | 'hand over' => {
      if (line.trim() === '') return 'more';
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        return 'hand over';
      }
      if (phase === 'initialize') {
        const opening = preparedInitialize(message, prepared);
        if (!opening) return 'hand over';
        stdout.write(initializeResponse(prepared, opening.id, opening.version));
        answered.push(opening.id);
        apps = opening.apps;
        phase = 'tools/list';
        return 'more';
      }
      if (isInitializedNotification(message)) return 'more';
      const id = preparedToolsList(message);
      if (id === undefined || answered.includes(id)) return 'hand over';
      stdout.write(toolsListResponse(prepared, id, { readOnly, apps }));
      answered.push(id);
      return 'hand over';
    };
    const onData = (chunk: Buffer) => {
      read.push(chunk);
      readBytes += chunk.length;
      pending += decoder.write(chunk);
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (onLine(line) === 'hand over') return handOver();
        newline = pending.indexOf('\n');
      }
      if (readBytes > MAX_OPENING_BYTES) handOver();
    };
    const onEnd = () => {
      ended = true;
      handOver();
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
  });
}

/**
 * Stdout for the SDK: its answers to the requests answered here (it reads them too, and answers
 * them alike) are left out, the first answer for each id; everything else is written as it comes.
 */
function withoutRepeatedAnswers(answered: Array<string | number>, stdout: Writable): Writable {
  const left = [...answered];
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (left.length > 0) {
        // The SDK's stdio transport writes one message per write (serializeMessage: JSON and a newline).
        const id = idOf(chunk.toString('utf8'));
        const at = id === undefined ? -1 : left.indexOf(id);
        if (at !== -1) {
          left.splice(at, 1);
          callback();
          return;
        }
      }
      if (stdout.write(chunk)) callback();
      else stdout.once('drain', () => callback());
    },
  });
}

function idOf(line: string): string | number | undefined {
  try {
    const message = JSON.parse(line) as { id?: unknown; method?: unknown };
    // A response has an id and no method.
    return message.method === undefined && (typeof message.id === 'string' || typeof message.id === 'number') ? message.id : undefined;
  } catch {
    return undefined;
  }
}
