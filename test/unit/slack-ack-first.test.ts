// The Slack face's work waits for the acks (src/slack/ack-first.ts), over a real HTTP server on
// 127.0.0.1: a job queued while a request has no answer starts only once it is answered (or its
// connection closes), jobs start in the order they were queued, and a request that is never
// answered holds work back no longer than the bound.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { AckFirst } from '../../src/slack/ack-first.js';

/** A server whose every request waits until the test answers it. */
class HeldServer {
  readonly held: http.ServerResponse[] = [];
  private readonly arrivals: Array<() => void> = [];
  readonly server: http.Server;

  constructor(ackFirst: AckFirst) {
    this.server = http.createServer(
      ackFirst.track((req, res) => {
        req.resume();
        this.held.push(res);
        this.arrivals.shift()?.();
      }),
    );
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  /** Sends a request and resolves once the server holds it; `answered` settles when the client has the answer (or the socket closes). */
  async send(): Promise<{ request: http.ClientRequest; answered: Promise<void> }> {
    const arrived = new Promise<void>((resolve) => this.arrivals.push(resolve));
    const { port } = this.server.address() as AddressInfo;
    let request!: http.ClientRequest;
    const answered = new Promise<void>((resolve) => {
      request = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/slack/events', agent: false }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      request.on('error', () => resolve());
      request.on('close', () => resolve());
      request.end('x');
    });
    await arrived;
    return { request, answered };
  }

  async close(): Promise<void> {
    for (const res of this.held) if (!res.writableEnded) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Lets the event loop go round `n` times. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('AckFirst', () => {
  const servers: HeldServer[] = [];
  const serve = async (ackFirst: AckFirst) => {
    const s = new HeldServer(ackFirst);
    servers.push(s);
    await s.listen();
    return s;
  };
  after(async () => {
    for (const s of servers) await s.close();
  });

  test('with no request waiting, work starts at once', async () => {
    const ackFirst = new AckFirst();
    await serve(ackFirst);
    await ackFirst.turn();
  });

  test('work queued while a request waits for its ack starts only after the ack is written', async () => {
    const ackFirst = new AckFirst({ maxWaitMs: 60_000 });
    const s = await serve(ackFirst);
    const { answered } = await s.send();
    const events: string[] = [];
    const work = ackFirst.turn().then(() => events.push('work'));
    await turns(20);
    assert.equal(events.length, 0, 'work started while a request had no answer');
    s.held[0]!.end('ack');
    await answered;
    events.push('acked');
    await work;
    assert.deepEqual(events, ['acked', 'work']);
  });

  test('a connection closed without an answer no longer holds work back', async () => {
    const ackFirst = new AckFirst({ maxWaitMs: 60_000 });
    const s = await serve(ackFirst);
    const { request, answered } = await s.send();
    let started = false;
    const work = ackFirst.turn().then(() => (started = true));
    await turns(10);
    assert.equal(started, false);
    request.destroy();
    await answered;
    await work;
    assert.equal(started, true);
  });

  test('jobs start in the order they were queued', async () => {
    const ackFirst = new AckFirst({ maxWaitMs: 60_000 });
    const s = await serve(ackFirst);
    const { answered } = await s.send();
    const order: number[] = [];
    const jobs = [1, 2, 3, 4].map((n) => ackFirst.turn().then(() => order.push(n)));
    await turns(10);
    assert.deepEqual(order, []);
    s.held[0]!.end();
    await answered;
    await Promise.all(jobs);
    assert.deepEqual(order, [1, 2, 3, 4]);
  });

  test('a request that is never answered holds work back no longer than the bound', async () => {
    const ackFirst = new AckFirst({ maxWaitMs: 30 });
    const s = await serve(ackFirst);
    await s.send();
    await ackFirst.turn();
    assert.equal(s.held[0]!.writableEnded, false, 'the request is still unanswered, and the work started anyway');
  });
});
