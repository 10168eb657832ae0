// The bundled `crdb-tls mcp` as a child process behind a real MCP SDK client over stdio, keeping
// everything an assistant could see (each answer's text, structured content and progress) and
// everything the server printed on stderr, for tests that check what must never appear there.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { CLI_BUNDLE } from './cli.js';

export interface McpAnswer {
  isError: boolean;
  text: string;
  structured: Record<string, unknown> | undefined;
  progress: Progress[];
}

export interface McpSession {
  call(name: string, args: Record<string, unknown>): Promise<McpAnswer>;
  /** Every answer so far, as text: texts, structured contents and progress messages. */
  seen(): string;
  stderr(): string;
  close(): Promise<void>;
}

/** The environment of this process without the variables that change crdb-tls's behaviour, plus `extra`. */
export function mcpEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('COCKROACH_') && !key.startsWith('CRDB_TLS_')) env[key] = value;
  return { ...env, ...extra };
}

export async function startMcpSession(env: Record<string, string>, cwd: string): Promise<McpSession> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI_BUNDLE, 'mcp'], cwd, env, stderr: 'pipe' });
  const chunks: Buffer[] = [];
  transport.stderr?.on('data', (chunk: Buffer | string) => chunks.push(Buffer.from(chunk)));
  const client = new Client({ name: 'crdb-tls-test', version: '1.0.0' });
  await client.connect(transport);
  await client.listTools(); // caches every outputSchema: structured content is validated from now on
  const seen: string[] = [];
  return {
    async call(name, args) {
      const progress: Progress[] = [];
      const result = await client.callTool({ name, arguments: args }, undefined, { onprogress: (p) => progress.push(p), timeout: 120_000 });
      const content = (result.content ?? []) as Array<{ type: string; text?: string }>;
      const answer: McpAnswer = {
        isError: result.isError === true,
        text: content.filter((c) => c.type === 'text').map((c) => c.text ?? '').join('\n'),
        structured: result.structuredContent as Record<string, unknown> | undefined,
        progress,
      };
      seen.push(answer.text, JSON.stringify(answer.structured ?? null), JSON.stringify(progress));
      return answer;
    },
    seen: () => seen.join('\n'),
    stderr: () => Buffer.concat(chunks).toString('utf8'),
    close: () => client.close(),
  };
}
