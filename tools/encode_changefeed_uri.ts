import * as z from 'zod';
import { EncodedChangefeedUri, encodeChangefeedUri } from '../src/changefeed/encode.js';
import { redactSinkUri } from '../src/changefeed/redact.js';
import { renderEncoded } from '../src/changefeed/report-text.js';
import path from 'node:path';
import { defaultRevealDirectory, revealFileName, sha256Hex, writeRevealedFile } from '../src/changefeed/reveal.js';
import { ToolError, fileSystemError } from '../src/core/errors.js';
import { MAX_PASTED_TEXT, readBoundedFile } from '../src/core/read-file.js';
import { defineTool } from '../src/core/tool.js';

const material = (what: string) => z.string().min(1).max(MAX_PASTED_TEXT).optional().describe(`${what}: PEM text or a file path (PEM or DER; DER is converted to PEM)`);

// Effects 'reads-files', not 'none': the certificate and key inputs may be file paths, read
// (inside CRDB_TLS_ROOTS) like inspect_certificate reads them. Nothing is written or sent.
export default defineTool({
  name: 'encode_changefeed_uri',
  title: 'Build a changefeed sink URI with TLS certificates',
  description:
    'Builds a CockroachDB changefeed sink URI for Kafka (kafka://host:port, tls_enabled=true) or a webhook (https://host/path, written webhook-https://) with the CA, ' +
    'client certificate and key embedded exactly as CockroachDB decodes them (standard base64 of the whole PEM, one line, every value percent-encoded), plus the ' +
    'schema registry URL with its own TLS parameters and, given tables, the whole CREATE CHANGEFEED statement. Checks everything first: key matches certificate, ' +
    'key not encrypted, PEM (DER is converted), expiry, client certificate against the same CA, SASL parameter combinations CockroachDB refuses, unknown parameters; ' +
    'with an error it builds nothing and says how to fix it; a CA\'s key (certificate CA:TRUE) is refused as client_key. The URI holds the private key, so only a redacted form (client_key=<redacted>) is returned. ' +
    'With reveal: true the full URI (or the statement, given tables) is written to a new 0600 file — reveal_to, or next to the key — and its path and SHA-256 are returned; ' +
    'the private key itself is never returned to an assistant or a Slack channel (only the command line prints it, to the person\'s own terminal). Read-only mode refuses reveal. ' +
    'Example: { "sink": "kafka://broker.example.com:9093", "ca": "certs/kafka-ca.crt", "cert": "certs/cdc.crt", "key": "certs/cdc.key", ' +
    '"params": { "topic_prefix": "crdb_" }, "tables": ["orders"], "options": { "updated": "", "resolved": "10s" } }',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  effects: 'reads-files',
  input: z.object({
    sink: z.string().min(1).max(8192).describe('Sink URL: kafka://host:port (brokers comma-separated), or https://host/path or webhook-https://host/path for a webhook; may carry query parameters'),
    ca: material('CA certificate that signed the broker or endpoint certificate (ca_cert)'),
    cert: material('Client certificate for mutual TLS (client_cert)'),
    key: material('Unencrypted private key of the client certificate (client_key): PKCS#1, PKCS#8 or SEC1'),
    params: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional()
      .describe('Other sink query parameters, given raw (they are percent-encoded), e.g. { "topic_name": "orders", "sasl_enabled": "true", "sasl_mechanism": "SCRAM-SHA-512", "sasl_user": "cdc", "sasl_password": "p+ss&w#rd" }'),
    schema_registry: z.string().min(1).max(8192).optional().describe('Confluent schema registry URL (https://host:8081), put in WITH confluent_schema_registry'),
    registry_ca: material('CA certificate of the schema registry'),
    registry_cert: material('Client certificate for the schema registry'),
    registry_key: material('Private key of the schema registry client certificate'),
    tables: z.array(z.string().min(1)).optional().describe('Tables to watch (orders, app.public.orders, "My Table"); given, the CREATE CHANGEFEED statement is built'),
    options: z.record(z.string(), z.string()).optional().describe('WITH options, e.g. { "updated": "", "resolved": "10s" }; an empty value is an option without a value'),
    reveal: z.boolean().default(false).describe('Write the full URI / statement, which hold the private key or password, to a 0600 file and return its path (the command line prints it instead); without it only redacted forms exist'),
    reveal_to: z.string().min(1).max(4096).optional().describe('With reveal: the new file to write (inside the allowed directories; an existing file is never replaced). Default: changefeed-<sha256>.sql (or .uri) next to the key file'),
  }),
  output: EncodedChangefeedUri,
  run: async (input, ctx) => {
    if (input.reveal_to !== undefined && !input.reveal) throw new ToolError('invalid_input', 'reveal_to was given without reveal', 'Add reveal: true (--reveal), or leave reveal_to out.');
    if (input.reveal && ctx.config.readOnly) {
      throw new ToolError('refused', 'reveal is refused in read-only mode (CRDB_TLS_READ_ONLY): it writes the private key into a file', 'Run without reveal for the redacted URI and the checks, or unset CRDB_TLS_READ_ONLY.');
    }
    // The files read, by what they are, for the default place of a revealed file.
    const readPaths = new Map<string, string>();
    const readFile = async (userPath: string, what: string) => {
      const file = ctx.paths.resolve(userPath, what);
      readPaths.set(what, file);
      try {
        return await readBoundedFile(file, what);
      } catch (error) {
        throw fileSystemError(error, file, 'read');
      }
    };
    const result = await encodeChangefeedUri({
      sink: input.sink, ca: input.ca, cert: input.cert, key: input.key, params: input.params,
      schemaRegistry: input.schema_registry, registryCa: input.registry_ca, registryCert: input.registry_cert, registryKey: input.registry_key,
      tables: input.tables, options: input.options, reveal: input.reveal,
    }, readFile);
    // Only the person's own terminal gets the key in the result; the face is the process's, not an input.
    if (result.revealed && (ctx.config.face !== 'cli' || input.reveal_to !== undefined)) {
      const holds = result.statement !== undefined ? 'statement' as const : 'uri' as const;
      const text = (holds === 'statement' ? result.statement : result.uri)!;
      delete result.uri;
      delete result.statement;
      let target: string;
      if (input.reveal_to !== undefined) {
        target = ctx.paths.resolve(input.reveal_to, 'reveal_to');
      } else {
        const dir = defaultRevealDirectory(['client key', 'registry client key', 'client certificate', 'registry client certificate', 'CA certificate', 'registry CA certificate'].map((what) => readPaths.get(what)));
        if (dir === undefined) throw new ToolError('invalid_input', 'reveal needs a file to write the full URI to, and no key or certificate file was named to put it next to', 'Give reveal_to: the path of a new file inside the allowed directories.');
        target = ctx.paths.resolve(path.join(dir, revealFileName(holds, sha256Hex(`${text}\n`))), 'reveal_to');
      }
      result.revealed_to = await writeRevealedFile(target, text, holds);
    }
    // Every reveal is audited (the runner writes one `revealed` event): where it went, never what.
    if (result.revealed) {
      const sink = result.uri_redacted ?? redactSinkUri(input.sink);
      ctx.markReveal?.(result.revealed_to ? `${sink} -> file ${result.revealed_to.path} (sha256 ${result.revealed_to.sha256})` : `${sink} -> printed on the command line's stdout`);
    }
    ctx.log.debug({ tool: 'encode_changefeed_uri', sink: result.uri_redacted ?? redactSinkUri(input.sink), encoded: result.encoded, problems: result.problems.map((p) => p.code), revealed_to: result.revealed_to }, 'changefeed sink URI built');
    return result;
  },
  summary: renderEncoded,
});
