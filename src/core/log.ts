import type { Logger as PinoLogger, LogFn } from 'pino';

/** What the faces and the runtime log through: pino's calls (a pino logger is one). */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

/** pino's levels (pino.levels.values), and `silent`. */
const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
type Method = 'debug' | 'info' | 'warn' | 'error';

/** Settles once every line logged so far is written (see createLogger). */
let written: Promise<void> = Promise.resolve();

/** Waits until every line logged so far is on stderr: call it before a process ends itself by a signal. */
export function logsWritten(): Promise<void> {
  return written;
}

/**
 * Logs go to stderr, always: on stdio, stdout belongs to MCP. Level from CRDB_TLS_LOG_LEVEL.
 * Private keys and passwords never reach a log line: the redaction paths below cover the fields
 * where a caller might put them.
 *
 * pino (with its worker and stream modules, ~150 kB of the bundle) loads on the first line at an
 * enabled level, not at start: most runs (the default level is warn) never log. The lines logged
 * while it loads are written, in order and with the time they were logged, once it has loaded;
 * nothing is dropped unless the process is killed first. A call below the level costs one comparison.
 */
export function createLogger(level = process.env.CRDB_TLS_LOG_LEVEL ?? 'warn'): Logger {
  const threshold = LEVELS[level];
  // What pino itself says of a level it does not know, at the same moment (start-up).
  if (threshold === undefined) throw new Error(`unknown level ${level}`);
  let root: PinoLogger | undefined;
  /** The time of the line being replayed; pino's default is Date.now() when the line is written. */
  let loggedAt: number | undefined;
  const pending: Array<() => void> = [];
  let loading: Promise<void> | undefined;
  const load = () =>
    (loading ??= written = import('pino').then(({ default: pino }) => {
      // The default export: the bundle's pino chunk (CommonJS inside) exports only that.
      root = pino(
        {
          level,
          base: { app: 'crdb-tls' },
          redact: { paths: ['*.key', '*.private_key', '*.password', '*.p12_password', 'input.*.key'], censor: '[redacted]' },
          timestamp: () => `,"time":${loggedAt ?? Date.now()}`,
        },
        pino.destination({ fd: 2, sync: true }),
      );
      for (const line of pending.splice(0)) {
        try {
          line();
        } catch (error) {
          // A line that pino cannot write must not take the process down from a later tick.
          process.stderr.write(`crdb-tls: a log line could not be written: ${(error as Error).message}\n`);
        }
      }
    }));

  /** A logger whose pino counterpart is made when first needed: the root, or a child of its parent's. */
  const deferred = (real: () => PinoLogger): Logger => {
    let made: PinoLogger | undefined;
    const target = () => (made ??= real());
    const method =
      (name: Method): LogFn =>
      (...args: unknown[]) => {
        if (LEVELS[name]! < threshold) return;
        const write = () => (target()[name] as (...a: unknown[]) => void)(...args);
        if (root) return write();
        const at = Date.now();
        pending.push(() => {
          loggedAt = at;
          try {
            write();
          } finally {
            loggedAt = undefined;
          }
        });
        void load();
      };
    return {
      debug: method('debug'),
      info: method('info'),
      warn: method('warn'),
      error: method('error'),
      child: (bindings) => deferred(() => target().child(bindings)),
    };
  };
  return deferred(() => root!);
}
