// The TLS 1.2 handshake reader (src/net/tls-records.ts) on bytes a real TLS server sent (Node's
// OpenSSL, capped at TLS 1.2, asking for a client certificate from one CA), then on those bytes cut
// and re-chunked every way, and on random bytes: it must find the CA names and the certificate the
// server sent, never throw, and stop within its size bound. Plus the pgwire pieces it works with.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { SSL_REQUEST, formatPgError, parseErrorFields, readBackendMessage, startupMessage } from '../../src/net/pgwire.js';
import { TeeSocket, TlsRecordReader } from '../../src/net/tls-records.js';
import { diagnose } from '../../src/diagnose/index.js';
import probeServerTool from '../../tools/probe_server.js';
import testConnectionTool from '../../tools/test_connection.js';
import { makeFaultPki, type FaultPki } from '../support/tls-faults.js';

let pki: FaultPki;
let captured: Buffer;

/** Every byte a TLS 1.2 server with requestCert sends until the client gives up after its first flight. */
async function captureHandshake(): Promise<Buffer> {
  const server = tls.createServer({ cert: fs.readFileSync(pki.node.crt), key: fs.readFileSync(pki.node.key), ca: [fs.readFileSync(pki.ca)], requestCert: true, rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const chunks: Buffer[] = [];
  try {
    await new Promise<void>((resolve) => {
      const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1', () => {
        const tee = new TeeSocket(socket, (chunk) => chunks.push(chunk));
        const client = tls.connect({ socket: tee, rejectUnauthorized: false });
        client.on('secureConnect', () => { client.destroy(); resolve(); });
        client.on('error', () => resolve());
      });
    });
  } finally {
    server.close();
  }
  return Buffer.concat(chunks);
}

const subjectOf = (file: string) => new crypto.X509Certificate(fs.readFileSync(file)).subject.split('\n').join(', ');
const derOf = (file: string) => new crypto.X509Certificate(fs.readFileSync(file)).raw;

before(async () => {
  pki = await makeFaultPki();
  captured = await captureHandshake();
});
after(() => pki?.dispose());

describe('TlsRecordReader on a real TLS 1.2 handshake', () => {
  test('finds TLS 1.2, the server certificate, and the CA named in the CertificateRequest', () => {
    const reader = new TlsRecordReader();
    reader.push(captured);
    const o = reader.observation;
    assert.equal(o.version, 'TLSv1.2');
    assert.equal(o.server_hello_done, true);
    assert.deepEqual(o.certificate_request?.authorities, [subjectOf(pki.ca)]);
    assert.ok(o.server_certificates[0]?.equals(derOf(pki.node.crt)), 'the leaf is the node certificate');
  });

  test('reads the same whatever the chunking (1 byte at a time, random cuts)', () => {
    const whole = new TlsRecordReader();
    whole.push(captured);
    for (let trial = 0; trial < 50; trial++) {
      const reader = new TlsRecordReader();
      let i = 0;
      while (i < captured.length) {
        const size = trial === 0 ? 1 : 1 + crypto.randomInt(200);
        reader.push(captured.subarray(i, i + size));
        i += size;
      }
      assert.deepEqual(reader.observation, whole.observation);
    }
  });

  test('a truncated handshake never throws and never reports names it has not seen whole', () => {
    for (let cut = 0; cut < captured.length; cut += 7) {
      const reader = new TlsRecordReader();
      reader.push(captured.subarray(0, cut));
      const names = reader.observation.certificate_request?.authorities;
      if (names) assert.deepEqual(names, [subjectOf(pki.ca)]);
    }
  });

  test('random bytes and flipped bytes never throw; a reader stops at its size bound', () => {
    for (let trial = 0; trial < 300; trial++) {
      const reader = new TlsRecordReader(4_096);
      const bytes = trial % 2 ? crypto.randomBytes(1 + crypto.randomInt(5_000)) : Buffer.from(captured);
      if (!(trial % 2)) for (let k = 0; k < 5; k++) bytes[crypto.randomInt(bytes.length)] = crypto.randomInt(256);
      reader.push(bytes);
      reader.push(crypto.randomBytes(100));
    }
    const bounded = new TlsRecordReader(100);
    bounded.push(Buffer.concat([Buffer.from([22, 3, 3, 0x40, 0x00]), Buffer.alloc(200)]));
    assert.equal(bounded.done, true);
    assert.match(bounded.observation.stopped ?? '', /more than 100 bytes/);
  });
});

describe('pgwire', () => {
  test('the SSLRequest is the 8 bytes of the protocol: length 8, code 80877103', () => {
    assert.equal(SSL_REQUEST.readInt32BE(0), 8);
    assert.equal(SSL_REQUEST.readInt32BE(4), 80_877_103);
  });

  test('a StartupMessage carries protocol 3.0 and the parameters, NUL-terminated', () => {
    const m = startupMessage({ user: 'root', database: 'defaultdb' });
    assert.equal(m.readInt32BE(0), m.length);
    assert.equal(m.readInt32BE(4), 3 << 16);
    assert.equal(m.subarray(8).toString('latin1'), 'user\0root\0database\0defaultdb\0\0');
  });

  test('an ErrorResponse is read whole (not before) and formatted like psql', () => {
    const body = Buffer.from('SFATAL\0VFATAL\0C28000\0Mconnection requires a valid client certificate\0\0', 'latin1');
    const message = Buffer.concat([Buffer.from('E'), Buffer.alloc(4), body]);
    message.writeInt32BE(4 + body.length, 1);
    assert.equal(readBackendMessage(message.subarray(0, message.length - 1)), null);
    const read = readBackendMessage(message)!;
    assert.equal(formatPgError(parseErrorFields(read.body)), 'FATAL:  connection requires a valid client certificate (SQLSTATE 28000)');
    assert.throws(() => readBackendMessage(Buffer.from('HTTP/1.1 400 Bad Request')), /not a PostgreSQL message/);
  });
});

describe("diagnose_error's next_tools call probe_server and test_connection with arguments they accept", () => {
  const texts = [
    'x509: certificate signed by unknown authority',
    'psql: error: connection to server at "db.example.com" (10.0.0.5), port 26257 failed: SSL error: certificate verify failed',
    'psql: error: connection to server at "db.example.com", port 26257 failed: FATAL:  certificate authentication failed for user "root"',
    'Error: self-signed certificate in certificate chain { code: \'SELF_SIGNED_CERT_IN_CHAIN\' }',
    'psql: error: connection to server at "127.0.0.1", port 26257 failed: server closed the connection unexpectedly',
    'The server does not support SSL connections',
  ];
  test('every suggested call validates against the tool\'s input schema', () => {
    let checked = 0;
    for (const text of texts) {
      for (const next of diagnose({ error_text: text, connection_string: 'postgresql://root@db.example.com:26257/defaultdb?sslmode=verify-full&sslrootcert=certs/ca.crt&sslcert=certs/client.root.crt&sslkey=certs/client.root.key' }).next_tools) {
        const schema = next.tool === 'probe_server' ? probeServerTool.input : next.tool === 'test_connection' ? testConnectionTool.input : null;
        if (!schema) continue;
        const parsed = schema.safeParse(next.arguments);
        assert.ok(parsed.success, `${next.tool} ${JSON.stringify(next.arguments)}: ${parsed.success ? '' : parsed.error.message}`);
        checked++;
      }
    }
    assert.ok(checked >= 4, `only ${checked} suggested calls checked`);
  });
});
