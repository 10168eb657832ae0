import { Command } from 'commander';
import { catalog } from '../../tools/catalog.js';
import type { Logger } from '../core/log.js';
import { httpSettingsFromEnv } from '../core/http-settings.js';
import { listenFailure } from '../core/listen-error.js';
import { createRuntime } from '../core/runtime.js';
import { withoutUnfilledPlaceholders } from '../mcp/bundle-env.js';
import { writeErr } from './terminal.js';

interface McpOptions {
  http?: string;
  allowRemote?: boolean;
}

/**
 * `crdb-tls mcp`: the catalog over stdio (what an IDE or the MCP Bundle spawns), or with
 * `--http HOST:PORT` over Streamable HTTP at http://HOST:PORT/mcp behind a bearer token.
 */
export function mcpCommand(log: Logger, version: string): Command {
  return new Command('mcp')
    .description('serve the tool catalog to an MCP client over stdio (stdout is the protocol; logs go to stderr), or over Streamable HTTP with --http')
    .option('--http <host:port>', 'serve MCP over Streamable HTTP at http://HOST:PORT/mcp; needs CRDB_TLS_HTTP_TOKEN (at least 32 characters); port 0 picks a free port')
    .option('--allow-remote', 'let --http bind an address other than loopback')
    .action(async (options: McpOptions) => {
      const env = withoutUnfilledPlaceholders(process.env);
      if (options.http === undefined) {
        const { serveStdio } = await import('../mcp/stdio.js');
        await serveStdio({ catalog, runtime: await createRuntime('mcp', env, log), version });
        return;
      }
      const { startHttpServer } = await import('../mcp/http.js');
      // Settings first: a bad token or address must stop the server before it opens the store.
      const settings = httpSettingsFromEnv(env, options.http, Boolean(options.allowRemote));
      const runtime = await createRuntime('mcp', env, log);
      let handle;
      try {
        handle = await startHttpServer({ catalog, runtime, version, ...settings });
      } catch (error) {
        await runtime.close();
        throw listenFailure(error, settings.host, settings.port, '--http HOST:PORT') ?? error;
      }
      writeErr(`crdb-tls: MCP over Streamable HTTP at ${handle.url} (requests are made as "${settings.tokenLabel}")\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await handle.close();
      await runtime.close();
    });
}
