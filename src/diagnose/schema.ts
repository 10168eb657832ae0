import * as z from 'zod';
import { ClientId, ConnectionAnalysis, Deployment, Snippet } from '../connection/schemas.js';
import { MAX_CONNECTION_STRING_LENGTH } from '../connection/pasted-settings.js';
import { DIAGNOSIS_CODES } from './codes.js';

/**
 * diagnose_error's input and output: the public shape every face shows (DESIGN.md §2). The
 * diagnosis code itself imports only the types of these (`import type`), so that it runs without
 * zod: `crdb-tls diagnose` loads neither (src/cli/diagnose-lane.ts).
 */

export { MAX_ERROR_TEXT_BYTES } from './limits.js';

export const DiagnosisCode = z.enum(DIAGNOSIS_CODES);
export type DiagnosisCode = z.infer<typeof DiagnosisCode>;

export const Facts = z.object({
  hosts: z.array(z.object({ host: z.string(), port: z.number().int().nullable() })).describe('Hosts the client dialled, as the text names them'),
  files: z.array(z.object({ path: z.string(), role: z.enum(['ca', 'client', 'unknown']) })).describe('Certificate and key files the text names'),
  users: z.array(z.object({ user: z.string(), role: z.enum(['requested', 'certificate']) })),
  certificate_names: z.array(z.string()).describe('Names the server certificate is valid for, when the text lists them'),
  sqlstate: z.string().nullable(),
  routing_id: z.string().nullable(),
});
export type Facts = z.infer<typeof Facts>;

export const FixStep = z.object({
  step: z.number().int().min(1),
  action: z.string(),
  command: z.string().optional().describe('A shell command to run, exactly'),
  snippet: Snippet.optional().describe('Configuration or code to use, for the detected or given client'),
});
export type FixStep = z.infer<typeof FixStep>;

export const Cause = z.object({
  rank: z.number().int().min(1),
  cause: z.string(),
  likelihood: z.enum(['high', 'medium', 'low']),
  confirm: z.string().describe('How to check whether this is the cause'),
  command: z.string().optional(),
});
export type Cause = z.infer<typeof Cause>;

export const NextTool = z.object({
  tool: z.string().describe('Tool name in this catalog (some, like probe_server, come with later releases)'),
  arguments: z.record(z.string(), z.union([z.string(), z.number(), z.array(z.string())])),
  reason: z.string(),
});
export type NextTool = z.infer<typeof NextTool>;

export const DiagnoseInput = z.object({
  error_text: z.string().min(1).describe('The error exactly as the client printed it: one line, a stack trace, a JSON-dumped error object, log lines. Up to 1 MiB.'),
  client: ClientId.optional().describe('The client that printed it, when known; otherwise it is detected from the text'),
  connection_string: z.string().max(MAX_CONNECTION_STRING_LENGTH).optional().describe('The connection settings used (URL, key=value or .NET form); passwords are never echoed'),
  deployment: Deployment.optional().describe('cloud (CockroachDB Cloud) or self-hosted, when known'),
});
export type DiagnoseInput = z.infer<typeof DiagnoseInput>;

const Alternative = z.object({
  code: DiagnosisCode,
  title: z.string(),
  confidence: z.number().min(0).max(1),
  evidence: z.array(z.string()),
  tell_apart: z.string().describe('What to check to tell this code from the primary one'),
});

/** A text printed word for word for several causes: the answer names every one of them. */
const SameTextAnswer = z.object({
  codes: z.array(DiagnosisCode).min(2).describe('Every cause this text is printed for, `code` (the most likely) first'),
  text: z.string().describe('The phrase of the input that is printed for all of them'),
  tell_apart: z.string().describe('The one check that tells them apart'),
  source: z.string().describe('Where the text is printed: repository and file of the client or server'),
});
export type SameTextAnswer = z.infer<typeof SameTextAnswer>;

const ClientDetectionSchema = z.object({
  id: ClientId.nullable(),
  family: z.string().nullable(),
  source: z.enum(['given', 'text', 'connection_string', 'none']),
  evidence: z.array(z.string()),
  note: z.string().optional(),
});

export const Diagnosis = z.object({
  code: DiagnosisCode,
  title: z.string(),
  confidence: z.number().min(0).max(1).describe('Share of the evidence that points at this code; ~0.9 for one decisive phrase, lower when other codes fit too, 0 for unknown'),
  explanation: z.string(),
  evidence: z.array(z.string()).describe('The phrases of the input (as written there) that decided it'),
  causes: z.array(Cause).describe('Ranked; each says how to confirm it'),
  fix_steps: z.array(FixStep).describe('Numbered, with the exact command or settings for the client'),
  alternatives: z.array(Alternative).describe('Other codes that also fit, ranked'),
  same_text: SameTextAnswer.nullable().describe('Set when the decisive text is printed alike for several causes and nothing else in the input tells them apart: all of them, and how to tell them apart'),
  next_tools: z.array(NextTool),
  client: ClientDetectionSchema,
  deployment: z.enum(['cloud', 'self-hosted', 'unknown']),
  facts: Facts,
  connection: ConnectionAnalysis.nullable().describe('The connection string, parsed and redacted, with what its settings mean for this client'),
  input: z.object({
    bytes: z.number().int(),
    characters_scanned: z.number().int(),
    unescaped_sequences: z.number().int().describe('JSON / backslash escapes decoded before matching'),
  }),
});
export type Diagnosis = z.infer<typeof Diagnosis>;
