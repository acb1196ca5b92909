// Idempotent initial data: permission catalogue, default roles, the first admin (and, later steps,
// catalogues and samples). A second run changes nothing; concurrent runs serialise on an advisory lock.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import type { Config } from '../../config.js';
import { createDb } from '../../platform/db.js';
import { assertPasswordPolicy } from '../../platform/password-policy.js';
import { hashPassword } from '../../platform/passwords.js';
import { invalidateFromScript } from '../../platform/cache/index.js';
import { ALL_ROLES_TAG } from '../../modules/access/index.js';
import { VULNERABILITIES_TAG } from '../../modules/beneficiaries/index.js';
import { seedAccess } from './access.js';
import { seedSteps } from './steps.js';
import type { SeedContext, SeedReport, SeedStep, SeedStepSpec, TableCounts } from './types.js';

export type { SeedContext, SeedReport, SeedStep, SeedStepSpec, TableCounts };

const DEV_ADMIN_EMAIL = 'admin@acolhe.local';

async function seedAdmin(ctx: SeedContext): Promise<SeedReport> {
  const { config, db, tx } = ctx;
  let email = config.SEED_ADMIN_EMAIL;
  let password = config.SEED_ADMIN_PASSWORD;
  const development = config.NODE_ENV === 'development';
  if (!development && (!email || !password)) {
    throw new Error(`SEED_ADMIN_EMAIL and SEED_ADMIN_PASSWORD are required when NODE_ENV=${config.NODE_ENV}`);
  }
  email ??= DEV_ADMIN_EMAIL;
  const existing = await db.maybeOne<{ id: string }>(
    { text: 'SELECT id FROM users WHERE email = $1', values: [email] },
    tx,
  );
  // Never touch an existing admin: their password, role and active flag are theirs.
  if (existing) return { users: { inserted: 0, updated: 0, unchanged: 1 } };
  let generated = false;
  if (!password) {
    password = randomBytes(18).toString('base64url');
    generated = true;
  }
  try {
    assertPasswordPolicy(password, email, 'SEED_ADMIN_PASSWORD');
  } catch (err) {
    throw new Error(`SEED_ADMIN_PASSWORD ${(err as Error).message.replace(/^The \S+ \S+ /, '')}`);
  }
  await db.execute(
    {
      text: `INSERT INTO users (email, name, password_hash, role) VALUES ($1, 'Administrator', $2, 'admin')`,
      values: [email, await hashPassword(password)],
    },
    tx,
  );
  if (generated) {
    const file = path.join(config.dataDir, 'admin-credentials.txt');
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(file, `email: ${email}\npassword: ${password}\n`, { mode: 0o600 });
    // Printed once, on purpose: the only time the generated password is shown.
    ctx.log(`created admin ${email} with generated password ${password} (also saved to ${file}, readable by you only)`);
  } else {
    ctx.log(`created admin ${email} (password from SEED_ADMIN_PASSWORD)`);
  }
  return { users: { inserted: 1, updated: 0, unchanged: 0 } };
}

function merge(into: SeedReport, from: SeedReport) {
  for (const [table, c] of Object.entries(from)) {
    const t = (into[table] ??= { inserted: 0, updated: 0, unchanged: 0 });
    t.inserted += c.inserted;
    t.updated += c.updated;
    t.unchanged += c.unchanged;
  }
}

/** Runs an optional step in a savepoint: on failure its changes are undone, the reason printed, the seed goes on. */
async function runOptional(ctx: SeedContext, step: SeedStepSpec): Promise<SeedReport> {
  await ctx.db.execute({ text: 'SAVEPOINT optional_seed_step' }, ctx.tx);
  try {
    const report = await step.run(ctx);
    await ctx.db.execute({ text: 'RELEASE SAVEPOINT optional_seed_step' }, ctx.tx);
    return report;
  } catch (err) {
    await ctx.db.execute({ text: 'ROLLBACK TO SAVEPOINT optional_seed_step' }, ctx.tx);
    ctx.log(`skipped ${step.name} (optional): ${(err as Error).message}; the rest of the seed is applied`);
    return {};
  }
}

/** Tables the seed writes whose rows running servers cache, and the cache tags that cover them. */
const CACHED: Record<string, string> = {
  roles: ALL_ROLES_TAG,
  role_permissions: ALL_ROLES_TAG,
  vulnerabilities: VULNERABILITIES_TAG,
};

/** After the commit: running servers drop what the seed changed (through Redis, when there is one). */
async function invalidateCaches(config: Config, report: SeedReport, log: (line: string) => void) {
  const tags = [
    ...new Set(
      Object.entries(CACHED)
        .filter(([table]) => (report[table]?.inserted ?? 0) + (report[table]?.updated ?? 0) > 0)
        .map(([, tag]) => tag),
    ),
  ];
  if (!tags.length || !config.REDIS_URL) return;
  await invalidateFromScript(config.REDIS_URL, tags).catch((err: Error) =>
    log(
      `could not reach Redis to refresh running servers' caches (${err.message}): they apply this within CACHE_TTL_SECONDS (${config.CACHE_TTL_SECONDS} s)`,
    ),
  );
}

export async function runInitialSeed(o: {
  connectionString: string;
  config: Config;
  log: (line: string) => void;
  withSamples?: boolean;
}): Promise<SeedReport> {
  const db = createDb({
    connectionString: o.connectionString,
    max: 1,
    statementTimeoutMs: 120_000,
    idleTimeoutMs: 10_000,
    connectTimeoutMs: 10_000,
    applicationName: 'acolhe-seed',
    slowQueryMs: 60_000,
    log: pino({ level: 'warn' }),
  });
  const withSamples = o.withSamples ?? o.config.NODE_ENV === 'development';
  if (withSamples && o.config.NODE_ENV === 'production') throw new Error('sample data is never created in production');
  try {
    const report: SeedReport = {};
    await db.transaction(async (tx) => {
      // Concurrent seeds (two deploys) wait for each other instead of racing on the same rows.
      await db.execute({ text: "SELECT pg_advisory_xact_lock(hashtext('acolhe:seed'))" }, tx);
      const ctx: SeedContext = { db, tx, config: o.config, withSamples, log: o.log };
      const steps: SeedStepSpec[] = [
        { name: 'permissions and roles', run: seedAccess },
        { name: 'first admin', run: seedAdmin },
        ...seedSteps,
      ];
      for (const step of steps) merge(report, await (step.optional ? runOptional(ctx, step) : step.run(ctx)));
    });
    await invalidateCaches(o.config, report, o.log);
    return report;
  } finally {
    await db.close();
  }
}

export function formatReport(report: SeedReport): string[] {
  return Object.entries(report).map(
    ([table, c]) =>
      `${table.padEnd(22)} inserted ${String(c.inserted).padStart(5)}  updated ${String(c.updated).padStart(5)}  unchanged ${String(c.unchanged).padStart(5)}`,
  );
}
