import * as z from 'zod';
import { DecodedChangefeedUri, decodeChangefeedUri } from '../src/changefeed/decode.js';
import { renderDecoded } from '../src/changefeed/report-text.js';
import { MAX_PASTED_TEXT } from '../src/core/read-file.js';
import { defineTool } from '../src/core/tool.js';

// Effects 'none': it reads only the text it is given (no files, no network).
export default defineTool({
  name: 'decode_changefeed_uri',
  title: 'Explain a changefeed sink URI and find its TLS mistakes',
  description:
    'Explains a CockroachDB changefeed sink URI (kafka://, webhook-https://, with the confluent_schema_registry URL when a whole statement is given) exactly as CockroachDB ' +
    'reads it: scheme, parameters, every embedded certificate (subject, issuer, expiry, SHA-256 fingerprint), the key type and whether it matches the certificate, and ' +
    'every mistake with the diagnosis code changefeed_sink_tls, what CockroachDB reports for it and the fix: line-wrapped base64, DER instead of PEM, a raw + or & or # ' +
    'left unencoded (in base64 or in sasl_password), URL-safe or unpadded base64, encrypted or mismatched key, a CA Kafka silently ignores, SASL combinations and unknown ' +
    'parameters CockroachDB refuses. Use it when a changefeed fails with "param ca_cert must be base 64 encoded", "client has run out of available brokers" or an x509 error. ' +
    'Secrets (client_key, passwords) are never returned. ' +
    'Example: { "uri": "CREATE CHANGEFEED FOR TABLE orders INTO \'kafka://broker:9093?tls_enabled=true&ca_cert=LS0tLS1CRUdJTi...\' WITH updated" }',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  effects: 'none',
  input: z.object({
    uri: z.string().min(1).max(MAX_PASTED_TEXT).describe('A sink URI, or a whole CREATE CHANGEFEED / CREATE EXTERNAL CONNECTION statement'),
  }),
  output: DecodedChangefeedUri,
  run: async ({ uri }, ctx) => {
    const result = decodeChangefeedUri(uri);
    ctx.log.debug({ tool: 'decode_changefeed_uri', sink: result.sink.uri_redacted, ok: result.ok, problems: result.problems.map((p) => p.code) }, 'changefeed sink URI decoded');
    return result;
  },
  summary: renderDecoded,
});
