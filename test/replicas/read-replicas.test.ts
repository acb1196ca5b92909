// Read replicas with read-your-writes, on a real streaming replica of the test server (test/helpers/replica.ts):
// lists, searches, reports and exports move to the replica once it has caught up; a caller's own write (a record,
// a report refresh) is seen at once (the read goes to the primary while the replica has not replayed it); a
// replica lagging beyond REPLICA_MAX_LAG_MS is skipped; stopping the replica keeps every read working; the lag
// and the reads by target are in /metrics.
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { admin, userWith, type TestUser } from '../helpers/auth.js';
import { createTestDatabase } from '../helpers/db.js';
import { startReplica } from '../helpers/replica.js';
import { waitFor } from '../helpers/wait.js';

t.test('read replicas: read-your-writes, lag, failover to the primary', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const replica = await startReplica();
  t.teardown(() => replica.remove());
  const ctx = await buildTestApp(t, {
    database,
    env: { DATABASE_REPLICA_URLS: replica.url(database.name), REPLICA_MAX_LAG_MS: '1000' },
  });
  const replicas = ctx.db.replicas!;
  const target = replicas.replicas[0]!.name;
  const onReplica = () => replicas.reads().replicas[0]!.reads;
  const onPrimary = () => replicas.reads().primary;
  const writer = await admin(ctx);
  const other = await userWith(ctx, ['beneficiaries:read']);

  const list = (who: TestUser, query = 'limit=100') =>
    ctx.app.inject({ method: 'GET', url: `/api/v1/beneficiaries?${query}`, headers: who.headers });
  const names = async (who: TestUser, query?: string) => {
    const res = await list(who, query);
    if (res.statusCode !== 200) throw new Error(`list answered ${res.statusCode}: ${res.body}`);
    return (res.json().data as { full_name: string }[]).map((b) => b.full_name);
  };
  /** Runs `read` until it ran where expected (the replica's state is checked in the background). */
  const servedBy = async (where: 'replica' | 'primary', read: () => Promise<unknown>, what: string) => {
    await waitFor(
      async () => {
        const [r, p] = [onReplica(), onPrimary()];
        await read();
        return where === 'replica' ? onReplica() > r && onPrimary() === p : onPrimary() > p && onReplica() === r;
      },
      { timeout: 20_000, interval: 50, what },
    );
  };

  await t.test('reads move to the replica once it has caught up', async (t) => {
    await servedBy('replica', () => names(writer), 'a list served by the replica');
    await servedBy('replica', () => names(writer, 'q=Maria'), 'a search (read-only transaction) served by the replica');
    t.pass('lists and searches run on the replica');
    await t.rejects(
      ctx.db.transaction(async () => null, { reader: ctx.db.reader(null) }),
      /only a read-only transaction may run on a replica/,
      'a transaction that may write never runs on a replica',
    );
  });

  await t.test('reports and their exports run on the replica; a refresh is read back at once', async (t) => {
    const report = () => ctx.app.inject({ method: 'GET', url: '/api/v1/reports/attendance', headers: writer.headers });
    const csv = async () => {
      const res = await ctx.app.inject({
        method: 'GET',
        url: '/api/v1/reports/attendance/export?format=csv',
        headers: writer.headers,
      });
      if (res.statusCode !== 200) throw new Error(`export answered ${res.statusCode}: ${res.body}`);
      return res;
    };
    await servedBy('replica', report, 'a report served by the replica');
    await servedBy('replica', csv, 'an export (a cursor) streamed from the replica');
    t.match((await csv()).headers['content-type'], /text\/csv/);

    await replica.pauseReplay();
    const refreshed = await ctx.app.inject({ method: 'POST', url: '/api/v1/reports/refresh', headers: writer.headers });
    t.equal(refreshed.statusCode, 200, 'refreshed through the primary');
    const before = onReplica();
    const answer = await report();
    t.equal(answer.statusCode, 200);
    t.equal(answer.json().refresh_id, refreshed.json().id, 'the report is as of the refresh just made');
    t.equal(onReplica(), before, 'read on the primary: the replica has not replayed the refresh');
    await replica.resumeReplay();
    await servedBy('replica', report, 'reports back on the replica once it has replayed the refresh');
    t.equal((await report()).json().refresh_id, refreshed.json().id, 'the replica has it too');
  });

  await t.test('a write is read back at once, from the primary until the replica has replayed it', async (t) => {
    await replica.pauseReplay();
    const before = { replica: onReplica(), primary: onPrimary() };
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/beneficiaries',
      headers: writer.headers,
      payload: { full_name: 'Joana Réplica Santos' },
    });
    t.equal(created.statusCode, 201);
    t.ok((await names(writer)).includes('Joana Réplica Santos'), 'create then list: the new row is there');
    t.ok((await names(writer, 'q=Joana')).includes('Joana Réplica Santos'), 'and the search finds it');
    t.equal(onReplica(), before.replica, 'not from the replica, which has not replayed the write');
    t.ok(onPrimary() >= before.primary + 2, 'from the primary');
    const [paused] = await replica.query<{ visible: boolean }>('SELECT pg_is_wal_replay_paused() AS visible');
    t.ok(paused!.visible, 'the replica really is behind');

    // Someone who wrote nothing may read slightly stale data, but never from a replica beyond the lag allowed.
    await servedBy('primary', () => names(other), 'a replica lagging beyond REPLICA_MAX_LAG_MS skipped for everyone');
    t.ok(replicas.replicas[0]!.lagMs! > 1000, `skipped for its lag (${replicas.replicas[0]!.lagMs} ms)`);

    await replica.resumeReplay();
    await servedBy('replica', () => names(writer), 'the writer’s reads back on the replica once it has replayed');
    t.ok((await names(writer)).includes('Joana Réplica Santos'), 'where the row now is');
  });

  await t.test('the lag and the reads by target are in /metrics', async (t) => {
    const metrics = (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body;
    const value = (name: string, label: string) =>
      Number(new RegExp(`^${name}\\{${label}\\} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    t.ok(value('acolhe_db_reads_total', `target="${target}"`) > 0, 'reads on the replica');
    t.ok(value('acolhe_db_reads_total', 'target="primary"') > 0, 'reads on the primary');
    t.equal(value('acolhe_db_replica_up', `replica="${target}"`), 1);
    t.ok(value('acolhe_db_replica_lag_seconds', `replica="${target}"`) >= 0, 'the lag is measured');
    t.notMatch(metrics, /acolhe_db_replica_up\{replica="[^"]*@/, 'the label never holds credentials');
  });

  await t.test('stopping the replica keeps every read working', async (t) => {
    await servedBy('replica', () => names(writer), 'the replica in use before it stops');
    await replica.stop();
    const reads = await Promise.all(
      Array.from({ length: 10 }, (_, i) => list(writer, i % 2 ? 'q=Joana' : 'limit=100')),
    );
    t.same(
      reads.map((r) => r.statusCode),
      Array(10).fill(200),
      'every read answered, from the primary',
    );
    t.ok(reads.every((r) => r.body.includes('Joana Réplica Santos')));
    await waitFor(() => !replicas.replicas[0]!.up, { what: 'the replica marked down' });
    const metrics = (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body;
    t.match(metrics, new RegExp(`acolhe_db_replica_up\\{replica="${target.replace(/[./]/g, '\\$&')}"\\} 0`));
    await servedBy('primary', () => names(writer), 'reads stay on the primary while it is down');
  });
});
