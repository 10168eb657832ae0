import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/**
 * Logs go to stderr, always: on stdio, stdout belongs to MCP. Level from CRDB_TLS_LOG_LEVEL.
 * Private keys and passwords never reach a log line: the redaction paths below cover the fields
 * where a caller might put them.
 */
export function createLogger(level = process.env.CRDB_TLS_LOG_LEVEL ?? 'warn'): Logger {
  return pino(
    {
      level,
      base: { app: 'crdb-tls' },
      redact: { paths: ['*.key', '*.private_key', '*.password', '*.p12_password', 'input.*.key'], censor: '[redacted]' },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
