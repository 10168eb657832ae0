// Two real MCP clients for the bundled `crdb-tls mcp`, one per protocol era: the 1.x SDK client
// (2025 `initialize` handshake, answers elicitation/create) and the v2 client pinned to 2026-07-28
// (stateless, fulfils input_required through the same elicitation handler and retries). Both
// over stdio (a child process each) or Streamable HTTP (one server process, --stateless or not).
import { spawn, type ChildProcess } from 'node:child_process';
import { Client as ModernClient } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdio } from '@modelcontextprotocol/client/stdio';
import { StreamableHTTPClientTransport as ModernHttp } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as LegacyStdio } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { CLI_BUNDLE } from './cli.js';

export type Era = 'legacy' | 'modern';
export const MODERN_REVISION = '2026-07-28';

export interface ElicitAnswer {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
}
export interface ElicitSeen {
  message: string;
  requestedSchema: unknown;
}
export interface ProgressSeen {
  progress: number;
  total?: number;
  message?: string;
}
export interface CallOutcome {
  isError: boolean;
  text: string;
  structured: Record<string, unknown> | undefined;
}

export interface EraClient {
  era: Era;
  /** Every form the server asked this client to show, in order. */
  elicitations: ElicitSeen[];
  /** What the person answers to the next forms (default: decline). */
  answer: ElicitAnswer;
  listTools(): Promise<Array<{ name: string; inputSchema: unknown; outputSchema?: unknown; annotations?: Record<string, unknown> }>>;
  call(name: string, args: Record<string, unknown>, options?: { signal?: AbortSignal; onprogress?: (p: ProgressSeen) => void }): Promise<CallOutcome>;
  /** The protocol revision the connection speaks. */
  protocolVersion(): string | undefined;
  close(): Promise<void>;
}

export type Target = { kind: 'stdio'; env: Record<string, string>; cwd: string } | { kind: 'http'; url: string; token: string };

const toOutcome = (raw: unknown): CallOutcome => {
  const result = raw as { isError?: unknown; content?: unknown; structuredContent?: unknown };
  return {
  isError: result.isError === true,
  text: ((result.content ?? []) as Array<{ type: string; text?: string }>).filter((c) => c.type === 'text').map((c) => c.text).join('\n'),
  structured: result.structuredContent as Record<string, unknown> | undefined,
  };
};

export async function connectClient(era: Era, target: Target, name = `${era}-era-test`): Promise<EraClient> {
  const elicitations: ElicitSeen[] = [];
  const self = { answer: { action: 'decline' } as ElicitAnswer };
  const answer = (params: { message: string; requestedSchema?: unknown }) => {
    elicitations.push({ message: params.message, requestedSchema: params.requestedSchema });
    return self.answer;
  };
  const headers: Record<string, string> = target.kind === 'http' ? { Authorization: `Bearer ${target.token}` } : {};
  if (era === 'legacy') {
    const client = new LegacyClient({ name, version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
    client.setRequestHandler(ElicitRequestSchema, async (request) => answer(request.params as { message: string; requestedSchema?: unknown }) as never);
    const transport =
      target.kind === 'stdio'
        ? new LegacyStdio({ command: process.execPath, args: [CLI_BUNDLE, 'mcp'], cwd: target.cwd, env: target.env, stderr: 'ignore' })
        : new LegacyHttp(new URL(target.url), { requestInit: { headers } });
    await client.connect(transport);
    return Object.assign(self, {
      era,
      elicitations,
      listTools: async () => (await client.listTools()).tools as Awaited<ReturnType<EraClient['listTools']>>,
      call: async (toolName: string, args: Record<string, unknown>, options: { signal?: AbortSignal; onprogress?: (p: ProgressSeen) => void } = {}) =>
        toOutcome(await client.callTool({ name: toolName, arguments: args }, undefined, { ...(options.signal ? { signal: options.signal } : {}), ...(options.onprogress ? { onprogress: options.onprogress } : {}), timeout: 120_000 })),
      protocolVersion: () => (transport as { protocolVersion?: string }).protocolVersion ?? '2025-era',
      close: () => client.close(),
    });
  }
  const client = new ModernClient({ name, version: '1.0.0' }, { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: MODERN_REVISION } } });
  client.setRequestHandler('elicitation/create', async (request) => answer(request.params as { message: string; requestedSchema?: unknown }) as never);
  const transport =
    target.kind === 'stdio'
      ? new ModernStdio({ command: process.execPath, args: [CLI_BUNDLE, 'mcp'], cwd: target.cwd, env: target.env, stderr: 'ignore' })
      : new ModernHttp(new URL(target.url), { requestInit: { headers } });
  await client.connect(transport);
  return Object.assign(self, {
    era,
    elicitations,
    listTools: async () => (await client.listTools()).tools as Awaited<ReturnType<EraClient['listTools']>>,
    call: async (toolName: string, args: Record<string, unknown>, options: { signal?: AbortSignal; onprogress?: (p: ProgressSeen) => void } = {}) =>
      toOutcome(await client.callTool({ name: toolName, arguments: args }, { ...(options.signal ? { signal: options.signal } : {}), ...(options.onprogress ? { onprogress: options.onprogress } : {}), timeout: 120_000 })),
    protocolVersion: () => client.getNegotiatedProtocolVersion?.(),
    close: () => client.close(),
  });
}

export interface HttpServerProcess {
  url: string;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** `crdb-tls mcp --http 127.0.0.1:0 [...extra]`, resolved once it prints its URL. */
export function startHttpServerProcess(env: Record<string, string>, cwd: string, extra: string[] = []): Promise<HttpServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BUNDLE, 'mcp', '--http', '127.0.0.1:0', ...extra], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`no URL within 15 s; stderr: ${stderr}`)), 15_000);
    child.once('exit', (code) => reject(new Error(`crdb-tls mcp --http exited ${code}; stderr: ${stderr}`)));
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const found = /MCP over Streamable HTTP at (http:\/\/\S+)/.exec(stderr);
      if (found) {
        clearTimeout(timer);
        resolve({
          url: found[1]!,
          child,
          stderr: () => stderr,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
  });
}
