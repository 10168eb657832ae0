import { defineTool } from '../src/core/tool.js';
import { diagnose, DiagnoseInput, Diagnosis, renderDiagnosis } from '../src/diagnose/index.js';

export default defineTool({
  name: 'diagnose_error',
  title: 'Diagnose a TLS / connection error',
  description:
    'Reads an error exactly as a client printed it — a psql line, a Java PKIX stack trace, a TypeORM/node-postgres error object, a wrapped Go error, ' +
    'a log line — and answers with one diagnosis code, what it means, the evidence, ranked causes (each with how to confirm it), numbered fix steps ' +
    'with the exact settings for the client (detected from the text or given), other codes that also fit, and the tools to run next. ' +
    'Use it first when a connection to CockroachDB fails. Add connection_string (passwords are never echoed) and client for sharper steps. ' +
    'Text over 1 MiB is refused with input_too_large: paste the error lines, not the whole log. ' +
    'Example: { "error_text": "x509: certificate signed by unknown authority", "client": "go-pgx" }',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  effects: 'none',
  input: DiagnoseInput,
  output: Diagnosis,
  // The commands it prints honour COCKROACH_CERTS_DIR / COCKROACH_CA_KEY where crdb-tls runs.
  run: async (input, ctx) => diagnose(input, { certsDir: ctx.config.defaultCertsDir ?? null, caKey: ctx.config.defaultCaKey ?? null }),
  summary: (output) => renderDiagnosis(output),
});
