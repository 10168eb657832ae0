import { Command } from 'commander';
import type { CheckStatus, ConfigReport, FaceName } from '../core/config-check-report.js';
import type { ToolDefinition } from '../core/tool.js';
import { EXIT_OK, EXIT_USAGE } from './invoke.js';
import { writeJson, writeOut } from './terminal.js';

const MARK: Record<CheckStatus, string> = { ok: 'ok     ', default: 'default', warning: 'WARNING', invalid: 'INVALID' };
const FACE_TITLE: Record<FaceName, string> = { cli: 'CLI', mcp_stdio: 'MCP over stdio', mcp_http: 'MCP over Streamable HTTP', slack: 'Slack' };

function renderConfigReport(report: ConfigReport): string {
  const width = Math.max(...report.variables.map((v) => v.name.length));
  const lines = ['Configuration (environment):'];
  for (const v of report.variables) {
    lines.push(`  ${MARK[v.status]}  ${v.name.padEnd(width)}  ${v.shown}${v.message ? `  — ${v.message}` : ''}`);
  }
  lines.push('', 'What each face would do:');
  for (const face of report.faces) {
    lines.push(`  ${FACE_TITLE[face.face]}: ${face.would_start ? 'would start' : 'would NOT start'}`);
    for (const line of face.lines) lines.push(`    - ${line}`);
  }
  const invalid = report.variables.filter((v) => v.status === 'invalid').map((v) => v.name);
  lines.push('', report.valid ? 'The configuration is valid.' : `The configuration is NOT valid: fix ${invalid.join(', ')}.`);
  return lines.join('\n');
}

/**
 * `crdb-tls config check [--json]`: validates every variable of DESIGN.md §6 and says what each
 * face would do with them. Exit 0 when valid, 2 when not. Secrets show as "set (N chars)".
 */
export function configCommand(catalog: Array<Pick<ToolDefinition, 'name' | 'effects'>>, setExit: (code: number) => void): Command {
  const config = new Command('config').description('inspect the configuration (environment variables)');
  config
    .command('check')
    .description('validate the configuration and show what each face (CLI, MCP stdio/HTTP, Slack) would do with it; exit 2 when invalid')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const { checkConfig } = await import('../core/config-check.js');
      const report = checkConfig(process.env, catalog);
      if (options.json) writeJson(report);
      else writeOut(renderConfigReport(report) + '\n');
      setExit(report.valid ? EXIT_OK : EXIT_USAGE);
    });
  return config;
}
