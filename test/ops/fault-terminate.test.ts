// Every server connection terminated (pg_terminate_backend) while requests run: those requests fail fast with
// a 503 problem+json, later requests succeed without a restart, and no acknowledged write is lost.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { buildTestApp } from '../helpers/app.js';
import { admin } from '../helpers/auth.js';
import { waitFor } from '../helpers/wait.js';

const PASSWORD = 'Fault-test-password-2026!';

t.test('connections terminated under load', async (t) => {
  const ctx = await buildTestApp(t);
  const boss = await admin(ctx);
  const adminClient = new pg.Client({ connectionString: ctx.database.adminUrl });
  await adminClient.connect();
  t.teardown(() => adminClient.end());
  const terminateAll = () =>
    adminClient.query(
      'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [ctx.database.name],
    );

  const createUser = (email: string) =>
    ctx.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: boss.headers,
      payload: { email, name: 'Fault Test', role: 'admin', password: PASSWORD },
    });
  const tag = randomBytes(3).toString('hex');
  const email = (i: number | string) => `fault-${tag}-${i}@acolhe.test`;

  // One request held in flight for sure: it waits on the unique index behind another session's uncommitted insert.
  const holder = new pg.Client({ connectionString: ctx.database.url, application_name: 'fault-holder' });
  holder.on('error', () => {});
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query(
    "INSERT INTO users (email, name, password_hash, role) VALUES ($1, 'Holder', '$argon2id$x', 'admin')",
    [email('held')],
  );
  const held = createUser(email('held'));
  await waitFor(
    async () =>
      (
        await adminClient.query("SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [
          ctx.database.name,
        ])
      ).rowCount,
    { timeout: 60_000, interval: 200, what: 'the request waiting on the lock' },
  );

  // And a burst of writes racing the terminations.
  const burst = Array.from({ length: 30 }, (_, i) => createUser(email(i)));
  const { rows } = await terminateAll();
  t.ok(rows[0]!.n >= 2, `terminated ${rows[0]!.n} backends`);
  // Kill every connection the app opens again until the burst has settled, so some die mid-transaction.
  let settled = false;
  const allSettled = Promise.allSettled(burst).then(() => (settled = true));
  let rounds = 0;
  while (!settled) {
    await waitFor(async () => settled || (await terminateAll()).rows[0]!.n > 0, {
      timeout: 60_000,
      what: 'a connection to terminate',
    });
    rounds++;
  }
  await allSettled;
  t.ok(rounds > 0, `${rounds} rounds of terminations during the burst`);

  const heldRes = await held;
  t.equal(heldRes.statusCode, 503, 'the request in flight fails with 503');
  t.match(heldRes.headers['content-type'], /application\/problem\+json/);
  t.match(heldRes.json(), { status: 503, code: 'database_unavailable' });
  t.notMatch(heldRes.body, /terminat|57P01|pg_/i, 'no driver message leaks');

  const results = await Promise.all(burst);
  const statuses = results.map((r) => r.statusCode);
  t.ok(
    statuses.every((s) => s === 201 || s === 503),
    `only 201 or 503: ${statuses.filter((s) => s === 201).length} created, ${statuses.filter((s) => s === 503).length} refused`,
  );
  for (const r of results.filter((r) => r.statusCode === 503))
    t.match(r.headers['content-type'], /application\/problem\+json/);
  const acknowledged = results.flatMap((r, i) => (r.statusCode === 201 ? [email(i)] : []));

  // Later requests succeed on the same app: the pool replaced its dead connections.
  const later = await Promise.all(Array.from({ length: 5 }, (_, i) => createUser(email(`later-${i}`))));
  t.same(
    later.map((r) => r.statusCode),
    [201, 201, 201, 201, 201],
    'later writes succeed without a restart',
  );
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${boss.id}`, headers: boss.headers })).statusCode,
    200,
  );
  acknowledged.push(...Array.from({ length: 5 }, (_, i) => email(`later-${i}`)));

  const present = await ctx.db.many<{ email: string }>({
    text: 'SELECT email::text AS email FROM users WHERE email::text = ANY($1::text[])',
    values: [acknowledged],
  });
  t.equal(present.length, acknowledged.length, `every acknowledged write (${acknowledged.length}) is in the database`);
  t.notOk(
    (await ctx.db.many({ text: 'SELECT 1 FROM users WHERE email::text = $1', values: [email('held')] })).length,
    'the terminated holder rolled back',
  );
});
