// The least-privilege roles of docs/database/roles.md on a fresh test database, as a DBA sets them up: the
// provisioning script run by a superuser with psql, the passwords from the environment. Roles are cluster-wide:
// unique names, dropped after the database when the test ends.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Test } from 'tap';
import { withClient } from '../../apps/backend/src/database/client.js';
import { libpqEnv } from '../../apps/backend/src/database/pg-tools.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { REPO } from '../setup/paths.js';

const SCRIPT = path.join(REPO, 'apps/backend/scripts/provision-roles.sql');

export interface ProvisionedDatabase {
  db: TestDatabase;
  owner: string;
  app: string;
  /** The database as the owner (migrations) and as the application (the API). */
  ownerUrl: string;
  appUrl: string;
  /** The database itself as the superuser (db.url's user). */
  adminDbUrl: string;
  /** Runs the provisioning script (again). */
  provision(): ReturnType<typeof spawnSync>;
}

function urlAs(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

/** An empty database with the two roles provisioned (before any migration, as the runbook says). */
export async function provisionedDatabase(t: Test): Promise<ProvisionedDatabase> {
  const db = await createTestDatabase({ template: false });
  const suffix = randomBytes(4).toString('hex');
  const owner = `acolhe_owner_${suffix}`;
  const app = `acolhe_app_${suffix}`;
  const ownerPassword = randomBytes(12).toString('hex');
  const appPassword = randomBytes(12).toString('hex');
  const adminDbUrl = new URL(db.adminUrl);
  adminDbUrl.pathname = `/${db.name}`;
  t.teardown(async () => {
    await db.drop();
    await withClient(db.adminUrl, async (c) => {
      // Identifiers generated above, never from input.
      await c.query(`DROP ROLE IF EXISTS ${app}`);
      await c.query(`DROP ROLE IF EXISTS ${owner}`);
    });
  });
  const provision = () =>
    spawnSync(
      'psql',
      [
        '-X',
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
        '-v',
        `database=${db.name}`,
        '-v',
        `owner=${owner}`,
        '-v',
        `app=${app}`,
        '-f',
        SCRIPT,
      ],
      // The passwords in the environment, as the runbook says: never on the command line.
      {
        env: {
          ...libpqEnv(adminDbUrl.toString()),
          ACOLHE_OWNER_PASSWORD: ownerPassword,
          ACOLHE_APP_PASSWORD: appPassword,
        },
        encoding: 'utf8',
      },
    );
  const first = provision();
  if (first.status !== 0) throw new Error(`provision-roles.sql failed: ${String(first.stderr)}`);
  return {
    db,
    owner,
    app,
    ownerUrl: urlAs(db.url, owner, ownerPassword),
    appUrl: urlAs(db.url, app, appPassword),
    adminDbUrl: adminDbUrl.toString(),
    provision,
  };
}
