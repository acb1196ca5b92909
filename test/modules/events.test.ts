// The change feed over SSE with a real client (the `eventsource` package): a write reaches a subscribed client,
// resume delivers exactly what was missed, in order, authorization is per event, and revocation closes streams.
import t, { type Test } from 'tap';
import pg from 'pg';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { admin, userWith, type TestUser } from '../helpers/auth.js';
import { sseClient, type FeedEvent } from '../helpers/events.js';
import { waitFor } from '../helpers/wait.js';
import { setupProject } from './case-fixtures.js';
import type { EventsService } from '../../apps/backend/src/modules/events/index.js';

async function listening(t: Test, env: Record<string, string> = {}, o: { redis?: false } = {}) {
  let events!: EventsService;
  const ctx = await buildTestApp(t, { env, ...o, extendApi: (api) => (events = api.events) });
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = ctx.app.server.address() as { port: number };
  return { ctx, events, url: `http://127.0.0.1:${port}` };
}

const post = (ctx: TestContext, u: TestUser, url: string, payload: object) =>
  ctx.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: u.headers, payload }).then((r) => {
    if (r.statusCode >= 300) throw new Error(`${url}: ${r.statusCode} ${r.body}`);
    return r.json() as { id: string; version?: number };
  });

const brief = (e: FeedEvent) => `${e.topic}/${e.row_id}/${e.action}`;

t.test('a write reaches a subscribed client, with ids and column names only', async (t) => {
  const { ctx, url } = await listening(t);
  const boss = await admin(ctx);
  const client = sseClient(t, url, boss.access_token);
  const start = await client.ready;
  t.match(start, /^[0-9a-f]{16}-[0-9a-f]{16}$/, 'ready carries the position it is live from');

  const b = await post(ctx, boss, '/beneficiaries', { full_name: 'Maria Aparecida Sigilosa', cpf: '52998224725' });
  const [created] = await client.waitForEvents(1);
  t.match(created, {
    topic: 'beneficiaries',
    row_id: b.id,
    action: 'insert',
    user_id: boss.id,
    changed_columns: null,
  });
  t.ok(created!.position > start, 'positions grow');
  t.notMatch(JSON.stringify(created), /Sigilosa|52998224725/, 'no personal value travels');

  await ctx.app.inject({
    method: 'PATCH',
    url: `/api/v1/beneficiaries/${b.id}`,
    headers: boss.headers,
    payload: { phone: '11987654321', version: 1 },
  });
  await ctx.app.inject({
    method: 'POST',
    url: `/api/v1/beneficiaries/${b.id}/archive`,
    headers: boss.headers,
    payload: { reason: 'moved away' },
  });
  const [, updated, archived] = await client.waitForEvents(3);
  t.same(updated!.changed_columns, ['phone', 'version'], 'an update names the columns it changed');
  t.equal(archived!.action, 'archive', 'a status change is named by its verb');
  t.ok(archived!.changed_columns!.includes('status'));
  t.ok(updated!.position < archived!.position);
});

t.test('without Redis (development, one instance) the instance relay delivers locally', async (t) => {
  const { ctx, url, events } = await listening(t, {}, { redis: false });
  t.equal(ctx.redis, null, 'no Redis');
  const boss = await admin(ctx);
  const client = sseClient(t, url, boss.access_token);
  await client.ready;
  await waitFor(() => events.status().leading, { what: 'the local relay leading' });
  const b = await post(ctx, boss, '/beneficiaries', { full_name: 'Sem Redis' });
  const [got] = await client.waitForEvents(1);
  t.equal(brief(got!), `beneficiaries/${b.id}/insert`);
  t.equal(events.status().subscribed, false, 'delivered by the local relay, not through a subscription');
});

t.test('resume after a disconnect delivers exactly the missed events, in order', async (t) => {
  const { ctx, url } = await listening(t);
  const boss = await admin(ctx);
  const first = sseClient(t, url, boss.access_token);
  await first.ready;
  const project = await setupProject(ctx, boss);
  const [seen] = await first.waitForEvents(1);
  t.equal(brief(seen!), `projects/${project.id}/insert`);
  first.close();

  // Missed while away: four changes across three topics.
  const b1 = await post(ctx, boss, '/beneficiaries', { full_name: 'Ana' });
  const b2 = await post(ctx, boss, '/beneficiaries', { full_name: 'Bia' });
  const e = await post(ctx, boss, '/enrollments', { beneficiary_id: b1.id, project_id: project.id });
  await ctx.app.inject({
    method: 'PATCH',
    url: `/api/v1/projects/${project.id}`,
    headers: boss.headers,
    payload: { description: 'new' },
  });
  const missed = [
    `beneficiaries/${b1.id}/insert`,
    `beneficiaries/${b2.id}/insert`,
    `enrollments/${e.id}/insert`,
    `projects/${project.id}/update`,
  ];

  for (const how of ['header', 'query'] as const) {
    const again = sseClient(
      t,
      url,
      boss.access_token,
      how === 'header' ? { lastEventIdHeader: seen!.position } : { lastEventId: seen!.position },
    );
    await again.ready;
    t.same(again.events.map(brief), missed, `${how}: the missed events, in order, before the stream is live`);
    const positions = again.events.map((x) => x.position);
    t.same(positions, [...positions].sort(), 'in position order');
    t.equal(new Set(positions).size, positions.length, 'none twice');
    again.close();
  }

  // After catching up, live events follow without a duplicate.
  const third = sseClient(t, url, boss.access_token, { lastEventId: seen!.position });
  await third.ready;
  const b3 = await post(ctx, boss, '/beneficiaries', { full_name: 'Cida' });
  const all = await third.waitForEvents(5);
  t.same(all.map(brief), [...missed, `beneficiaries/${b3.id}/insert`]);
});

t.test(
  'positions follow commit order: a lower id that commits later is still delivered, before the higher',
  async (t) => {
    const { ctx, url, events } = await listening(t);
    const boss = await admin(ctx);
    const client = sseClient(t, url, boss.access_token);
    await client.ready;
    const insert = (c: pg.Client, name: string) =>
      c.query(
        "INSERT INTO projects (name, start_date, end_date, coordinator_id) VALUES ($1, '2026-01-01', '2026-12-31', $2) RETURNING id",
        [name, boss.id],
      );
    const slow = new pg.Client({ connectionString: ctx.database.url });
    const fast = new pg.Client({ connectionString: ctx.database.url });
    await slow.connect();
    await fast.connect();
    t.teardown(() => Promise.all([slow.end(), fast.end()]));

    for (const variant of ['lower id and lower txid', 'lower id, higher txid'] as const) {
      client.events.length = 0;
      const mark = (await events.readAfter(null, { limit: 1000 })).next;
      await slow.query('BEGIN');
      await fast.query('BEGIN');
      if (variant === 'lower id, higher txid') await fast.query('SELECT pg_current_xact_id()'); // fast gets its xid first
      const a = (await insert(slow, `Slow ${variant}`)).rows[0].id as string; // the lower event id
      const b = (await insert(fast, `Fast ${variant}`)).rows[0].id as string; // a higher event id
      const ids = await ctx.db.many<{ id: string; row_id: string }>({
        text: "SELECT id, row_id FROM change_events WHERE topic = 'projects' AND row_id = ANY($1) ORDER BY id",
        values: [[a, b]],
      });
      t.equal(ids.length, 0, 'nothing is visible before either commits');
      await fast.query('COMMIT'); // the higher id commits first
      const reads = events.status().relayReads;
      await waitFor(() => events.status().relayReads > reads + 1, { what: 'the relay reading after the commit' });
      const early = await events.readAfter(mark, { topics: ['projects'], limit: 100 });
      const fastFirst = variant === 'lower id, higher txid';
      t.same(
        early.events.map((e) => e.row_id),
        fastFirst ? [b] : [],
        fastFirst
          ? 'fast took its transaction id first: its event is ordered first and delivered at once'
          : 'held back while a transaction that could add a smaller position is still open',
      );
      t.same(
        client.events.map((e) => e.row_id),
        early.events.map((e) => e.row_id),
        'the client saw the same',
      );
      await slow.query('COMMIT');
      const got = await client.waitForEvents(2);
      const order = fastFirst ? [b, a] : [a, b];
      t.same(
        got.map((e) => e.row_id),
        order,
        `${variant}: both delivered, in position order`,
      );
      t.ok(got[0]!.position < got[1]!.position, 'positions strictly grow in delivery order');
      // A client that resumes from the first never misses the second, and vice versa gets nothing older.
      const after = await events.readAfter(got[0]!.position, { topics: ['projects'] });
      t.same(
        after.events.map((e) => e.row_id),
        [order[1]],
      );
    }
  },
);

t.test('a viewer without enrollments:read never sees enrolment events', async (t) => {
  const { ctx, url } = await listening(t);
  const boss = await admin(ctx);
  const viewer = await userWith(ctx, ['beneficiaries:read', 'projects:read']);
  const denied = await fetch(`${url}/api/v1/events/stream?topics=enrollments`, { headers: viewer.headers });
  t.equal(denied.status, 403, 'asking for the topic is refused');
  t.match(await denied.json(), { code: 'forbidden', detail: /enrollments \(needs enrollments:read\)/ });
  const unknown = await fetch(`${url}/api/v1/events/stream?topics=salaries`, { headers: viewer.headers });
  t.equal(unknown.status, 400);

  const live = sseClient(t, url, viewer.access_token);
  const start = await live.ready;
  const project = await setupProject(ctx, boss);
  const b = await post(ctx, boss, '/beneficiaries', { full_name: 'Joana' });
  const e = await post(ctx, boss, '/enrollments', { beneficiary_id: b.id, project_id: project.id });
  await post(ctx, boss, `/enrollments/${e.id}/approve`, {});
  const sentinel = await post(ctx, boss, '/beneficiaries', { full_name: 'Sentinela' });
  const got = await live.waitForEvents(3);
  t.same(got.map(brief), [
    `projects/${project.id}/insert`,
    `beneficiaries/${b.id}/insert`,
    `beneficiaries/${sentinel.id}/insert`,
  ]);
  t.notOk(
    live.events.some((x) => x.topic === 'enrollments'),
    'the enrolment events, older than the sentinel, never came',
  );
  const replay = sseClient(t, url, viewer.access_token, { lastEventId: start });
  await replay.ready;
  t.same(replay.events.map(brief), got.map(brief), 'nor when catching up from the outbox');

  const narrow = sseClient(t, url, viewer.access_token, { topics: 'projects', lastEventId: start });
  await narrow.ready;
  t.same(narrow.events.map(brief), [`projects/${project.id}/insert`], '?topics= narrows the stream');
});

t.test('a revoked session or a deactivated user: their streams close, others stay', async (t) => {
  const { ctx, url, events } = await listening(t);
  const boss = await admin(ctx);
  const alice = await userWith(ctx, { role: 'viewer' }, 'Alice');
  const bob = await userWith(ctx, { role: 'viewer' }, 'Bob');
  const aliceStream = sseClient(t, url, alice.access_token);
  const bobStream = sseClient(t, url, bob.access_token);
  const bossStream = sseClient(t, url, boss.access_token);
  await Promise.all([aliceStream.ready, bobStream.ready, bossStream.ready]);

  const out = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: alice.headers });
  t.equal(out.statusCode, 204);
  await waitFor(() => aliceStream.closed(), { what: "Alice's stream closing" });
  t.same(aliceStream.control.at(-1), { type: 'close', data: { reason: 'session_ended' } });

  const off = await ctx.app.inject({
    method: 'POST',
    url: `/api/v1/users/${bob.id}/deactivate`,
    headers: boss.headers,
  });
  t.equal(off.statusCode, 200);
  await waitFor(() => bobStream.closed(), { what: "Bob's stream closing" });
  t.match(bobStream.control.at(-1)?.data, { reason: /^(access_changed|session_ended)$/ });

  t.notOk(bossStream.closed(), 'the others stay open');
  const p = await setupProject(ctx, boss);
  const [e] = await bossStream.waitForEvents(1);
  t.equal(e!.row_id, p.id);
  t.same(events.status().streams, 1);
});
