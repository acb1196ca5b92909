// Each test file gets its own database: a clone of the migrated, seeded template, or an empty one.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Test } from 'tap';
import { TEMPLATE_DB } from '../setup/paths.js';
import { services } from './services.js';
import { waitFor } from './wait.js';

export interface TestDatabase {
  name: string;
  url: string;
  /** A superuser URL to the same server's `postgres` database. */
  adminUrl: string;
  drop(): Promise<void>;
}

/** `fn` on a superuser connection to the run's server (its `postgres` database), closed afterwards. */
export async function onTestServer<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: services().pgUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(opts: { template?: boolean } = {}): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const template = opts.template === false ? 'template0' : TEMPLATE_DB;
  // Names are generated above, never from input: safe to interpolate (CREATE DATABASE takes no placeholders).
  let failure: unknown;
  await waitFor(
    () =>
      onTestServer((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`)).then(
        () => true,
        (err: { code?: string }) => {
          if (err.code === '55006') return false; // the template is briefly in use by a concurrent clone
          failure = err;
          return true;
        },
      ),
    { timeout: 30_000, interval: 100, what: `the template ${template} free to clone` },
  );
  if (failure) throw failure;
  const url = new URL(services().pgUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    adminUrl: services().pgUrl,
    drop: () => onTestServer((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** A fresh database (a clone of the template) and a client connected to it, both gone when the test ends. */
export async function testDatabaseClient(t: Test): Promise<{ database: TestDatabase; client: pg.Client }> {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  t.teardown(() => client.end());
  return { database, client };
}
