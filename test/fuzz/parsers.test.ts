// Every parser that reads what a user pastes or a peer sends, fed hostile input: each returns or
// throws a ToolError (a structured error a face can show), never another exception, and answers
// in bounded time even for 10 MB (a parser that is quadratic on some input stalls the whole
// server). Where a parser has a promise to keep, the property states it: the linear PEM scanner
// finds exactly what the regex it replaced found, a resolved path never leads out of the root, a
// password in a connection string is never echoed. Run counts: see test/support/fuzz.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeChangefeedUri } from '../../src/changefeed/decode.js';
import { decodeGoStdBase64 } from '../../src/changefeed/go-base64.js';
import { goQueryUnescape, parseGoQuery, parseGoUrl } from '../../src/changefeed/go-url.js';
import { looksLikeStatement, parseChangefeedStatement } from '../../src/changefeed/statement.js';
import { ToolError } from '../../src/core/errors.js';
import { AllowedPaths } from '../../src/core/paths.js';
import { analyzeConnectionString, diagnose, parseConnectionString } from '../../src/diagnose/index.js';
import { Diagnosis } from '../../src/diagnose/schema.js';
import { parseAuthRequest, parseErrorFields, readBackendMessage } from '../../src/net/pgwire.js';
import { parseOpensslCaNames } from '../../src/net/probe.js';
import { formatDistinguishedName, TlsRecordReader } from '../../src/net/tls-records.js';
import { parseCertificates } from '../../src/pki/certificate.js';
import { parseCsr } from '../../src/pki/csr.js';
import { parseDuration } from '../../src/pki/duration.js';
import { readPrivateKey } from '../../src/pki/keys.js';
import { certificateDers, pemBlocks, scanPemBlocks } from '../../src/pki/pem.js';
import { normalizeSqlUsername } from '../../src/pki/username.js';
import { anyValue, brief, fuzzParameters, hostileString, hugeStrings, makeMaterial, makeSandbox, mutatedPem, runs, type Material, type Sandbox } from '../support/fuzz.js';

/**
 * A hang guard, not a speed claim: a quadratic parser takes minutes on the 10 MB inputs and trips
 * it. How long the scan takes per megabyte (10 MB against 1 MB) is `npm run bench`'s pem-10mb row.
 */
const HANG_GUARD = { timeout: 120_000 };

let material: Material;
let sandbox: Sandbox;

before(() => {
  material = makeMaterial();
  sandbox = makeSandbox(material);
});

after(() => sandbox?.dispose());

/** Calls `parse` and checks that it returned or threw a ToolError. */
function returnsOrToolError<T>(what: string, input: unknown, parse: () => T): T | ToolError {
  let outcome: T | ToolError;
  try {
    outcome = parse();
  } catch (error) {
    if (!(error instanceof ToolError)) throw new Error(`${what} threw ${(error as Error)?.name}: ${(error as Error)?.message} (not a ToolError)\ninput: ${brief(input)}`, { cause: error });
    assert.ok(error.message.length > 0, `${what}: a ToolError without a message`);
    outcome = error;
  }
  return outcome;
}

/** Text a certificate parser may be handed: real, corrupted, hostile, or bytes that are not text. */
const certificateText = () =>
  fc.oneof(
    { weight: 3, arbitrary: mutatedPem(material) },
    { weight: 2, arbitrary: fc.constantFrom(...sandbox.pemTexts) },
    { weight: 2, arbitrary: hostileString([], { huge: false }) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...sandbox.pemTexts), hostileString([], { huge: false })).map(([pem, noise]) => noise + pem + noise) },
  );
const certificateBytes = () =>
  fc.oneof(
    { weight: 3, arbitrary: certificateText().map((text) => Buffer.from(text, 'utf8')) },
    { weight: 1, arbitrary: certificateText().map((text) => Buffer.from(text, 'latin1')) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)) },
    { weight: 2, arbitrary: fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat()).map(([at, xor, cut]) => {
      // DER with one byte flipped and a random cut: reaches the ASN.1 walkers behind OpenSSL's parser.
      const der = Buffer.from(material.caDer);
      const i = at % der.length;
      der[i] = der[i]! ^ xor;
      return der.subarray(0, Math.max(1, der.length - (cut % 64)));
    }) },
  );

describe('PEM: the linear scanner', () => {
  const OPTIONAL = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n?([\s\S]*?)-----END \1-----/g;
  const REQUIRED = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  const pieces = fc.constantFrom('-----BEGIN ', '-----END ', '-----', 'CERTIFICATE', 'RSA PRIVATE KEY', 'A', ' ', '\r', '\n', 'x', ':', '-', 'MII', '\0');

  test('finds exactly the blocks the regex it replaced finds, on text built from PEM fragments', () => {
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 60 }), (parts) => {
        const text = parts.join('');
        assert.deepEqual(scanPemBlocks(text), [...text.matchAll(OPTIONAL)].map((m) => ({ type: m[1], body: m[2] })), brief(text));
        assert.deepEqual(scanPemBlocks(text, 'required'), [...text.matchAll(REQUIRED)].map((m) => ({ type: m[1], body: m[2] })), brief(text));
      }),
      fuzzParameters(runs(3000)),
    );
  });

  test('reads 10 MB of BEGIN lines without an END, and 10 MB of other hostile text, and finds no block in them', HANG_GUARD, () => {
    for (const text of hugeStrings()) {
      // None of these texts holds an END line, so there is no block to find, in either mode.
      assert.deepEqual(pemBlocks(text), [], brief(text));
      assert.deepEqual(scanPemBlocks(text, 'required'), [], brief(text));
    }
  });

  test('certificates surrounded by any text that holds no PEM markers come out unchanged', () => {
    const noise = hostileString([], { huge: false }).filter((s) => !s.includes('-----') && s.length < 100_000);
    // Found by this property: text starting with "0" and a non-ASCII character was taken for DER.
    assert.equal(certificateDers(`0é\n${material.caPem}${material.leafPem}`, 'bundle').length, 2);
    fc.assert(
      fc.property(noise, noise, (before, between) => {
        const ders = certificateDers(`${before}\n${material.caPem}${between}\n${material.leafPem}${before}`, 'bundle');
        assert.equal(ders.length, 2);
        assert.ok(ders[0]!.equals(material.caDer));
      }),
      fuzzParameters(runs(300)),
    );
  });
});

describe('certificates, keys and CSRs: a result or a ToolError', () => {
  test('certificateDers and parseCertificates', () => {
    fc.assert(
      fc.property(fc.oneof(certificateBytes(), certificateText()), (input) => {
        returnsOrToolError('certificateDers', input, () => certificateDers(input, 'input'));
        const parsed = returnsOrToolError('parseCertificates', input, () => parseCertificates(input, 'input'));
        if (!(parsed instanceof ToolError)) for (const cert of parsed) assert.ok(!Number.isNaN(cert.notAfter.getTime()), 'a parsed certificate has real dates');
      }),
      fuzzParameters(runs(400)),
    );
  });

  test('parseCsr', () => {
    fc.assert(fc.property(certificateBytes(), (input) => void returnsOrToolError('parseCsr', input, () => parseCsr(input, 'input.csr'))), fuzzParameters(runs(400)));
  });

  test('readPrivateKey', () => {
    fc.assert(fc.property(certificateBytes(), (input) => void returnsOrToolError('readPrivateKey', input, () => readPrivateKey(input, 'input.key'))), fuzzParameters(runs(400)));
  });

  test('10 MB inputs of every hostile kind', HANG_GUARD, () => {
    for (const text of hugeStrings()) {
      const bytes = Buffer.from(text, 'utf8');
      returnsOrToolError('parseCertificates', text, () => parseCertificates(bytes, 'huge'));
      returnsOrToolError('parseCsr', text, () => parseCsr(bytes, 'huge'));
      returnsOrToolError('readPrivateKey', text, () => readPrivateKey(bytes, 'huge'));
    }
  });
});

describe('pasted errors and connection strings', () => {
  // Only clients the schema accepts: diagnose() is called here without the runner's validation.
  const clients = fc.constantFrom(undefined, 'psql', 'node-pg', 'jdbc', 'go-pgx', 'npgsql', 'typeorm');
  const connectionStrings = fc.oneof(
    hostileString(['postgresql://u:p@h:26257/db?sslmode=verify-full', 'host=h port=1 sslmode=require', 'Host=h;Port=1;SSL Mode=Require', 'jdbc:postgresql://h/db?ssl=true', 'postgres://[::1', 'postgresql://%zz@h', 'host=\'unterminated'], { huge: false }),
    fc.webUrl({ withQueryParameters: true, withFragments: true }).map((u) => u.replace(/^https?/, 'postgresql')),
  );

  test('diagnose answers a schema-valid diagnosis or a ToolError for any text, client and connection string', () => {
    fc.assert(
      fc.property(hostileString(['x509: certificate signed by unknown authority', 'FATAL: password authentication failed', 'PKIX path building failed'], { huge: false }), clients, fc.option(connectionStrings, { nil: undefined }), (text, client, connection) => {
        const input = { error_text: text, ...(client ? { client } : {}), ...(connection !== undefined ? { connection_string: connection } : {}) } as Parameters<typeof diagnose>[0];
        const outcome = returnsOrToolError('diagnose', input, () => diagnose(input));
        if (!(outcome instanceof ToolError)) assert.ok(Diagnosis.safeParse(outcome).success, `diagnosis breaks its schema: ${brief(input)}`);
      }),
      fuzzParameters(runs(400)),
    );
  });

  test('parseConnectionString and analyzeConnectionString', () => {
    fc.assert(
      fc.property(connectionStrings, clients, (text, client) => {
        returnsOrToolError('parseConnectionString', text, () => parseConnectionString(text));
        returnsOrToolError('analyzeConnectionString', text, () => analyzeConnectionString(text, client as Parameters<typeof analyzeConnectionString>[1]));
      }),
      fuzzParameters(runs(600)),
    );
  });

  test('a password in a connection string is never echoed by the analysis', () => {
    const password = fc.stringMatching(/^[A-Za-z0-9]{12,20}$/);
    fc.assert(
      fc.property(password, fc.constantFrom('postgresql://alice:PW@h.example.com:26257/db?sslmode=verify-full', 'host=h user=alice password=PW sslmode=require', 'Host=h;Username=alice;Password=PW;SSL Mode=VerifyFull', 'postgresql://h/db?password=PW&sslmode=require'), (secret, template) => {
        const text = template.replace('PW', secret);
        const outcome = returnsOrToolError('analyzeConnectionString', text, () => analyzeConnectionString(text, undefined));
        if (!(outcome instanceof ToolError)) assert.ok(!JSON.stringify(outcome.analysis).includes(secret), `the analysis of ${template} shows the password`);
      }),
      fuzzParameters(runs(200)),
    );
  });
});

describe('changefeed sink URIs and statements', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  /** Percent-encoding of the UTF-8 bytes (encodeURIComponent throws on a lone surrogate). */
  const percent = (text: string) => [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`)).join('');
  const uris = fc.oneof(
    hostileString(['kafka://b:9093?tls_enabled=true', 'webhook-https://h/p?ca_cert=', 'kafka://', "CREATE CHANGEFEED FOR t INTO 'kafka://h' WITH x = 'y'", 'CREATE CHANGEFEED FOR t INTO \'', '/* unterminated', '-- only a comment\n'], { huge: false }),
    fc.tuple(fc.constantFrom('kafka://b:9093', 'webhook-https://h:443/p', 'https://h/p'), fc.dictionary(fc.constantFrom('ca_cert', 'client_cert', 'client_key', 'tls_enabled', 'sasl_password', 'topic_name', 'insecure_tls_skip_verify'), fc.oneof(hostileString([], { huge: false }), mutatedPem(material).map(b64), fc.constant(b64(material.caPem))), { maxKeys: 5 }))
      .map(([base, params]) => `${base}?${Object.entries(params).map(([k, v]) => `${k}=${percent(v)}`).join('&')}`),
    fc.array(fc.constantFrom('/*', '*/', '--', '\n', 'CREATE ', 'CHANGEFEED ', 'FOR ', 't', "'", '"', 'INTO ', 'WITH ', '=', ',', ' '), { maxLength: 40 }).map((parts) => parts.join('')),
  );

  test('decodeChangefeedUri, parseChangefeedStatement and the Go URL/base64 readers', () => {
    fc.assert(
      fc.property(uris, (text) => {
        returnsOrToolError('decodeChangefeedUri', text, () => decodeChangefeedUri(text));
        if (looksLikeStatement(text)) returnsOrToolError('parseChangefeedStatement', text, () => parseChangefeedStatement(text));
        returnsOrToolError('parseGoUrl', text, () => parseGoUrl(text));
        returnsOrToolError('parseGoQuery', text, () => parseGoQuery(text));
        returnsOrToolError('goQueryUnescape', text, () => goQueryUnescape(text));
        returnsOrToolError('decodeGoStdBase64', text, () => decodeGoStdBase64(text));
      }),
      fuzzParameters(runs(600)),
    );
  });

  test('a sasl_password or client_key in a sink URI is never echoed by the decoder', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9]{16,24}$/), (secret) => {
        const text = `kafka://b:9093?tls_enabled=true&sasl_enabled=true&sasl_user=u&sasl_password=${secret}&client_cert=${b64(material.leafPem)}&client_key=${b64(material.keyPem)}`;
        const decoded = returnsOrToolError('decodeChangefeedUri', text, () => decodeChangefeedUri(text));
        assert.ok(!(decoded instanceof ToolError), `a well-formed URI is decoded: ${decoded instanceof ToolError ? decoded.message : ''}`);
        const shown = JSON.stringify(decoded);
        assert.ok(!shown.includes(secret), 'the SASL password is echoed');
        assert.ok(!shown.includes(b64(material.keyPem).slice(0, 40)), 'the client key is echoed');
      }),
      fuzzParameters(runs(100)),
    );
  });

  test('10 MB inputs', HANG_GUARD, () => {
    for (const text of hugeStrings()) {
      returnsOrToolError('decodeChangefeedUri', text, () => decodeChangefeedUri(text));
      returnsOrToolError('parseGoUrl', text, () => parseGoUrl(text));
    }
  });
});

describe('durations and SQL user names', () => {
  test('parseDuration gives a positive whole number of milliseconds or a ToolError', () => {
    fc.assert(
      fc.property(fc.oneof(hostileString(['1h', '30d', '87840h', '1h30m', '0h', '-1h', '1e400h', '9'.repeat(400) + 'h'], { huge: false }), fc.tuple(fc.nat(), fc.constantFrom('h', 'd', 'm', 's', 'ms', '')).map(([n, unit]) => `${n}${unit}`)), (text) => {
        const outcome = returnsOrToolError('parseDuration', text, () => parseDuration(text));
        if (!(outcome instanceof ToolError)) assert.ok(Number.isFinite(outcome) && outcome > 0, `parseDuration(${brief(text)}) = ${outcome}`);
      }),
      fuzzParameters(runs(600)),
    );
  });

  test('normalizeSqlUsername', () => {
    fc.assert(fc.property(hostileString(['root', 'Alice', 'a'.repeat(64), 'ü', 'x y', ''], { huge: false }), (text) => void returnsOrToolError('normalizeSqlUsername', text, () => normalizeSqlUsername(text))), fuzzParameters(runs(600)));
  });
});

describe('paths: nothing resolves out of the allowed root', () => {
  /** The real location a path leads to: its nearest existing ancestor's realpath, plus the rest. */
  function realLocation(absolute: string): string {
    const rest: string[] = [];
    let current = absolute;
    for (let i = 0; i < 100; i++) {
      try {
        return path.join(fs.realpathSync(current), ...rest.reverse());
      } catch {
        try {
          const link = fs.readlinkSync(current);
          return realLocation(path.join(path.resolve(path.dirname(current), link), ...rest.reverse()));
        } catch {
          rest.push(path.basename(current));
          current = path.dirname(current);
        }
      }
    }
    return absolute;
  }

  test('AllowedPaths.resolve returns a path inside the root (symlinks followed) or a ToolError', () => {
    const paths = new AllowedPaths([sandbox.root]);
    const segment = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('..', '.', '', 'certs', 'link-out', 'dangling', 'fixtures', 'fifo-dir', 'ca.crt', 'secret.key', '~', 'new', 'root', 'outside') },
      { weight: 1, arbitrary: hostileString([], { huge: false }) },
    );
    const candidate = fc.oneof(
      fc.tuple(fc.constantFrom('', `${sandbox.root}/`, '/', '~/', `${sandbox.outside}/`), fc.array(segment, { maxLength: 8 })).map(([start, parts]) => start + parts.join('/')),
      fc.constantFrom(...sandbox.paths),
      anyValue as fc.Arbitrary<unknown>,
    );
    const cwd = process.cwd();
    process.chdir(sandbox.root);
    try {
      fc.assert(
        fc.property(candidate, (input) => {
          const outcome = returnsOrToolError('AllowedPaths.resolve', input, () => paths.resolve(input as string, 'path'));
          if (outcome instanceof ToolError) {
            assert.ok(['outside_roots', 'invalid_input'].includes(outcome.code), `unexpected code ${outcome.code} for ${brief(input)}`);
            return;
          }
          const real = realLocation(outcome);
          assert.ok(real === sandbox.root || real.startsWith(sandbox.root + path.sep), `${brief(input)} resolved to ${outcome}, which leads to ${real}, outside ${sandbox.root}`);
        }),
        fuzzParameters(runs(1000)),
      );
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('bytes a server sends to a probe', () => {
  const bytes = fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b));
  /** TLS records with plausible headers (handshake, alert) around random handshake messages. */
  const tlsRecords = fc.array(
    fc.tuple(fc.constantFrom(22, 21, 20, 23, 99), fc.constantFrom(2, 11, 13, 14, 4, 8, 0), fc.uint8Array({ maxLength: 300 })).map(([recordType, messageType, body]) => {
      const message = Buffer.concat([Buffer.from([messageType, 0, (body.length >> 8) & 0xff, body.length & 0xff]), Buffer.from(body)]);
      return Buffer.concat([Buffer.from([recordType, 3, 3, (message.length >> 8) & 0xff, message.length & 0xff]), message]);
    }),
    { maxLength: 6 },
  );

  test('pgwire: readBackendMessage keeps its contract, the other readers never throw', () => {
    fc.assert(
      fc.property(bytes, (buffer) => {
        try {
          readBackendMessage(buffer);
        } catch (error) {
          assert.match((error as Error).message, /^not a PostgreSQL message/, 'readBackendMessage throws only for a length no server sends');
        }
        parseErrorFields(buffer);
        parseAuthRequest(buffer);
        formatDistinguishedName(buffer);
      }),
      fuzzParameters(runs(1000)),
    );
  });

  test('TlsRecordReader takes any bytes in any chunks without throwing', () => {
    fc.assert(
      fc.property(fc.oneof(tlsRecords, fc.array(bytes, { maxLength: 5 })), fc.integer({ min: 1, max: 64 }), (records, chunk) => {
        const reader = new TlsRecordReader();
        const all = Buffer.concat(records);
        for (let i = 0; i < all.length && !reader.done; i += chunk) reader.push(all.subarray(i, i + chunk));
        assert.ok(reader.observation.server_certificates.every((c) => Buffer.isBuffer(c)));
      }),
      fuzzParameters(runs(1000)),
    );
  });

  test('parseOpensslCaNames reads any text', () => {
    fc.assert(fc.property(hostileString(['Acceptable client certificate CA names\nO = Cockroach, CN = Cockroach CA\n---', 'No client certificate CA names sent', '    Protocol  : TLSv1.3'], { huge: false }), (text) => void parseOpensslCaNames(text)), fuzzParameters(runs(600)));
  });
});
