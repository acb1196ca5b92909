// platform/replicas.ts against a real PostgreSQL: which replica a read may use (fence, lag, freshness, round
// robin), and a routed read or read-only transaction that the replica cannot serve runs on the primary. The
// background checks are not started here, so each replica's state is what the test sets: a real streaming
// replica is in test/replicas/read-replicas.test.ts.
import pino from 'pino';
import t from 'tap';
import { createDb, DbError } from '../../apps/backend/src/platform/db.js';
import { freePort } from '../../apps/backend/src/platform/embedded.js';
import { formatLsn, parseLsn, replicaUnavailable, type Replica } from '../../apps/backend/src/platform/replicas.js';
import { createTestDatabase } from '../helpers/db.js';

t.test('pg_lsn text and numbers', async (t) => {
  t.equal(parseLsn('16/B374D848'), 0x16b374d848n);
  t.equal(parseLsn('0/0'), 0n);
  t.equal(formatLsn(parseLsn('FFFFFFFF/1')), 'FFFFFFFF/1');
  t.ok(parseLsn('1/0') > parseLsn('0/FFFFFFFF'), 'compared as positions, not as text');
  t.throws(() => parseLsn('16-B374'), /not a pg_lsn/);
});

t.test('what sends a read back to the primary', async (t) => {
  t.ok(replicaUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })));
  t.ok(replicaUnavailable(new Error('Connection terminated unexpectedly')));
  const pgError = (code: string) => Object.assign(new Error(code), { code, severity: 'ERROR' });
  t.ok(replicaUnavailable(pgError('57P01')), 'the replica shutting down');
  t.ok(replicaUnavailable(pgError('40001')), 'a statement cancelled for a conflict with recovery');
  t.ok(replicaUnavailable(new DbError(503, 'database_unavailable', 'x', '08006', undefined)), 'mapped already');
  t.notOk(replicaUnavailable(pgError('42P01')), 'a bug in the statement is not the replica’s fault');
  t.notOk(replicaUnavailable(new DbError(409, 'already_exists', 'x', '23505', undefined)));
});

t.test('routing and falling back, on a real primary', async (t) => {
  const database = await createTestDatabase({ template: false });
  t.teardown(() => database.drop());
  const closed = await freePort(); // nothing listens there: a replica that is down
  const replicaUrl = (name: string) => `postgres://app:pw@127.0.0.1:${closed}/${name}`;
  /** A pool on the test database whose replicas are `urls`; the background checks are never started here. */
  const withReplicas = (urls: string[]) =>
    createDb({
      connectionString: database.url,
      max: 3,
      statementTimeoutMs: 5_000,
      idleTimeoutMs: 10_000,
      connectTimeoutMs: 2_000,
      applicationName: 'acolhe-replicas-test',
      slowQueryMs: 10_000,
      log: pino({ level: 'silent' }),
      replicas: { urls, maxLagMs: 1_000 },
    });
  const db = withReplicas([replicaUrl('a'), replicaUrl('b')]);
  t.teardown(() => db.close());
  const set = db.replicas!;
  const [a, b] = set.replicas as [Replica, Replica];
  const state = (r: Replica, s: Partial<Replica>) =>
    Object.assign(r, { up: true, lagMs: 0, replayLsn: 100n, checkedAt: Date.now(), ...s });

  await t.test('a replica must be up, fresh, close enough and past the fence', async (t) => {
    state(a, { replayLsn: 100n });
    state(b, { replayLsn: 50n });
    t.equal(set.pick(80n), a, 'only a has replayed position 80');
    t.equal(set.pick(200n), null, 'nobody has 200: the primary');
    const names = new Set([set.pick(null)!.name, set.pick(null)!.name]);
    t.equal(names.size, 2, 'without a fence, round robin over both');
    state(a, { lagMs: 1_500 });
    t.equal(set.pick(null), b, 'a lags beyond REPLICA_MAX_LAG_MS');
    state(b, { checkedAt: Date.now() - 60_000 });
    t.equal(set.pick(null), null, 'b was not checked lately');
    t.notOk(set.anyUsable());
    state(b, { up: false });
    t.equal(set.pick(null), null, 'b is down');
    t.equal(a.name, `127.0.0.1:${closed}/a`, 'named by host, port and database, never credentials');
  });

  await t.test('a routed read the replica cannot serve runs on the primary', async (t) => {
    state(a, {});
    state(b, { up: false });
    const reader = db.reader(null);
    t.equal((reader as { target: string }).target, a.name, 'routed to a');
    const before = set.reads().primary;
    t.same(await db.many({ text: 'SELECT 1 AS one' }, reader), [{ one: 1 }]);
    t.equal(a.up, false, 'a is skipped from now on');
    t.equal(set.reads().primary, before + 1, 'counted as a read on the primary');
    t.same(await db.many({ text: 'SELECT 2 AS two' }, reader), [{ two: 2 }], 'the rest of the request too');
  });

  await t.test('a read-only transaction the replica cannot serve runs again on the primary', async (t) => {
    state(a, {});
    const reader = db.reader(null);
    const result = await db.transaction(
      async (tx) =>
        (await tx.query<{ ro: string }>("SELECT current_setting('transaction_read_only') AS ro")).rows[0]!.ro,
      { readOnly: true, reader },
    );
    t.equal(result, 'on', 'read-only, on the primary');
    t.equal(a.up, false);

    // The replica answers at first, then its connection dies inside the transaction: the whole transaction is
    // run again on the primary. (The "replica" here is the primary itself, so the test can kill the connection.)
    const selfAsReplica = withReplicas([database.url]);
    t.teardown(() => selfAsReplica.close());
    const r = state(selfAsReplica.replicas!.replicas[0]!, {});
    let attempts = 0;
    const pids = await selfAsReplica.transaction(
      async (tx) => {
        attempts++;
        const { pid } = (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!;
        if (attempts === 1) await tx.query('SELECT pg_terminate_backend(pg_backend_pid())'); // dies here
        return pid;
      },
      { readOnly: true, reader: selfAsReplica.reader(null) },
    );
    t.equal(attempts, 2, 'run again after the connection died');
    t.ok(pids > 0);
    t.equal(r.up, false, 'the replica is skipped');
    t.equal(selfAsReplica.replicas!.reads().primary, 1, 'the second run was on the primary');
  });
});
