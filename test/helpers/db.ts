// Each test file gets its own database: a clone of the migrated, seeded template, or an empty one.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { TEMPLATE_DB } from '../setup/paths.js';
import { services } from './services.js';

export interface TestDatabase {
  name: string;
  url: string;
  /** A superuser URL to the same server's `postgres` database. */
  adminUrl: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
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
  for (let attempt = 1; ; attempt++) {
    try {
      await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
      break;
    } catch (err) {
      // 55006: the template is briefly in use by a concurrent clone.
      if ((err as { code?: string }).code !== '55006' || attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
  const url = new URL(services().pgUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    adminUrl: services().pgUrl,
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
