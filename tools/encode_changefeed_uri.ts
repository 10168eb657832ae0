import * as z from 'zod';
import { EncodedChangefeedUri, encodeChangefeedUri } from '../src/changefeed/encode.js';
import { redactSinkUri } from '../src/changefeed/redact.js';
import { renderEncoded } from '../src/changefeed/report-text.js';
import { fileSystemError } from '../src/core/errors.js';
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
    'with an error it builds nothing and says how to fix it. The URI holds the private key, so only a redacted form (client_key=<redacted>) is returned unless reveal is true. ' +
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
    reveal: z.boolean().default(false).describe('Also return the full URI and statement, which hold the private key or password; without it only redacted forms are returned'),
  }),
  output: EncodedChangefeedUri,
  run: async (input, ctx) => {
    const readFile = async (userPath: string, what: string) => {
      const file = ctx.paths.resolve(userPath, what);
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
    ctx.log.debug({ tool: 'encode_changefeed_uri', sink: result.uri_redacted ?? redactSinkUri(input.sink), encoded: result.encoded, problems: result.problems.map((p) => p.code) }, 'changefeed sink URI built');
    return result;
  },
  summary: renderEncoded,
});
