// Issue 18's many-instances proof: three API processes on one PostgreSQL and one Redis behave as one service,
// deployed as issue 18 deploys them: their pools through one PgBouncer in transaction mode (5 server connections),
// their sessions (migrations, locks) on PostgreSQL itself (DIRECT_DATABASE_URL).
// Here: a role's permission change applies on every instance at the next request; a session ended by an
// administrator (deactivation) fails on every instance at the next request; the sign-in throttle counts
// failures made on different instances together; a settings change is served by every instance within the
// cache's bound (1 s, docs/development.md "Caching"); an event written through any instance reaches the stream
// clients of all three, with one relay leading on its own direct session (never a pooled connection).
// (Sign-out through one instance ending the session on all three is test/cluster/instances.test.ts; read-your-
// writes across instances is test/replicas/.)
import pg from 'pg';
import t from 'tap';
import { createTestDatabase } from '../helpers/db.js';
import { sseClient } from '../helpers/events.js';
import { signIn, startInstances, type Instance } from '../helpers/instances.js';
import { startPgBouncer } from '../helpers/pgbouncer.js';
import { waitFor } from '../helpers/wait.js';

t.test('three instances, one service: permissions, revocation, throttle, settings, the change feed', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const bouncer = await startPgBouncer({ poolSize: 5 });
  t.teardown(() => bouncer.stop());
  const { instances } = await startInstances(t, 3, {
    database,
    env: {
      DATABASE_URL: bouncer.url(database.name),
      DATABASE_PREPARED_STATEMENTS: 'false',
      DIRECT_DATABASE_URL: database.url,
      LOGIN_MAX_ATTEMPTS: '3',
      EVENTS_POLL_MS: '200',
    },
  });
  const [one, two, three] = instances as [Instance, Instance, Instance];
  const admin = await signIn(one);
  const json = (body: string) => JSON.parse(body) as Record<string, unknown>;
  const everywhere = (path: string, headers: Record<string, string>) =>
    Promise.all(instances.map(async (i) => (await i.request('GET', path, { headers })).status));

  const role = await one.request('POST', '/api/v1/roles', {
    headers: admin.headers,
    body: { name: 'cluster_staff', description: 'scale-out test', permissions: ['users:manage'] },
  });
  t.equal(role.status, 201, 'role created through instance 1');
  const password = 'Cluster-staff-passphrase-2026';
  const user = await two.request('POST', '/api/v1/users', {
    headers: admin.headers,
    body: { email: 'cluster.staff@acolhe.test', name: 'Cluster Staff', role: 'cluster_staff', password },
  });
  t.equal(user.status, 201, 'user created through instance 2');
  const staff = await signIn(three, 'cluster.staff@acolhe.test', password);

  t.same(await everywhere('/api/v1/users', staff.headers), [200, 200, 200], 'allowed on every instance (now cached)');
  const changed = await two.request('PUT', '/api/v1/roles/cluster_staff/permissions', {
    headers: admin.headers,
    body: { permissions: ['roles:read'] },
  });
  t.equal(changed.status, 200, 'permissions changed through instance 2');
  t.same(await everywhere('/api/v1/users', staff.headers), [403, 403, 403], 'refused on every instance at once');
  t.same(await everywhere('/api/v1/roles', staff.headers), [200, 200, 200], 'the new permission works everywhere');

  const deactivated = await three.request('POST', `/api/v1/users/${String(json(user.body).id)}/deactivate`, {
    headers: admin.headers,
  });
  t.equal(deactivated.status, 200, 'deactivated through instance 3');
  t.same(await everywhere('/api/v1/roles', staff.headers), [401, 401, 401], 'the session fails on every instance');

  // LOGIN_MAX_ATTEMPTS=3 failures per e-mail, one on each instance: the fourth attempt is refused on any of them.
  const attempt = (i: Instance, pw: string) =>
    i.request('POST', '/api/v1/auth/login', { body: { email: 'cluster.staff@acolhe.test', password: pw } });
  t.same(
    await Promise.all([one, two, three].map(async (i) => (await attempt(i, 'wrong-password-123')).status)),
    [401, 401, 401],
    'three failures, one per instance',
  );
  for (const i of instances) {
    const refused = await attempt(i, password);
    t.equal(refused.status, 429, `instance on port ${i.port} counts the failures made on the others`);
    t.ok(Number(refused.headers['retry-after']) > 0, 'with Retry-After');
  }

  // Settings: changed through each instance in turn, every instance serves the change within the bound, timed
  // from the change's answer to the sending of the first request that saw it (not the polling's own latency).
  const organisation = async (i: Instance) =>
    String(json((await i.request('GET', '/api/v1/settings/public')).body).organisation_name);
  const before = await Promise.all(instances.map(organisation)); // each instance now holds it in its cache
  t.equal(new Set(before).size, 1, 'the same name everywhere');
  for (const [n, writer] of instances.entries()) {
    const name = `Rede Municipal ${n + 1}`;
    const res = await writer.request('PATCH', '/api/v1/settings', {
      headers: admin.headers,
      body: { organisation_name: name },
    });
    t.equal(res.status, 200, `settings changed through instance ${n + 1}`);
    const done = performance.now();
    const seenAfter = await Promise.all(
      instances.map(async (i) => {
        for (;;) {
          const sent = performance.now();
          if ((await organisation(i)) === name) return sent - done;
          if (sent - done > 10_000) return Infinity;
        }
      }),
    );
    t.ok(
      seenAfter.every((ms) => ms <= 1_000),
      `every instance serves it within 1 s (${seenAfter.map((ms) => `${ms.toFixed(0)} ms`).join(', ')})`,
    );
  }

  // The change feed: one relay leads, on a session of its own on PostgreSQL itself (DIRECT_DATABASE_URL).
  const leads = (i: Instance) => i.server.lines.some((l) => /events relay: this instance leads/.test(l));
  await waitFor(() => instances.filter(leads).length === 1, { what: 'one relay leading', timeout: 10_000 });
  const direct = new pg.Client({ connectionString: database.url });
  await direct.connect();
  t.teardown(() => direct.end());
  const relays = await direct.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND application_name LIKE '%-relay'`,
  );
  t.equal(relays.rows[0]!.n, 3, 'three relay sessions: one leads, two wait on its lock');
  const pooledRelays = (await bouncer.show('SHOW CLIENTS')).filter((c) =>
    String(c.application_name).endsWith('-relay'),
  );
  t.same(pooledRelays, [], 'none of them through the transaction pooler');
  const session = await signIn(two);
  const me = json((await one.request('GET', '/api/v1/auth/me', { headers: session.headers })).body);
  const feeds = instances.map((i) => sseClient(t, i.url, session.access_token));
  await Promise.all(feeds.map((c) => c.ready));
  const written: string[] = [];
  for (const [n, i] of instances.entries()) {
    const project = await i.request('POST', '/api/v1/projects', {
      headers: session.headers,
      body: { name: `Scale-out ${n}`, start_date: '2026-01-01', end_date: '2026-12-31', coordinator_id: me.id },
    });
    t.equal(project.status, 201, `a project written through instance ${n + 1}`);
    written.push(String(json(project.body).id));
  }
  for (const [n, c] of feeds.entries()) {
    await c.waitForEvents(3);
    t.same(
      c.events.map((e) => e.row_id),
      written,
      `instance ${n + 1}'s stream client got every write, in order`,
    );
  }
  for (const c of feeds) c.close();

  const clients = (await bouncer.show('SHOW CLIENTS')).filter((c) => c.database === database.name);
  const servers = (await bouncer.show('SHOW SERVERS')).filter((s) => s.database === database.name);
  t.ok(clients.length >= 3, `the instances' pools are PgBouncer's clients (${clients.length})`);
  t.ok(
    clients.every((c) => c.application_name === 'acolhe-api'),
    'named by their application_name (the relay check above reads the same column)',
  );
  t.ok(servers.length <= 5, `sharing at most 5 server connections (${servers.length})`);
});
