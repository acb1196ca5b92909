// A webhook delivery cut off by a crash: the instance sending it is killed while the receiver holds the request
// open; another instance sends it again, with the same webhook-id, once the dead one's lease has run out.
import t from 'tap';
import { signIn, startInstances } from '../helpers/instances.js';
import { startReceiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait.js';

const ENV = {
  JOBS_ENABLED: 'true',
  JOBS_MAINTENANCE_INTERVAL_SECONDS: '1',
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_TIMEOUT_MS: '3000',
  WEBHOOK_RETRY_SCHEDULE: '100ms,200ms',
  BACKUP_SCHEDULE: 'off',
  RESTORE_TEST_SCHEDULE: 'off',
  MAINTENANCE_SCHEDULE: 'off',
  PRUNE_SCHEDULE: 'off',
};

t.test('crash mid-delivery: delivered again by another instance, same webhook-id', async (t) => {
  const receiver = await startReceiver(t);
  // One instance first: the delivery can only be in its hands.
  const cluster = await startInstances(t, 1, { env: ENV });
  const [a] = cluster.instances;
  const session = await signIn(a!);
  const created = await a!.request('POST', '/api/v1/webhooks', {
    headers: session.headers,
    body: { url: receiver.url, topics: ['*'] },
  });
  t.equal(created.status, 201);
  const hook = JSON.parse(created.body) as { id: string; secret: string };

  receiver.answers.push('hang');
  const pinged = await a!.request('POST', `/api/v1/webhooks/${hook.id}/ping`, { headers: session.headers });
  t.equal(pinged.status, 201);
  const delivery = JSON.parse(pinged.body) as { id: string; message_id: string };
  const [first] = await receiver.waitForRequests(1);
  t.equal(first!.headers['webhook-id'], delivery.message_id);
  t.equal(await a!.stop('SIGKILL'), null, 'killed while the request is in flight');

  const b = await cluster.add();
  const [, second] = await receiver.waitForRequests(2, 90_000);
  t.equal(second!.headers['webhook-id'], delivery.message_id, 'the same webhook-id');
  t.match(receiver.verify(second!, hook.secret), { type: 'webhook.ping' }, 'signed and verified');
  const sessionB = await signIn(b);
  const done = await waitFor(
    async () => {
      const res = await b.request('GET', `/api/v1/webhooks/${hook.id}/deliveries`, { headers: sessionB.headers });
      const d = (JSON.parse(res.body) as { data: { id: string; status: string; attempts: number }[] }).data.find(
        (x) => x.id === delivery.id,
      );
      return d?.status === 'succeeded' && d;
    },
    { timeout: 30_000, what: 'the delivery recorded as succeeded' },
  );
  t.equal(done.attempts, 1, 'the interrupted attempt was never recorded: one attempt');
  t.equal(receiver.received.length, 2, 'sent twice (at least once), no more');
});

t.test('two instances fanning out the outbox: each change reaches the receiver once, in order', async (t) => {
  const receiver = await startReceiver(t);
  const { instances } = await startInstances(t, 2, { env: { ...ENV, WEBHOOK_FANOUT_INTERVAL_MS: '100' } });
  const [a, b] = instances;
  const sa = await signIn(a!);
  const sb = await signIn(b!);
  const created = await a!.request('POST', '/api/v1/webhooks', {
    headers: sa.headers,
    body: { url: receiver.url, topics: ['projects'] },
  });
  const hook = JSON.parse(created.body) as { id: string; secret: string };
  const me = JSON.parse((await a!.request('GET', '/api/v1/auth/me', { headers: sa.headers })).body) as { id: string };
  // Changes through both instances, one after another.
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const [via, s] = i % 2 ? [b!, sb] : [a!, sa];
    const res = await via.request('POST', '/api/v1/projects', {
      headers: s.headers,
      body: { name: `Projeto ${i}`, start_date: '2026-01-01', end_date: '2026-12-31', coordinator_id: me.id },
    });
    t.equal(res.status, 201);
    ids.push((JSON.parse(res.body) as { id: string }).id);
  }
  const got = await receiver.waitForRequests(6, 60_000);
  t.same(
    got.map((r) => (receiver.verify(r, hook.secret) as { data: { row_id: string } }).data.row_id),
    ids,
    'every change, in the order made',
  );
  // Both instances keep fanning out (every 100 ms): nothing more arrives.
  await new Promise((r) => setTimeout(r, 1_500));
  t.equal(receiver.received.length, 6, 'each change delivered once');
});
