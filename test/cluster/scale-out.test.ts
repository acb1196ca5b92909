// Issue 18's many-instances proof: three API processes on one PostgreSQL and one Redis behave as one service,
// deployed as issue 18 deploys them: their pools through one PgBouncer in transaction mode (5 server connections),
// their sessions (migrations, locks) on PostgreSQL itself (DIRECT_DATABASE_URL).
// Here: a role's permission change applies on every instance at the next request; a session ended by an
// administrator (deactivation) fails on every instance at the next request; the sign-in throttle counts
// failures made on different instances together. (Sign-out through one instance ending the session on all
// three is test/cluster/instances.test.ts; read-your-writes across instances is test/replicas/.)
// Joining this file as their modules land: a settings change visible everywhere within the cache bound
// (settings-cache), an event written through one instance reaching stream clients of all three (events), each
// scheduled job running once (jobs).
import t from 'tap';
import { createTestDatabase } from '../helpers/db.js';
import { signIn, startInstances, type Instance } from '../helpers/instances.js';
import { startPgBouncer } from '../helpers/pgbouncer.js';

t.test('three instances, one service: permissions, revocation, sign-in throttle', async (t) => {
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

  const clients = (await bouncer.show('SHOW CLIENTS')).filter((c) => c.database === database.name);
  const servers = (await bouncer.show('SHOW SERVERS')).filter((s) => s.database === database.name);
  t.ok(clients.length >= 3, `the instances' pools are PgBouncer's clients (${clients.length})`);
  t.ok(servers.length <= 5, `sharing at most 5 server connections (${servers.length})`);
});
