// A real mutual-TLS handshake with material taken back out of a URI built by
// encode_changefeed_uri: a local TLS server that requires and verifies client certificates (as a
// Kafka broker's TLS listener with ssl.client.auth=required does) accepts the client whose CA,
// certificate and key were decoded from the URI with the reference's rules, and refuses a client
// whose certificate another CA signed. The same for a webhook endpoint over HTTPS.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { encodeChangefeedUri } from '../../src/changefeed/encode.js';
import { clientCertificate, keyMaterial, makeCa, referencePem, serverCertificate, type Ca } from '../support/changefeed-pki.js';

let tmp = '';
let brokerCa: Ca;
let clientCa: Ca;
let server: tls.Server;
let port = 0;
const accepted: string[] = [];
const refused: string[] = [];

const readFile = async (file: string) => fs.promises.readFile(path.resolve(tmp, file));

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-cf-mtls-'));
  // One CA for the broker's certificate and another for client certificates, as many Kafka setups have.
  brokerCa = makeCa('ec');
  clientCa = makeCa('rsa');
  const brokerKey = keyMaterial('ec-p256-pkcs8');
  const brokerCert = serverCertificate(brokerCa, brokerKey.key);
  server = tls.createServer({
    key: brokerKey.pem, cert: brokerCert.pem, ca: [clientCa.cert.pem], requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2',
  }, (socket) => {
    accepted.push(String(socket.getPeerCertificate().subject?.CN ?? '?'));
    socket.end('hello from the broker\n');
  });
  // Node destroys the connection when the client certificate fails verification; the socket keeps the reason.
  server.on('tlsClientError', (error, socket) => refused.push(String(socket.authorizationError ?? error.message)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Connects with what the URI holds; resolves with the broker's greeting or rejects with the TLS error. */
function connectWith(uri: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1', port,
      ca: referencePem(uri, 'ca_cert'), cert: referencePem(uri, 'client_cert'), key: referencePem(uri, 'client_key'),
    });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => { data += chunk; });
    socket.on('end', () => (data ? resolve(data) : reject(new Error('closed without data'))));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('timeout')));
  });
}

async function kafkaUriFor(commonName: string, signer: Ca, kind: Parameters<typeof keyMaterial>[0]): Promise<string> {
  const key = keyMaterial(kind);
  const cert = clientCertificate(signer, key.key, commonName);
  const keyFile = path.join(tmp, `${commonName}.key`);
  fs.writeFileSync(keyFile, key.pem, { mode: 0o600 });
  const result = await encodeChangefeedUri({ sink: `kafka://127.0.0.1:${port}`, ca: brokerCa.cert.pem, cert: cert.pem, key: keyFile, reveal: true }, readFile);
  assert.equal(result.encoded, true, JSON.stringify(result.problems));
  return result.uri!;
}

describe('mutual TLS with the material of an encoded URI', () => {
  test('a broker that requires client certificates accepts the client built from the URI (RSA PKCS#1 key)', async () => {
    const greeting = await connectWith(await kafkaUriFor('cdc-rsa', clientCa, 'rsa-pkcs1'));
    assert.equal(greeting, 'hello from the broker\n');
    assert.ok(accepted.includes('cdc-rsa'), `the broker did not see cdc-rsa: ${accepted.join(', ')}`);
  });

  test('the same with an EC key in SEC1 and one in PKCS#8', async () => {
    for (const [name, kind] of [['cdc-sec1', 'ec-p256-sec1'], ['cdc-p384', 'ec-p384-pkcs8']] as const) {
      assert.equal(await connectWith(await kafkaUriFor(name, clientCa, kind)), 'hello from the broker\n');
      assert.ok(accepted.includes(name));
    }
  });

  test('a client certificate from a CA the broker does not trust is refused by the broker', async () => {
    const stranger = makeCa('ec');
    const before = refused.length;
    await assert.rejects(connectWith(await kafkaUriFor('intruder', stranger, 'ec-p256-sec1')));
    assert.ok(!accepted.includes('intruder'), 'the broker accepted a client signed by an untrusted CA');
    // The server side saw the handshake fail on the client certificate.
    for (let i = 0; i < 50 && refused.length === before; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(refused.length > before, 'the broker reported no TLS client error');
    // OpenSSL's verdict on the client certificate: no CA the broker trusts signed it.
    assert.match(refused.at(-1) ?? '', /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
  });

  test('a webhook endpoint over HTTPS with client certificates accepts a POST made with the webhook URI', async () => {
    const key = keyMaterial('ec-p256-sec1');
    const cert = clientCertificate(clientCa, key.key, 'cdc-webhook');
    const endpointKey = keyMaterial('rsa-pkcs8');
    const endpoint = https.createServer({ key: endpointKey.pem, cert: serverCertificate(brokerCa, endpointKey.key).pem, ca: [clientCa.cert.pem], requestCert: true, rejectUnauthorized: true }, (request, response) => {
      const peer = (request.socket as tls.TLSSocket).getPeerCertificate().subject?.CN;
      response.end(`accepted ${peer} ${request.url}`);
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    try {
      const webhookPort = (endpoint.address() as AddressInfo).port;
      const result = await encodeChangefeedUri({ sink: `https://127.0.0.1:${webhookPort}/cdc`, ca: brokerCa.cert.pem, cert: cert.pem, key: key.pem, reveal: true }, readFile);
      const uri = result.uri!;
      assert.ok(uri.startsWith(`webhook-https://127.0.0.1:${webhookPort}/cdc?`), uri.slice(0, 60));
      // What CockroachDB's webhook sink does: strip the TLS parameters, use https://, POST.
      const target = new URL(uri.replace(/^webhook-/, ''));
      for (const name of ['ca_cert', 'client_cert', 'client_key']) target.searchParams.delete(name);
      const body = await new Promise<string>((resolve, reject) => {
        const request = https.request(target, { method: 'POST', ca: referencePem(uri, 'ca_cert'), cert: referencePem(uri, 'client_cert'), key: referencePem(uri, 'client_key') }, (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => { text += chunk; });
          response.on('end', () => resolve(text));
        });
        request.on('error', reject);
        request.end('{"payload":[],"length":0}');
      });
      assert.equal(body, 'accepted cdc-webhook /cdc');
    } finally {
      await new Promise((resolve) => endpoint.close(resolve));
    }
  });
});
