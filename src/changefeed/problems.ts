import * as z from 'zod';

/** diagnosis-codes.md: the one code for a changefeed that cannot reach its sink over TLS. */
export const CHANGEFEED_DIAGNOSIS = 'changefeed_sink_tls';

export const SinkProblem = z.object({
  code: z.string().describe('What is wrong, stable: line_wrapped_base64, der_instead_of_pem, unencoded_plus, key_mismatch, ...'),
  level: z.enum(['error', 'warning', 'info']).describe('error: CockroachDB refuses the URI or the TLS handshake fails; warning: works but risky; info: worth knowing'),
  where: z.enum(['sink', 'schema_registry', 'statement']),
  param: z.string().optional().describe('The query parameter concerned'),
  message: z.string(),
  fix: z.string(),
  cockroach_error: z.string().optional().describe('What CockroachDB reports for it (wording varies a little between versions)'),
  diagnosis_code: z.literal(CHANGEFEED_DIAGNOSIS),
});
export type SinkProblem = z.infer<typeof SinkProblem>;

export type Where = SinkProblem['where'];

export function problem(fields: Omit<SinkProblem, 'diagnosis_code'>): SinkProblem {
  return { ...fields, diagnosis_code: CHANGEFEED_DIAGNOSIS };
}

export const hasErrors = (problems: SinkProblem[]) => problems.some((p) => p.level === 'error');
