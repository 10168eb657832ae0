// The diagnosis engine on the shapes people really paste: the same fault printed by different
// clients, wrapped in log prefixes, JSON, Go error chains and Java traces; the client-specific
// fix steps; honest ambiguity; unknown text; the 1 MiB limit; passwords never echoed.
// Texts come from shared/reference (cockroach-tls.md §6, toolchain.md §3), section named inline.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ToolError } from '../../src/core/errors.js';
import { diagnose } from '../../src/diagnose/engine.js';
import { fixStepsFor, guidanceFor } from '../../src/diagnose/fixes/index.js';
import { Diagnosis, MAX_ERROR_TEXT_BYTES, type DiagnoseInput } from '../../src/diagnose/schema.js';

const run = (input: DiagnoseInput) => Diagnosis.parse(diagnose(input));
const everything = (d: Diagnosis) => JSON.stringify(d);
const stepText = (d: Pick<Diagnosis, 'fix_steps'>) => d.fix_steps.map((s) => `${s.action}\n${s.command ?? ''}\n${s.snippet?.text ?? ''}`).join('\n');

// cockroach-tls.md §6.1, §6.2, §6.3, §6.4 and toolchain.md §3: one fault, four wordings.
const UNTRUSTED_CA_WORDINGS = {
  'node-pg': "Error: self-signed certificate in certificate chain\n  code: 'SELF_SIGNED_CERT_IN_CHAIN'",
  'go': 'x509: certificate signed by unknown authority',
  'jdbc': 'org.postgresql.util.PSQLException: SSL error: sun.security.validator.ValidatorException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target',
  'python': 'ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain (_ssl.c:1006)',
};

describe('the same fault printed by different clients gets the same code', () => {
  for (const [who, text] of Object.entries(UNTRUSTED_CA_WORDINGS)) {
    test(`an untrusted server CA as ${who} prints it is untrusted_server_ca`, () => {
      const d = run({ error_text: text });
      assert.equal(d.code, 'untrusted_server_ca');
      assert.ok(d.confidence >= 0.85, `confidence ${d.confidence}`);
    });
  }

  test('psql\'s "certificate verify failed" is untrusted_server_ca too, but honestly ambiguous with an expired server certificate (toolchain §3)', () => {
    const d = run({ error_text: 'psql: error: connection to server at "db.internal" (10.0.0.4), port 26257 failed: SSL error: certificate verify failed' });
    assert.equal(d.code, 'untrusted_server_ca');
    assert.ok(d.confidence < 0.7, `a message psql prints for two faults got confidence ${d.confidence}`);
    const expired = d.alternatives.find((a) => a.code === 'server_cert_expired');
    assert.ok(expired, 'server_cert_expired must be offered');
    assert.match(expired.tell_apart, /enddate|notAfter/);
    assert.ok(d.causes.some((c) => c.cause.includes('server_cert_expired')), 'the causes name the alternative and how to check it');
  });
});

describe('wrappings people paste around the error', () => {
  const core = 'x509: certificate is valid for node1.internal, localhost, not db.example.com';

  test('a Kubernetes log line with timestamps and a JSON logger envelope', () => {
    const line = `2026-11-27T10:15:02.123456789Z stderr F {"level":"error","ts":1764238502.1,"caller":"db/pool.go:88","msg":"connect failed","error":"failed to connect to \`host=db.example.com user=app database=app\`: failed to write startup message (${core})"}`;
    const d = run({ error_text: line });
    assert.equal(d.code, 'hostname_mismatch');
    assert.deepEqual(d.facts.hosts.map((h) => h.host), ['db.example.com']);
    assert.ok(d.facts.certificate_names.includes('node1.internal'));
    assert.equal(d.client.id, 'go-pgx');
  });

  test('a Go error wrapped four times', () => {
    const wrapped = `main: startup: open store: ping database: failed to connect to \`host=db.example.com user=app database=app\`: failed to write startup message (${core})`;
    assert.equal(run({ error_text: wrapped }).code, 'hostname_mismatch');
  });

  test('a TypeORM error object dumped as JSON (escaped quotes and newlines) is unescaped before matching', () => {
    const dumped = JSON.stringify(JSON.stringify({
      name: 'QueryFailedError',
      message: 'Hostname/IP does not match certificate\'s altnames: Host: db.example.com. is not in the cert\'s altnames: DNS:node1.internal',
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      stack: 'Error: Hostname/IP does not match\n    at /app/node_modules/typeorm/driver/cockroachdb/CockroachDriver.js:1:1',
    }));
    const d = run({ error_text: dumped });
    assert.equal(d.code, 'hostname_mismatch');
    assert.equal(d.client.id, 'typeorm');
    assert.ok(d.input.unescaped_sequences > 0);
    assert.deepEqual(d.facts.hosts.map((h) => h.host), ['db.example.com']);
  });

  test('a 60-line Java stack trace decides on its "Caused by" line', () => {
    const frames = Array.from({ length: 55 }, (_, i) => `\tat com.example.app.Layer${i}.call(Layer${i}.java:${10 + i})`).join('\n');
    const trace = `org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection\n${frames}\nCaused by: org.postgresql.util.PSQLException: Could not read SSL key file /etc/app/client.app.key.\n\tat org.postgresql.ssl.LazyKeyManager.getPrivateKey(LazyKeyManager.java:250)\nCaused by: java.io.IOException: extra data given to DerValue constructor\n\t... 62 more`;
    const d = run({ error_text: trace });
    assert.equal(d.code, 'client_key_format');
    assert.equal(d.client.id, 'jdbc');
    assert.match(stepText(d), /openssl pkcs8 -topk8 -inform PEM -outform DER -in \/etc\/app\/client\.app\.key -out \/etc\/app\/client\.app\.key\.pk8 -nocrypt/);
  });

  test('ANSI colours, CRLF and typographic quotes do not hide the phrase', () => {
    const d = run({ error_text: '\u001b[31mERROR\u001b[0m: node is running secure mode, SSL connection required\r\n(SQLSTATE 08P01)\r\n' });
    assert.equal(d.code, 'server_requires_tls');
    const quoted = run({ error_text: 'server certificate for \u201cnode1\u201d does not match host name \u201cdb.example.com\u201d' });
    assert.equal(quoted.code, 'hostname_mismatch');
    assert.deepEqual(quoted.facts.hosts.map((h) => h.host), ['db.example.com']);
  });
});

describe('fix steps carry the exact setting for the client', () => {
  const untrusted = "Error: self-signed certificate in certificate chain\n  code: 'SELF_SIGNED_CERT_IN_CHAIN'";

  test('node-pg: an ssl object with ca read from the file, and the connectionString trap when its ssl* parameters replace it', () => {
    const d = run({ error_text: untrusted, connection_string: 'postgresql://app@db.example.com:26257/app?sslmode=verify-full' });
    const steps = stepText(d);
    assert.match(steps, /ssl: \{\n\s+ca: fs\.readFileSync\(/);
    assert.match(steps, /Remove sslmode from the connection string/);
    assert.ok(d.causes[0]!.cause.includes('REPLACE'), `first cause: ${d.causes[0]!.cause}`);
    assert.equal(d.next_tools[0]!.tool, 'probe_server');
    assert.deepEqual(d.next_tools[0]!.arguments, { host: 'db.example.com', port: 26257, ca: 'certs/ca.crt' });
  });

  test('psql / libpq: sslmode=verify-full and sslrootcert in the URI', () => {
    const d = run({ error_text: 'psql: error: connection to server at "db.example.com" (10.0.0.4), port 26257 failed: SSL error: certificate verify failed' });
    assert.match(stepText(d), /psql "postgresql:\/\/<user>@db\.example\.com:26257\/defaultdb\?sslmode=verify-full&sslrootcert=certs\/ca\.crt"/);
  });

  test('Go: sslrootcert in the pgx URL', () => {
    assert.match(stepText(run({ error_text: 'x509: certificate signed by unknown authority', client: 'go-pgx' })), /pgx\.Connect\(ctx, "postgresql:\/\/.*sslmode=verify-full&sslrootcert=certs\/ca\.crt"\)/);
  });

  test('JDBC: sslmode=verify-full with a PKCS#8 DER key from --also-generate-pkcs8-key', () => {
    const steps = stepText(run({ error_text: 'FATAL: connection requires a valid client certificate', client: 'jdbc', connection_string: 'jdbc:postgresql://db.example.com:26257/app?user=app&sslmode=verify-full&sslrootcert=/certs/ca.crt' }));
    assert.match(steps, /crdb-tls cert create-client app .*--also-generate-pkcs8-key/);
    assert.match(steps, /jdbc:postgresql:\/\/db\.example\.com:26257\/app\?sslmode=verify-full&sslrootcert=\/certs\/ca\.crt&sslcert=\/certs\/client\.app\.crt&sslkey=\/certs\/client\.app\.key\.pk8/);
  });

  test('Prisma: the CA goes in sslcert with sslaccept=strict', () => {
    assert.match(stepText(run({ error_text: 'Error opening a TLS connection: error:1416F086:SSL routines:tls_process_server_certificate:certificate verify failed (self signed certificate in certificate chain)' })), /sslaccept=strict&sslcert=certs\/ca\.crt/);
  });

  test('Cloud routing: options=--cluster%3D<routing-id> for the detected client, with the id from the error', () => {
    const d = run({ error_text: "psycopg2.OperationalError: FATAL: invalid cluster identifier 'lazy-roach-3x'", connection_string: 'host=free-tier.gcp-us-central1.cockroachlabs.cloud port=26257 user=app sslmode=verify-full' });
    assert.equal(d.code, 'cluster_routing');
    assert.equal(d.deployment, 'cloud');
    assert.equal(d.facts.routing_id, 'lazy-roach-3x');
    assert.match(stepText(d), /options='?--cluster=lazy-roach-3x/);
  });

  test('a server log line blames the OTHER side: "tlsv1 alert unknown ca" in a PostgreSQL log is the client distrusting the server (toolchain §3)', () => {
    assert.equal(run({ error_text: 'psql: error: SSL error: tlsv1 alert unknown ca' }).code, 'client_cert_untrusted');
    assert.equal(run({ error_text: '2026-11-27 10:00:01 UTC [812] LOG:  could not accept SSL connection: tlsv1 alert unknown ca' }).code, 'untrusted_server_ca');
  });

  test('fixStepsFor gives a probe failure the same steps diagnose_error gives', () => {
    const d = run({ error_text: untrusted, client: 'node-pg', connection_string: 'postgresql://app@db.example.com:26257/app' });
    const direct = fixStepsFor('untrusted_server_ca', 'node-pg', { host: 'db.example.com', port: 26257, user: 'app', database: 'app', deployment: null });
    assert.deepEqual(direct, d.fix_steps);
    const guidance = guidanceFor('hostname_mismatch', 'psql', { host: 'db.example.com' });
    assert.ok(guidance.fix_steps.length > 0 && guidance.causes.length > 0 && guidance.explanation.length > 50);
  });
});

describe('the host the client dialled, for next_tools', () => {
  test('from Go, Node and JDBC connection errors, port included', () => {
    const cases: Array<[string, { host: string; port: number | null }]> = [
      ['dial tcp 10.0.0.9:26257: connect: connection refused', { host: '10.0.0.9', port: 26257 }],
      ['dial tcp [fd00::7]:26257: i/o timeout', { host: 'fd00::7', port: 26257 }],
      ['Error: connect ECONNREFUSED 127.0.0.1:26257', { host: '127.0.0.1', port: 26257 }],
      ['org.postgresql.util.PSQLException: Connection to db.example.com:26257 refused. Check that the hostname and port are correct', { host: 'db.example.com', port: 26257 }],
    ];
    for (const [text, host] of cases) {
      const d = run({ error_text: text });
      assert.deepEqual(d.facts.hosts[0], host, text);
      assert.equal(d.code, 'connection_dropped', text);
      assert.deepEqual(d.next_tools.find((t) => t.tool === 'probe_server')?.arguments, { host: host.host, port: host.port ?? 26257 }, text);
    }
  });

  test('the connection string wins over the text, and without either the probe says the host is missing', () => {
    const d = run({ error_text: 'dial tcp 10.0.0.9:26257: connect: connection refused', connection_string: 'postgresql://app@db.example.com:26000/app' });
    assert.deepEqual(d.next_tools.find((t) => t.tool === 'probe_server')?.arguments, { host: 'db.example.com', port: 26000 });
    const none = run({ error_text: 'read: connection reset by peer' });
    assert.match(none.next_tools.find((t) => t.tool === 'probe_server')!.reason, /fill it in/);
  });
});

describe('unknown, never a confident wrong answer', () => {
  test('text with no TLS or connection fault is unknown, with what to collect next', () => {
    const d = run({ error_text: 'ERROR: relation "orders" does not exist (SQLSTATE 42P01)' });
    assert.equal(d.code, 'unknown');
    assert.equal(d.confidence, 0);
    assert.deepEqual(d.evidence, []);
    assert.match(stepText(d), /Caused by/);
    assert.match(stepText(d), /openssl s_client/);
  });

  test('a lone weak word (EOF) gives a low-confidence answer, not a decisive one', () => {
    const d = run({ error_text: 'read: EOF' });
    assert.equal(d.code, 'connection_dropped');
    assert.ok(d.confidence < 0.5, `confidence ${d.confidence}`);
  });

  test('phrases glued inside other words do not count: "EOF" in "whereof" is not a connection drop', () => {
    assert.equal(run({ error_text: 'the whereof and thereof of it' }).code, 'unknown');
  });
});

describe('limits and secrets', () => {
  test('over 1 MiB is refused with input_too_large and nothing processed; exactly 1 MiB is diagnosed', () => {
    const over = 'x'.repeat(MAX_ERROR_TEXT_BYTES + 1);
    assert.throws(() => diagnose({ error_text: over }), (error: unknown) => error instanceof ToolError && error.code === 'input_too_large' && /1 MiB/.test(error.message));
    // Multi-byte characters count in bytes: 524,289 two-byte characters are 1 MiB + 2 bytes.
    assert.throws(() => diagnose({ error_text: 'é'.repeat(MAX_ERROR_TEXT_BYTES / 2 + 1) }), (error: unknown) => error instanceof ToolError && error.code === 'input_too_large');
    const limit = 'x509: certificate signed by unknown authority '.padEnd(MAX_ERROR_TEXT_BYTES, 'y');
    const d = run({ error_text: limit });
    assert.equal(d.input.bytes, MAX_ERROR_TEXT_BYTES);
    assert.equal(d.code, 'untrusted_server_ca');
  });

  test('a password in the connection string or in a URL inside the text is never echoed', () => {
    const secret = 'Sup3r$ecret/pa@ss?#';
    const d = run({
      error_text: `failed to connect to postgresql://app:${encodeURIComponent(secret)}@db.example.com:26257/app: x509: certificate signed by unknown authority`,
      connection_string: `postgresql://app:${secret}@db.example.com:26257/app?sslmode=verify-full&password=${secret}`,
    });
    const out = everything(d);
    assert.ok(!out.includes(secret) && !out.includes(encodeURIComponent(secret)) && !out.includes('Sup3r'), 'the password leaked into the output');
    assert.match(d.connection!.redacted, /app:\*\*\*\*@db\.example\.com/);
    assert.ok(d.facts.hosts.some((h) => h.host === 'db.example.com'));
  });

  test('a given client that contradicts the text is used, with a note saying so', () => {
    const d = run({ error_text: UNTRUSTED_CA_WORDINGS.jdbc, client: 'node-pg' });
    assert.equal(d.client.id, 'node-pg');
    assert.equal(d.client.source, 'given');
    assert.match(d.client.note ?? '', /pgJDBC/);
  });
});

describe('CockroachDB 26.1 root lockdown (--disallow-root-login, debug_user)', () => {
  test('the RPC refusal is a policy, not a certificate problem: the fix is another admin user or debug_user, and its command parses', async () => {
    const { spawnSync } = await import('node:child_process');
    const d = diagnose({ error_text: 'ERROR: failed to perform RPC, as root login has been disallowed' });
    assert.equal(d.code, 'client_cert_user_mismatch');
    assert.match(d.explanation, /--disallow-root-login/);
    assert.match(d.explanation, /--allow-debug-user/);
    const commands = d.fix_steps.map((s) => s.command).filter((c): c is string => Boolean(c));
    assert.ok(commands.some((c) => c.includes('--user debug_user')), commands.join('\n'));
    assert.ok(!d.fix_steps.some((s) => /create-client root/.test(s.command ?? '')), 'no new root certificate: it would be refused too');
    for (const command of commands) assert.equal(spawnSync('bash', ['-n', '-c', command]).status, 0, command);
  });

  test('a plain SQL refusal of root names the lockdown as a possible cause, below the usual ones', () => {
    const d = diagnose({ error_text: 'ERROR: certificate authentication failed for user "root"' });
    assert.equal(d.code, 'client_cert_user_mismatch');
    const lockdown = d.causes.find((c) => c.cause.includes('--disallow-root-login'));
    assert.ok(lockdown, d.causes.map((c) => c.cause).join('\n'));
    assert.equal(lockdown.likelihood, 'low');
  });

  test('debug_user refused because the nodes do not allow it', () => {
    const d = diagnose({ error_text: 'failed to perform RPC, as debug_user login is not allowed' });
    assert.equal(d.code, 'client_cert_user_mismatch');
    assert.match(d.explanation, /--allow-debug-user/);
  });
});
