// The bare side of the webhook comparison: a plain HTTP client loop sending the same signed requests the API's
// delivery engine sends (the same thin payload, Standard Webhooks headers signed per request with the same
// signer, one after another over a keep-alive connection, as deliveries to one subscription go in order), and
// nothing else: no database, no queue, no SSRF check. Over IPC: {"send":n,"url":…,"secret":…} → {"seconds":s}.
import http from 'node:http';
import { signer } from '../../../src/modules/webhooks/signature.js';
import { announce } from './common.js';
import { eventMessage } from '../../../src/modules/webhooks/payload.js';
import { benchEvent } from '../webhook-events.js';

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function post(url: URL, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.end(body);
  });
}

async function send(n: number, url: string, secret: string, round: number) {
  const sign = signer([secret]);
  const target = new URL(url);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const m = eventMessage(benchEvent(round, i));
    const body = JSON.stringify(m.payload);
    const status = await post(target, sign.headers(m.messageId, body), body);
    if (status < 200 || status >= 300) throw new Error(`receiver answered ${status}`);
  }
  return (performance.now() - t0) / 1000;
}

process.on('message', (m: { send: number; url: string; secret: string; round: number }) => {
  send(m.send, m.url, m.secret, m.round).then(
    (seconds) => process.send!({ seconds }),
    (err: Error) => process.send!({ error: err.message }),
  );
});
process.on('SIGTERM', () => process.exit(0));
announce(0);
