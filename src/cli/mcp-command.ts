import { Command } from 'commander';
import { lazyCatalog as catalog } from '../../tools/lazy-catalog.js';
import type { Logger } from '../core/log.js';
import { ToolError } from '../core/errors.js';
import { httpSettingsFromEnv } from '../core/http-settings.js';
import { listenFailure } from '../core/listen-error.js';
import { withoutUnfilledPlaceholders } from '../mcp/bundle-env.js';
import { writeErr } from './terminal.js';

interface McpOptions {
  http?: string;
  allowRemote?: boolean;
  stateless?: boolean;
}

/**
 * `crdb-tls mcp`: the catalog over stdio (what an IDE or the MCP Bundle spawns), or with
 * `--http HOST:PORT` over Streamable HTTP at http://HOST:PORT/mcp behind a bearer token. Both
 * protocol eras (2025 handshake clients, 2026-07-28 stateless clients) on either transport.
 */
export function mcpCommand(log: Logger, version: string): Command {
  return new Command('mcp')
    .description('serve the tool catalog to an MCP client over stdio (stdout is the protocol; logs go to stderr), or over Streamable HTTP with --http')
    .option('--http <host:port>', 'serve MCP over Streamable HTTP at http://HOST:PORT/mcp; needs CRDB_TLS_HTTP_TOKEN (at least 32 characters); port 0 picks a free port')
    .option('--allow-remote', 'let --http bind an address other than loopback')
    .option('--stateless', 'with --http: hold nothing between requests (no 2025 sessions), so several replicas can share one store; needs CRDB_TLS_MCP_STATE_KEY and, for more than one replica, CRDB_TLS_DATABASE_URL')
    .action(async (options: McpOptions) => {
      const env = withoutUnfilledPlaceholders(process.env);
      const [{ confirmationStateCodec, stateKeyFromEnv }, { createRuntime }] = await Promise.all([import('../mcp/state-codec.js'), import('../core/runtime.js')]);
      if (options.http === undefined) {
        if (options.stateless) throw new ToolError('invalid_input', '--stateless applies to --http only', 'Add --http HOST:PORT, or drop --stateless (stdio holds one connection anyway).');
        const stateCodec = confirmationStateCodec(stateKeyFromEnv(env, false));
        const { serveStdio } = await import('../mcp/stdio.js');
        await serveStdio({ catalog, runtime: await createRuntime('mcp', env, log), version, stateCodec });
        return;
      }
      const { startHttpServer } = await import('../mcp/http.js');
      const { sessionLimitsFromEnv } = await import('../mcp/legacy-sessions.js');
      // Settings first: a bad token, key or address must stop the server before it opens the store.
      const settings = httpSettingsFromEnv(env, options.http, Boolean(options.allowRemote));
      const stateless = Boolean(options.stateless);
      const stateCodec = confirmationStateCodec(stateKeyFromEnv(env, stateless));
      const sessionLimits = sessionLimitsFromEnv(env);
      const runtime = await createRuntime('mcp-http', env, log);
      const handle = await startHttpServer({ catalog, runtime, version, stateCodec, stateless, sessionLimits, ...settings }).catch(async (error: unknown) => {
        await runtime.close();
        throw listenFailure(error, settings.host, settings.port, '--http HOST:PORT') ?? error;
      });
      writeErr(`crdb-tls: MCP over Streamable HTTP at ${handle.url} ${stateless ? '— stateless' : '— with sessions for 2025 clients'} (requests are made as "${settings.tokenLabel}"${settings.extraTokens.length ? ` or ${settings.extraTokens.map((t) => `"${t.label}"`).join(', ')}` : ''})\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await handle.close();
      await runtime.close();
    });
}
