import { Command, InvalidArgumentError } from 'commander';
import type { Logger } from '../core/log.js';
import { writeErr } from './terminal.js';

const port = (value: string) => {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('expected a port number (0-65535; 0 picks a free one).');
  return Number(value);
};

/**
 * `crdb-tls slack`: the Slack app (src/slack). Socket Mode when SLACK_APP_TOKEN is set, otherwise
 * the HTTP receiver on --port. Bolt loads only here, never for the other verbs. Runs until SIGINT
 * or SIGTERM; start-up problems (a missing token, a bad policy) are one line and exit 2.
 */
export function slackCommand(log: Logger): Command {
  return new Command('slack')
    .description('serve the Slack app (Socket Mode with SLACK_APP_TOKEN, else HTTP on --port); configuration in slack/README.md')
    .option('--port <port>', 'HTTP receiver port (0 picks a free one)', port, 3000)
    .option('--host <address>', 'HTTP receiver address (0.0.0.0 behind a proxy or in a container)', '127.0.0.1')
    .addHelpText('after', '\nEnvironment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode), SLACK_API_URL,\nCRDB_TLS_SLACK_CONFIRMERS, CRDB_TLS_FOUR_EYES, CRDB_TLS_SLACK_ISSUERS, CRDB_TLS_SLACK_CA_KEY, CRDB_TLS_SLACK_CERTS_DIR,\nCRDB_TLS_SLACK_WATCH_CHANNELS, CRDB_TLS_SLACK_DIGEST_CHANNEL, CRDB_TLS_SLACK_DIGEST_SCHEDULE, ... (see slack/README.md).')
    .action(async (options: { port: number; host: string }) => {
      const { createRuntime } = await import('../core/runtime.js');
      const runtime = await createRuntime('slack', process.env, log);
      let running;
      try {
        // Every tool loads before the app listens, so that no slash command's acknowledgement
        // waits behind the loading of a tool's code (Slack's limit is 3 s; the bench measures it).
        const [{ startSlackApp }, { catalog }] = await Promise.all([import('../slack/app.js'), import('../../tools/catalog.js')]);
        running = await startSlackApp({ runtime, catalog, env: process.env, port: options.port, host: options.host });
      } catch (error) {
        await runtime.close();
        throw error;
      }
      for (const warning of running.warnings) writeErr(`crdb-tls: warning: ${warning}\n`);
      writeErr(running.mode === 'http' ? `crdb-tls: Slack app listening on ${running.url}\n` : 'crdb-tls: Slack app connected in Socket Mode\n');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await running.stop();
      await runtime.close();
    });
}
