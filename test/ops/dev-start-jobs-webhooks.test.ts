// `npm start` in development with nothing configured but where it keeps its data (issue 14, "done when"): the
// schedules are listed by /api/v1/admin/jobs, and a webhook to a receiver on this machine is delivered and
// verified (WEBHOOK_ALLOW_PRIVATE defaults to true in development; WEBHOOK_SECRET_KEY is generated).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { createTestDatabase } from '../helpers/db.js';
import { testRedisUrl } from '../helpers/redis.js';
import { startReceiver } from '../helpers/receiver.js';
import { TEST_ADMIN } from '../setup/paths.js';
import { request, spawnServer } from './_server.js';

t.test('development start: schedules listed, a local webhook delivered and verified', async (t) => {
  const database = await createTestDatabase();
  t.teardown(database.drop);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-dev-jobs-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const redisUrl = await testRedisUrl();
  const receiver = await startReceiver(t);
  const server = spawnServer({
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    NODE_ENV: 'development',
    DATABASE_URL: database.url,
    SEED_ADMIN_EMAIL: TEST_ADMIN.email,
    SEED_ADMIN_PASSWORD: TEST_ADMIN.password,
    DATA_DIR: dataDir,
  });
  t.teardown(() => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });
  await server.waitFor(/listening on/, 120_000);
  const port = server.port();
  const login = await request(port, 'POST', '/api/v1/auth/login', {
    body: { email: TEST_ADMIN.email, password: TEST_ADMIN.password },
  });
  const headers = { authorization: `Bearer ${JSON.parse(login.body).access_token as string}` };

  const jobs = JSON.parse((await request(port, 'GET', '/api/v1/admin/jobs', { headers })).body) as {
    instance: { runs_jobs: boolean };
    jobs: { name: string; schedule: string | null; next_run_at: string | null }[];
  };
  t.equal(jobs.instance.runs_jobs, true, 'the instance runs the jobs');
  for (const name of ['backup', 'restore-test', 'maintenance', 'prune', 'reports.refresh'])
    t.ok(jobs.jobs.find((j) => j.name === name)?.next_run_at, `${name} is scheduled`);

  const created = await request(port, 'POST', '/api/v1/webhooks', {
    headers,
    body: { url: receiver.url, topics: ['*'] },
  });
  t.equal(created.status, 201, 'a receiver on loopback is accepted in development');
  const hook = JSON.parse(created.body) as { id: string; secret: string };
  t.equal((await request(port, 'POST', `/api/v1/webhooks/${hook.id}/ping`, { headers })).status, 201);
  const [r] = await receiver.waitForRequests(1, 30_000);
  t.match(receiver.verify(r!, hook.secret), { type: 'webhook.ping', data: { webhook_id: hook.id } }, 'verified');
});
