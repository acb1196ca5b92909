// Read-your-writes holds across API instances: the caller's last-write position lives in Redis under the session,
// so a write through one instance is read back through another even while the replica has not replayed it.
// REPLICA_MAX_LAG_MS is high here, so the replica stays in use while paused: only the session's fence keeps the
// writer's read off it, and another session's read (served by the paused replica) shows the row is not there yet.
import t from 'tap';
import { signIn, startInstances, type Instance } from '../helpers/instances.js';
import { createTestDatabase } from '../helpers/db.js';
import { startReplica } from '../helpers/replica.js';
import { waitFor } from '../helpers/wait.js';

t.test('a write through one instance is read back through another, before the replica has it', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const replica = await startReplica();
  t.teardown(() => replica.remove());
  const { instances } = await startInstances(t, 2, {
    database,
    env: { DATABASE_REPLICA_URLS: replica.url(database.name), REPLICA_MAX_LAG_MS: '600000' },
  });
  const [one, two] = instances as [Instance, Instance];
  const writer = await signIn(one);
  const bystander = await signIn(two); // another session: no write of its own to wait for
  const names = async (via: Instance, headers: Record<string, string>) => {
    const res = await via.request('GET', '/api/v1/beneficiaries?limit=100', { headers });
    if (res.status !== 200) throw new Error(`list answered ${res.status}: ${res.body}`);
    return (JSON.parse(res.body).data as { full_name: string }[]).map((b) => b.full_name);
  };
  const replicaReads = async (via: Instance) => {
    const metrics = (await via.request('GET', '/metrics')).body;
    return Number(/^acolhe_db_reads_total\{target="127\.0\.0\.1:\d+\/\w+"\} (\d+)/m.exec(metrics)?.[1] ?? 0);
  };
  await waitFor(
    async () => {
      const before = await replicaReads(two);
      await names(two, bystander.headers);
      return (await replicaReads(two)) > before;
    },
    { timeout: 30_000, interval: 100, what: 'instance 2 reading from the replica' },
  );

  await replica.pauseReplay();
  const created = await one.request('POST', '/api/v1/beneficiaries', {
    headers: writer.headers,
    body: { full_name: 'Benedita Duas Instâncias' },
  });
  t.equal(created.status, 201, 'written through instance 1');
  t.ok((await names(two, writer.headers)).includes('Benedita Duas Instâncias'), 'read back through instance 2');
  t.notOk(
    (await names(two, bystander.headers)).includes('Benedita Duas Instâncias'),
    'another session’s read on the paused replica does not have it yet: the fence is what sent the writer’s read to the primary',
  );

  await replica.resumeReplay();
  await waitFor(async () => (await names(two, bystander.headers)).includes('Benedita Duas Instâncias'), {
    timeout: 30_000,
    interval: 100,
    what: 'the replica replaying the write once resumed',
  });
  t.pass('everyone sees it once the replica has replayed it');
});
