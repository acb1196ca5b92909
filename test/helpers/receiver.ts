// A webhook receiver on loopback for the tests: records every request (headers and raw body) and answers as the
// test says — a status, a hang (never answering: a delivery in flight), a redirect — and can go down and come
// back up on the same port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { Webhook } from 'standardwebhooks';
import { waitFor } from './wait.js';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** How to answer one request: a status (and headers, body), or 'hang' (keep it open until the test ends). */
export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Answers for the next requests, in order; after them, 200. */
  answers: Answer[];
  waitForRequests(n: number, timeout?: number): Promise<Received[]>;
  /** Stops listening (connections refused) / listens again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** The payload if the request's signature verifies with `secret` (standardwebhooks' verifier); throws otherwise. */
  verify(r: Received, secret: string): unknown;
}

export async function startReceiver(t: Test): Promise<Receiver> {
  const received: Received[] = [];
  const hanging = new Set<http.ServerResponse>();
  const receiver: Receiver = {
    url: '',
    port: 0,
    received,
    answers: [],
    waitForRequests: (n, timeout = 30_000) =>
      waitFor(() => received.length >= n && received, {
        timeout,
        interval: 20,
        what: `${n} webhook request(s) (got ${received.length})`,
      }),
    async down() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async up() {
      await new Promise<void>((resolve) => server.listen(receiver.port, '127.0.0.1', resolve));
    },
    verify: (r, secret) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>),
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body, at: Date.now() });
      const answer = receiver.answers.shift() ?? { status: 200 };
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/hook`;
  t.teardown(async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return receiver;
}
