import * as z from 'zod';
import { Cause, DiagnosisCode, FixStep } from '../diagnose/index.js';

/** What test_connection reports (the schema every face shows) and its text for a person. */

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export const SslMode = z.enum(SSL_MODES);
export type SslMode = z.infer<typeof SslMode>;

export const LoginReport = z.object({
  ok: z.boolean(),
  code: DiagnosisCode.nullable().describe('The diagnosis of the failure; null on success'),
  summary: z.string(),
  server_version: z.string().nullable().describe('SELECT version()'),
  current_user: z.string().nullable(),
  tls: z.object({ protocol: z.string(), cipher: z.string() }).nullable().describe('null when the session is not encrypted'),
  settings: z.object({
    redacted: z.string().describe('The settings used, as a libpq URL, password replaced by ****'),
    host: z.string(),
    port: z.number().int(),
    user: z.string(),
    database: z.string(),
    sslmode: SslMode,
    server_verification: z.enum(['none', 'chain', 'chain_and_host']),
    ca: z.string().nullable(),
    cert: z.string().nullable(),
    key: z.string().nullable(),
    has_password: z.boolean(),
    notes: z.array(z.string()).describe('Where the settings mean something a person may not expect'),
  }),
  error: z.object({
    message: z.string().describe('The error as the driver (or, for unreadable files, libpq) words it'),
    driver_code: z.string().nullable().describe('Node error code or SQLSTATE'),
    origin: z.enum(['driver', 'settings']),
  }).nullable(),
  diagnosis: z.object({
    code: DiagnosisCode,
    title: z.string(),
    confidence: z.number(),
    explanation: z.string(),
    evidence: z.array(z.string()),
    causes: z.array(Cause),
    fix_steps: z.array(FixStep),
    alternatives: z.array(z.object({ code: DiagnosisCode, confidence: z.number() })),
  }).nullable(),
  warnings: z.array(z.string()),
  elapsed_ms: z.number(),
});
export type LoginReport = z.infer<typeof LoginReport>;

export function renderLogin(report: LoginReport): string {
  const lines = [report.ok ? `OK  ${report.summary}` : `FAILED  ${report.summary}`];
  lines.push(`settings: ${report.settings.redacted}`);
  for (const note of report.settings.notes) lines.push(`  note: ${note}`);
  for (const warning of report.warnings) lines.push(`  warning: ${warning}`);
  if (report.tls) lines.push(`TLS: ${report.tls.protocol}, ${report.tls.cipher}`);
  if (report.error) {
    lines.push('', `error (${report.error.origin === 'driver' ? 'node-postgres' : 'settings'}):`, ...report.error.message.split('\n').map((l) => `  ${l}`));
  }
  if (report.diagnosis) {
    const d = report.diagnosis;
    lines.push('', `diagnosis: ${d.code} (${Math.round(d.confidence * 100)}%) — ${d.title}`, `  ${d.explanation}`, '', 'how to fix:');
    for (const s of d.fix_steps) {
      lines.push(`  ${s.step}. ${s.action}`);
      if (s.command) lines.push(`     $ ${s.command}`);
    }
  }
  lines.push('', `time: ${report.elapsed_ms} ms`);
  return lines.join('\n');
}
