// Several real API processes on one PostgreSQL and one Redis, for the multi-instance guarantees (events,
// cache invalidation, jobs, revocation, throttles). Each is `server.ts` in its own process, as production runs
// it; the test talks to them over HTTP and may kill one (the relay's leader, a worker mid-job).
import { randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import { createTestDatabase, type TestDatabase } from './db.js';
import { testRedisUrl } from './redis.js';
import { waitFor } from './wait.js';
import { TEST_ADMIN } from '../setup/paths.js';
import { request, spawnServer, type HttpResult, type ServerProcess } from '../ops/_server.js';

export interface Instance {
  server: ServerProcess;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** One request on a fresh connection to this instance. */
  request(method: string, path: string, o?: { body?: unknown; headers?: Record<string, string> }): Promise<HttpResult>;
  /** Ends the process (SIGKILL: a crash; SIGTERM: a graceful stop) and waits for its exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface Cluster {
  instances: Instance[];
  database: TestDatabase;
  redisUrl: string | null;
  /** The environment every instance was started with (to start another one like them). */
  env: Record<string, string>;
  /** Starts one more instance with the same environment (plus `extra`). */
  add(extra?: Record<string, string>): Promise<Instance>;
}

/**
 * Starts `n` API processes on a fresh test database and a fresh Redis database (none with `redis: false`, or the
 * Redis at the URL given, e.g. a private one the test stops: startPrivateRedis),
 * one after the other (the first applies migrations and the seed), and waits until each answers
 * `/health/ready`. Everything is stopped and dropped when the test ends.
 */
export async function startInstances(
  t: Test,
  n: number,
  o: { env?: Record<string, string>; redis?: false | string; database?: TestDatabase } = {},
): Promise<Cluster> {
  const database = o.database ?? (await createTestDatabase());
  const redisUrl = o.redis === false ? null : (o.redis ?? (await testRedisUrl()));
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    JWT_SECRET: `instances-test-secret-${randomBytes(12).toString('hex')}`,
    SEED_ADMIN_EMAIL: TEST_ADMIN.email,
    SEED_ADMIN_PASSWORD: TEST_ADMIN.password,
    DATA_DIR: `/tmp/acolhe-instances-${randomBytes(4).toString('hex')}`,
    // Jobs (workers, schedules) only in the tests about them: they pass JOBS_ENABLED=true.
    JOBS_ENABLED: 'false',
    ...o.env,
  };
  const instances: Instance[] = [];
  t.teardown(async () => {
    await Promise.all(instances.map((i) => i.stop('SIGKILL')));
    if (!o.database) await database.drop();
  });

  const add = async (extra: Record<string, string> = {}): Promise<Instance> => {
    const server = spawnServer({ ...env, ...extra });
    const instance: Instance = {
      server,
      port: 0,
      url: '',
      request: (method, path, ro) => request(instance.port, method, path, ro),
      async stop(signal = 'SIGTERM') {
        if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill(signal);
        return server.exited;
      },
    };
    instances.push(instance);
    await server.waitFor(/listening on/, 180_000);
    instance.port = await waitFor(() => server.port(), { timeout: 10_000, what: 'the port' });
    instance.url = `http://127.0.0.1:${instance.port}`;
    await waitFor(async () => (await instance.request('GET', '/health/ready')).status === 200, {
      timeout: 60_000,
      interval: 100,
      what: `instance ${instances.length} answering /health/ready`,
    });
    return instance;
  };

  for (let i = 0; i < n; i++) await add();
  return { instances, database, redisUrl, env, add };
}

/** Signs in on one instance (tokens are valid on every instance sharing JWT_SECRET and Redis). */
export async function signIn(instance: Instance, email = TEST_ADMIN.email, password = TEST_ADMIN.password) {
  const res = await instance.request('POST', '/api/v1/auth/login', { body: { email, password } });
  if (res.status !== 200) throw new Error(`sign-in of ${email} failed: ${res.status} ${res.body}`);
  const tokens = JSON.parse(res.body) as { access_token: string; refresh_token: string };
  return { ...tokens, headers: { authorization: `Bearer ${tokens.access_token}` } };
}
