import {
  certsDirWord,
  connectionStringTool,
  hostOf,
  opensslProbe,
  portOf,
  probeTool,
  testConnectionTool,
  userWord,
  type FixContext,
  type Guide,
  type NextTool,
} from './context.js';
import { sh } from '../../core/shell.js';

/** ALTER USER ... WITH PASSWORD, the password asked for on the terminal (never in shell history). */
function alterPassword(ctx: FixContext): string {
  const user = userWord(ctx);
  const name = typeof user === 'string' ? user : '$SQL_USER';
  const check = typeof user === 'string' ? '' : ': "${SQL_USER:?the SQL user}"; ';
  return `${check}read -rs -p 'New password: ' NEW_PASSWORD && echo && cockroach sql -e "ALTER USER ${name} WITH PASSWORD '$NEW_PASSWORD'"`;
}

/** Not-TLS faults, changefeed sinks, and what to collect when nothing was recognised. */

export const passwordAuthFailed: Guide = {
  confirm: () => 'the TLS handshake succeeds (the server answered at the SQL level) and the message is "password authentication failed"',
  explanation: (ctx) =>
    `Not a TLS fault: TLS worked, then SQL authentication refused the password of ${ctx.facts.users[0] ? `"${ctx.facts.users[0].user}"` : 'the user'} (wrong password, user missing, or the password was mangled in a URL). With CockroachDB's default cert-password rule a client WITHOUT a certificate is asked for a password instead.`,
  causes: () => [
    { cause: 'Wrong password, or the user does not exist.', likelihood: 'high', confirm: 'As an admin: SHOW USERS;', command: 'cockroach sql -e "SHOW USERS;"' },
    { cause: 'Special characters in the password are not percent-encoded in the URL (@ : / ? # %).', likelihood: 'medium', confirm: 'The password has such characters and is inside a postgresql:// URL.' },
    { cause: 'The intent was certificate login, but no client certificate was sent, so the server fell back to password.', likelihood: 'medium', confirm: 'The settings have no sslcert/sslkey.' },
  ],
  fixes: (ctx) => [
    { action: 'Reset the password as an admin (or check the user exists): cockroach sql asks for the new password without echoing it.', command: alterPassword(ctx) },
    { action: 'Percent-encode the password inside URLs (encodeURIComponent / urllib.parse.quote), or pass it separately (PGPASSWORD).' },
  ],
  nextTools: (ctx) => [testConnectionTool(ctx)],
};

export const changefeedSinkTls: Guide = {
  confirm: () => 'the error comes from a changefeed job (SHOW CHANGEFEED JOBS / the job error) and names a sink parameter or a TLS error towards the sink',
  explanation: () =>
    "A changefeed cannot talk TLS to its Kafka / webhook / schema-registry sink. In the sink URI, ca_cert, client_cert and client_key are base64 (standard alphabet, padded, ONE line) of the PEM file, and every value must then be URL-encoded. Kafka's ca_cert REPLACES the system roots and a value that is not PEM is silently ignored, which later shows as \"x509: certificate signed by unknown authority\"; webhook and schema-registry ca_cert add to the system roots and fail loudly.",
  causes: () => [
    { cause: 'Line-wrapped base64 (GNU base64 wraps at 76 columns without -w 0) or base64 of DER instead of PEM.', likelihood: 'high', confirm: 'Decode the parameter and look at it: it must start with -----BEGIN.', command: 'printf %s "$CA_CERT_PARAM" | base64 -d | head -1' },
    { cause: 'ca_cert is not the CA that signed the BROKER\'s certificate (e.g. the cluster CA was used).', likelihood: 'medium', confirm: 'openssl s_client -showcerts against the broker shows its issuer.', command: 'openssl s_client -connect "${BROKER:?the Kafka broker host:port}" -showcerts </dev/null' },
    { cause: 'A missing companion parameter: tls_enabled=true for Kafka, client_cert without client_key, an encrypted client_key.', likelihood: 'medium', confirm: 'The error names the parameter.' },
    { cause: 'Unencoded reserved characters (+ & # %) in other values such as sasl_password.', likelihood: 'low', confirm: 'Those characters appear raw in the URI.' },
  ],
  fixes: () => [
    { action: 'Encode each PEM file as one line of standard base64 (macOS: base64 -i ca.crt).', command: 'base64 -w 0 ca.crt' },
    { action: 'URL-encode every parameter value before putting it into the URI (encodeURIComponent / url.QueryEscape).', command: `python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read().strip(), safe=""))' < <(base64 -w 0 ca.crt)` },
    { action: 'Kafka: add tls_enabled=true; give client_cert and client_key together, the key as unencrypted PEM (openssl pkey -in enc.key -out key.pem).', snippet: { label: 'sink URI shape', language: 'text', text: "kafka://broker:9093?tls_enabled=true&ca_cert=<urlencoded base64 PEM>&client_cert=<...>&client_key=<...>" } },
    { action: 'Or let crdb-tls build the URI from the files (checked first) and explain an existing one: name the broker\'s CA, and for mutual TLS the client certificate and key, in place of the three file names.', command: 'crdb-tls changefeed-uri encode --sink kafka://"${BROKER:?the Kafka broker host:port}" --ca broker-ca.crt --cert client.crt --key client.key' },
  ],
  nextTools: (): NextTool[] => [
    { tool: 'decode_changefeed_uri', arguments: { uri: '<the sink URI>' }, reason: 'shows which parameter is wrong and why' },
    { tool: 'encode_changefeed_uri', arguments: { sink: 'kafka://<broker>:9093', ca: '<broker-ca.crt>', cert: '<client.crt>', key: '<client.key>' }, reason: 'builds a correctly encoded sink URI from the files' },
  ],
};

export const unknownGuide: Guide = {
  confirm: () => 'nothing in the text matched a known TLS or connection error',
  explanation: (ctx) =>
    `No known TLS, certificate or connection error was found in the text${ctx.client ? ` (it looks like ${ctx.client} output)` : ''}. Rather than guess, here is what to collect so the cause can be named.`,
  causes: () => [
    { cause: 'The decisive line is not in the paste (a Java "Caused by:" further down, the innermost wrapped Go error, the server-side log line).', likelihood: 'high', confirm: 'Paste the whole error, from its first line to the last "Caused by".' },
    { cause: 'The failure is not about TLS (SQL error, DNS, permissions of a table).', likelihood: 'medium', confirm: 'Does the same client connect with psql / the probe below?' },
  ],
  fixes: (ctx) => [
    { action: 'Paste the COMPLETE error: all "Caused by:" lines of a Java trace, the whole wrapped Go error, the error object with its code (e.g. SELF_SIGNED_CERT_IN_CHAIN).' },
    { action: 'Say which client and version printed it (--client psql|node-pg|jdbc|...), and give the connection settings with the password removed (--connection-string).' },
    { action: 'Look at what the server presents: certificate chain, names, dates, protocol.', command: opensslProbe(ctx, ' -showcerts') },
    { action: "Collect the node's log lines at the same moment: a rejected handshake is logged there with its reason.", command: "grep -iE 'tls|ssl|handshake|certificate|auth' cockroach-data/logs/cockroach.log | tail -30" },
    { action: 'List the certificates with their problems (expiry, permissions, usages).', command: sh`crdb-tls cert list --certs-dir ${certsDirWord(ctx)}` },
  ],
  nextTools: (ctx) => [
    probeTool(ctx, `see the server's TLS side of ${hostOf(ctx)}:${portOf(ctx)}`, false),
    connectionStringTool(ctx, 'compare your settings with correct verify-full ones'),
  ],
};
