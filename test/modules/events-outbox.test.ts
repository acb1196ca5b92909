// The outbox itself: what the triggers write for each business table (ids, actions and column names, never a
// personal value), NOTIFY as a wake-up (one per transaction, a payload independent of the data), the one reader
// other modules use (readAfter), and retention: pruning and the reset a too-old position gets.
import t, { type Test } from 'tap';
import pg from 'pg';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { admin, type TestUser } from '../helpers/auth.js';
import { sseClient } from '../helpers/events.js';
import { waitFor } from '../helpers/wait.js';
import { AROUND_TODAY, approvedBeneficiary, setupProject, setupWorkshop } from './case-fixtures.js';
import type { EventsService } from '../../apps/backend/src/modules/events/index.js';

async function withEvents(t: Test, env: Record<string, string> = {}) {
  let events!: EventsService;
  const ctx = await buildTestApp(t, { env, extendApi: (api) => (events = api.events) });
  return { ctx, events };
}

const call = (
  ctx: TestContext,
  u: TestUser,
  method: 'POST' | 'PUT' | 'DELETE' | 'PATCH',
  url: string,
  payload?: unknown,
) =>
  ctx.app
    .inject({
      method,
      url: `/api/v1${url}`,
      headers: u.headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    .then((r) => {
      if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
      return r.body ? r.json() : null;
    });

t.test('each business table writes its events in the writing transaction, with no personal values', async (t) => {
  const { ctx, events } = await withEvents(t);
  const boss = await admin(ctx);
  const start = (await events.readAfter(null, { limit: 1000 })).next;
  const project = await setupProject(ctx, boss, AROUND_TODAY);
  const w = (await setupWorkshop(ctx, boss, project.id, { ...AROUND_TODAY, weekdays: [1, 2, 3, 4, 5, 6, 7] })).json();
  const { beneficiaryId, enrollmentId } = await approvedBeneficiary(ctx, boss, project.id, 'Lúcia Confidencial');
  await call(ctx, boss, 'POST', `/workshops/${w.id}/participants`, { beneficiary_id: beneficiaryId });
  const today = (
    await ctx.db.one<{ d: string }>({ text: "SELECT (now() AT TIME ZONE 'America/Sao_Paulo')::date AS d" })
  ).d;
  const row = [{ beneficiary_id: beneficiaryId, present: true, note: 'chegou cedo' }];
  await call(ctx, boss, 'PUT', `/workshops/${w.id}/attendance/${today}`, row);
  await call(ctx, boss, 'PUT', `/workshops/${w.id}/attendance/${today}`, [{ ...row[0], present: false }]);
  await call(ctx, boss, 'PUT', `/workshops/${w.id}/attendance/${today}`, []);
  await call(ctx, boss, 'DELETE', `/workshops/${w.id}/participants/${beneficiaryId}`);

  const got = await events.readAfter(start, { limit: 1000 });
  const seen = got.events.map((e) => `${e.topic}:${e.action}:${e.row_id}`);
  t.same(seen, [
    `projects:insert:${project.id}`,
    `workshops:insert:${w.id}`,
    `beneficiaries:insert:${beneficiaryId}`,
    `enrollments:insert:${enrollmentId}`,
    `enrollments:approve:${enrollmentId}`,
    `workshop_participants:insert:${w.id}:${beneficiaryId}`,
    `workshops:update:${w.id}`, // participant_count
    `attendance:record:${w.id}:${today}`, // one event per sheet and transaction, whatever its rows
    `attendance:record:${w.id}:${today}`,
    `attendance:record:${w.id}:${today}`,
    `workshop_participants:delete:${w.id}:${beneficiaryId}`,
    `workshops:update:${w.id}`,
  ]);
  const approve = got.events[4]!;
  t.same(approve.changed_columns, ['decided_at', 'decided_by', 'status', 'version'], 'column names only');
  t.same(got.events[6]!.changed_columns, ['participant_count']);
  t.ok(
    got.events.every((e) => e.user_id === boss.id),
    'the acting user on every event',
  );

  const all = await ctx.db.many({ text: 'SELECT * FROM change_events' });
  t.notMatch(JSON.stringify(all), /Lúcia|Confidencial|chegou/, 'no personal value in the outbox');
  t.equal(got.reset, false);
});

t.test('NOTIFY is a wake-up: at most one per transaction, the same payload whatever the data', async (t) => {
  const { ctx } = await withEvents(t);
  const boss = await admin(ctx);
  const listener = new pg.Client({ connectionString: ctx.database.url });
  await listener.connect();
  t.teardown(() => listener.end());
  const received: string[] = [];
  listener.on('notification', (n) => received.push(`${n.channel}:${n.payload}`));
  await listener.query('LISTEN change_events');

  const writer = new pg.Client({ connectionString: ctx.database.url });
  await writer.connect();
  t.teardown(() => writer.end());
  await writer.query('BEGIN');
  await writer.query("SELECT set_config('app.user_id', $1, true)", [boss.id]);
  for (const name of ['Alfa', 'Bravo', 'Charlie'])
    await writer.query(
      "INSERT INTO projects (name, start_date, end_date, coordinator_id) VALUES ($1, '2026-01-01', '2026-12-31', $2)",
      [`Notify ${name} ${'x'.repeat(150)}`, boss.id],
    );
  await writer.query("UPDATE projects SET description = 'changed' WHERE name LIKE 'Notify%'");
  await writer.query('COMMIT');
  // Notifications arrive in commit order: once the sentinel is here, everything before it is too.
  await writer.query("NOTIFY change_events, 'sentinel'");
  await waitFor(() => received.includes('change_events:sentinel'), { what: 'the sentinel notification' });
  t.same(received, ['change_events:', 'change_events:sentinel'], 'one empty wake-up for seven events');
  const n = await ctx.db.one<{ n: number }>({
    text: "SELECT count(*)::int AS n FROM change_events WHERE topic = 'projects'",
  });
  t.equal(n.n, 6, 'three inserts and three updates');
});

t.test('readAfter: the one reader, in pages, by topic, with the next position to go on from', async (t) => {
  const { ctx, events } = await withEvents(t);
  const boss = await admin(ctx);
  const start = (await events.readAfter(null, { limit: 1000 })).next;
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await call(ctx, boss, 'POST', '/beneficiaries', { full_name: `B${i}` })).id);
  const p = await setupProject(ctx, boss);

  const page1 = await events.readAfter(start, { limit: 2 });
  t.same(
    page1.events.map((e) => e.row_id),
    ids.slice(0, 2),
  );
  t.equal(page1.next, page1.events[1]!.position, 'a full page goes on from its last event');
  const page2 = await events.readAfter(page1.next, { limit: 10 });
  t.same(
    page2.events.map((e) => e.row_id),
    [...ids.slice(2), p.id],
  );
  const empty = await events.readAfter(page2.next, { limit: 10 });
  t.same(empty, { events: [], next: page2.next, reset: false }, 'nothing new: the same position');

  const projects = await events.readAfter(start, { limit: 10, topics: ['projects'] });
  t.same(
    projects.events.map((e) => e.topic),
    ['projects'],
  );
  const none = await events.readAfter(projects.next, { limit: 10, topics: ['enrollments'] });
  t.same(none.events, []);
  t.equal(none.next, page2.next, 'a filtered read still moves past the events of other topics');

  await t.rejects(events.readAfter('not-a-position'), /not a position/);
  await t.rejects(events.readAfter(null, { topics: ['salaries'] }), /unknown topics salaries/);
});

t.test('retention: prune deletes the oldest events; a position from before them gets a reset', async (t) => {
  const { ctx, events } = await withEvents(t, { EVENTS_RETENTION_HOURS: '1' });
  const boss = await admin(ctx);
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(ctx.app.server.address() as { port: number }).port}`;

  await setupProject(ctx, boss);
  const old = await setupProject(ctx, boss);
  const oldEvents = await events.readAfter(null, { limit: 1000 });
  t.equal(oldEvents.events.length, 2);
  const before = oldEvents.events.at(-1)!;
  t.equal(before.row_id, old.id);
  // Age what is there by two hours; a new event stays young.
  await ctx.db.execute({ text: "UPDATE change_events SET created_at = created_at - interval '2 hours'" });
  const kept = await setupProject(ctx, boss);
  const { ticket } = await call(ctx, boss, 'POST', '/events/tickets');
  await ctx.db.execute({
    text: "UPDATE event_tickets SET created_at = now() - interval '2 minutes', expires_at = now() - interval '1 minute'",
  });

  const pruned = await events.prune();
  t.same(pruned, { events: oldEvents.events.length, tickets: 1 }, 'the old events and the expired ticket went');
  t.ok(ticket);
  const rest = await events.readAfter(null, { limit: 1000 });
  t.equal(rest.reset, true, 'reading from the start: events were pruned');
  const fromOld = await events.readAfter(oldEvents.events[0]!.position, { limit: 1000 });
  t.equal(fromOld.reset, true, 'a position older than the retention: reset');
  t.same(fromOld.events, []);
  const fromNext = await events.readAfter(fromOld.next, { limit: 1000 });
  t.same(fromNext.events, [], 'reset goes on from the newest position');
  const fromLast = await events.readAfter(before.position, { limit: 1000 });
  t.equal(fromLast.reset, false, 'the last pruned event itself: nothing after it was lost');
  t.same(
    fromLast.events.map((e) => e.row_id),
    [kept.id],
  );
  t.same(await events.prune(), { events: 0, tickets: 0 }, 'pruning again finds nothing');

  // A client resuming from before the retention gets `reset`, then goes on live.
  const client = sseClient(t, url, boss.access_token, { lastEventId: oldEvents.events[0]!.position });
  const live = await client.ready;
  t.same(client.control[0], { type: 'reset', data: { position: live, reason: 'retention' } });
  t.same(client.events, [], 'nothing replayed across the gap');
  const fresh = await setupProject(ctx, boss);
  t.equal((await client.waitForEvents(1))[0]!.row_id, fresh.id);

  // A position this database never handed out (say, from before a restore): reset too.
  const future = await events.readAfter('00000000ffffffff-0000000000000001', { limit: 10 });
  t.equal(future.reset, true);
});
