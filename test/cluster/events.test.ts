// The change feed across three API processes on one PostgreSQL and one Redis: an event written through any
// instance reaches the clients of every instance; the relay's instance killed, another leads within 5 s and a
// client resuming elsewhere misses nothing; a broken Redis subscription is caught up from the outbox.
import t from 'tap';
import { Redis } from 'ioredis';
import pg from 'pg';
import { signIn, startInstances, type Instance } from '../helpers/instances.js';
import { startPrivateRedis } from '../helpers/redis.js';
import { sseClient, type FeedClient } from '../helpers/events.js';
import { waitFor } from '../helpers/wait.js';

const LEADS = /events relay: this instance leads/;
const leads = (i: Instance) => i.server.lines.some((l) => LEADS.test(l));

async function newProject(via: Instance, headers: Record<string, string>, name: string, coordinator: string) {
  const res = await via.request('POST', '/api/v1/projects', {
    headers,
    body: { name, start_date: '2026-01-01', end_date: '2026-12-31', coordinator_id: coordinator },
  });
  if (res.status !== 201) throw new Error(`${res.status} ${res.body}`);
  return (JSON.parse(res.body) as { id: string }).id;
}

const rows = (c: FeedClient) => c.events.map((e) => e.row_id);

t.test('three instances: every client sees every write, and the relay can die', async (t) => {
  const redis = await startPrivateRedis();
  t.teardown(() => redis.stop());
  const { instances, database } = await startInstances(t, 3, {
    env: { REDIS_URL: redis.url, EVENTS_POLL_MS: '200' },
  });
  await waitFor(() => instances.filter(leads).length === 1, { what: 'one relay leading', timeout: 10_000 });
  t.equal(instances.filter(leads).length, 1, 'exactly one instance leads');

  // One LISTEN for the deployment: the other relays wait on the advisory lock (they LISTEN only once they lead).
  const relays = async () => {
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      return (
        await db.query<{ waiting: boolean }>(
          `SELECT wait_event_type = 'Lock' AND wait_event = 'advisory' AS waiting FROM pg_stat_activity
            WHERE datname = current_database() AND application_name LIKE '%-relay'`,
        )
      ).rows.map((r) => r.waiting);
    } finally {
      await db.end();
    }
  };
  await waitFor(async () => (await relays()).filter(Boolean).length === 2, {
    what: 'two relays queued on the lock',
    interval: 200,
  });
  t.same((await relays()).sort(), [false, true, true], 'three relay connections: one leads, two wait on the lock');

  const session = await signIn(instances[0]!);
  const me = JSON.parse((await instances[0]!.request('GET', '/api/v1/auth/me', { headers: session.headers })).body);
  const clients = instances.map((i) => sseClient(t, i.url, session.access_token));
  await Promise.all(clients.map((c) => c.ready));

  // One write through each instance: every client gets all three, in the same order.
  const written: string[] = [];
  for (const [n, i] of instances.entries()) written.push(await newProject(i, session.headers, `Via ${n}`, me.id));
  for (const [n, c] of clients.entries()) {
    await c.waitForEvents(3);
    t.same(rows(c), written, `instance ${n + 1}'s client got every write, in order`);
  }
  const order = clients[0]!.events.map((e) => e.position);
  for (const c of clients)
    t.same(
      c.events.map((e) => e.position),
      order,
      'same positions everywhere',
    );

  // Kill the leader; keep writing through the others at once.
  const leaderIndex = instances.findIndex(leads);
  const leader = instances[leaderIndex]!;
  const survivors = instances.filter((i) => i !== leader);
  const orphan = clients[leaderIndex]!;
  const lastSeen = orphan.events.at(-1)!.position;
  const killedAt = Date.now();
  await leader.stop('SIGKILL');
  const during: string[] = [];
  for (let n = 0; n < 4; n++)
    during.push(await newProject(survivors[n % 2]!, session.headers, `During failover ${n}`, me.id));
  await waitFor(() => survivors.some(leads), { what: 'another instance leading within 5 s', timeout: 5_000 });
  t.ok(Date.now() - killedAt < 10_000, `a new leader after ${Date.now() - killedAt} ms`);

  for (const i of survivors) {
    const c = clients[instances.indexOf(i)]!;
    await c.waitForEvents(7);
    t.same(rows(c), [...written, ...during], 'clients of the survivors lost nothing across the failover');
    t.equal(new Set(c.events.map((e) => e.position)).size, 7, 'and got nothing twice');
  }

  // The client of the dead instance resumes on a survivor from the last event it saw.
  const resumed = sseClient(t, survivors[0]!.url, session.access_token, { lastEventId: lastSeen });
  await resumed.ready;
  t.same(rows(resumed), during, 'exactly the events it missed, in order');
  const after = await newProject(survivors[1]!, session.headers, 'After failover', me.id);
  await resumed.waitForEvents(5);
  t.same(rows(resumed), [...during, after], 'then live again');

  // A broken Redis subscription: the outbox fills the gap.
  const admin = new Redis(redis.url);
  t.teardown(() => admin.quit());
  const killed = await admin.client('KILL', 'TYPE', 'pubsub');
  t.ok(Number(killed) >= 2, `${killed} subscriptions cut`);
  const burst: string[] = [];
  for (let n = 0; n < 5; n++) burst.push(await newProject(survivors[n % 2]!, session.headers, `Burst ${n}`, me.id));
  for (const i of survivors) {
    const c = clients[instances.indexOf(i)]!;
    await waitFor(() => burst.every((id) => rows(c).includes(id)), { what: 'the writes made meanwhile' });
    t.same(rows(c).slice(-5), burst, 'the writes made while subscriptions were down arrived, in order');
    t.equal(new Set(c.events.map((e) => e.position)).size, c.events.length, 'none twice');
  }
});

t.test('revocation closes the streams on every instance', async (t) => {
  const { instances } = await startInstances(t, 2);
  const session = await signIn(instances[0]!);
  const clients = instances.map((i) => sseClient(t, i.url, session.access_token));
  await Promise.all(clients.map((c) => c.ready));
  const out = await instances[1]!.request('POST', '/api/v1/auth/logout', { headers: session.headers });
  t.equal(out.status, 204);
  for (const [n, c] of clients.entries()) {
    await waitFor(() => c.closed(), { what: `the stream on instance ${n + 1} closing` });
    t.same(c.control.at(-1), { type: 'close', data: { reason: 'session_ended' } }, `instance ${n + 1}`);
  }
});
