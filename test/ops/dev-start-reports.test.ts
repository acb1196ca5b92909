// `npm start` in development: the seed adds the sample projects and workshops, and the server refreshes the report
// views once in the background (refreshAll({ system: 'startup' })), so the five reports answer with the samples.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { createTestDatabase } from '../helpers/db.js';
import { testRedisUrl } from '../helpers/redis.js';
import { TEST_ADMIN } from '../setup/paths.js';
import { request, spawnServer } from './_server.js';
import { REPORT_NAMES } from '../../apps/backend/src/modules/reports/index.js';

t.test('development start: the reports answer with the sample data at once', async (t) => {
  const database = await createTestDatabase();
  t.teardown(database.drop);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-dev-reports-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const redisUrl = await testRedisUrl();
  const server = spawnServer({
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    NODE_ENV: 'development',
    DATABASE_URL: database.url,
    JWT_SECRET: 'dev-reports-test-secret-long-enough-1234',
    SEED_ADMIN_EMAIL: TEST_ADMIN.email,
    SEED_ADMIN_PASSWORD: TEST_ADMIN.password,
    DATA_DIR: dataDir,
  });
  t.teardown(() => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });
  await server.waitFor(/listening on/, 120_000);
  await server.waitFor(/reports refreshed/, 120_000);
  const port = server.port();
  const login = await request(port, 'POST', '/api/v1/auth/login', {
    body: { email: TEST_ADMIN.email, password: TEST_ADMIN.password },
  });
  const auth = { authorization: `Bearer ${JSON.parse(login.body).access_token as string}` };

  const log = await request(port, 'GET', '/api/v1/reports/refreshes?limit=1', { headers: auth });
  const [startup] = JSON.parse(log.body).data as { id: string; trigger: string; source: string; status: string }[];
  t.match(startup, { trigger: 'system', source: 'startup', status: 'succeeded' }, 'the startup refresh is logged');

  for (const name of REPORT_NAMES) {
    const res = await request(port, 'GET', `/api/v1/reports/${name}?from=2026-01&to=2026-12`, { headers: auth });
    t.equal(res.status, 200, name);
    t.equal(JSON.parse(res.body).refresh_id, startup!.id, `${name}: as of the startup refresh`);
  }
  // The sample workshops (seed/sample-projects.ts) are in the capacity report without anyone refreshing.
  const capacity = JSON.parse(
    (await request(port, 'GET', '/api/v1/reports/capacity_use?from=2026-02&to=2026-12', { headers: auth })).body,
  ) as { rows: { workshop_title: string | null }[] };
  t.ok(
    capacity.rows.some((r) => r.workshop_title === 'Costura básica'),
    'a sample workshop shows in capacity_use',
  );
});
