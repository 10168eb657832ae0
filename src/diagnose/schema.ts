import * as z from 'zod';
import { ClientId } from '../connection/clients.js';
import { Deployment, DiagnosisCode } from './codes.js';
import { ConnectionAnalysis, MAX_CONNECTION_STRING_LENGTH } from '../connection/pasted-settings.js';
import { Facts } from './extract.js';
import { Cause, FixStep, NextTool } from './fixes/context.js';

/** diagnose_error's input and output: the public shape every face shows (DESIGN.md §2). */

/** 1 MiB, as inspect_certificate: larger input is refused with input_too_large, unprocessed. */
export const MAX_ERROR_TEXT_BYTES = 1_048_576;

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
