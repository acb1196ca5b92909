// `npm run admin:recover -- --email <address> [--name <name>] [--reset-password]`: gives the system an
// administrator back from the shell (docs/runbooks/admin-recovery.md). The role `admin` gets every permission
// of the catalogue again, and the user with that e-mail is made an active `admin` (created, with a generated
// password, when there is none). Idempotent; one transaction. The password is never read from the command
// line: a generated one is printed once.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { ConfigError, loadConfig } from '../src/config.js';
import { DEFAULT_ROLES, roleTag } from '../src/modules/access/index.js';
import { invalidateFromScript } from '../src/platform/cache/index.js';
import { hashPassword } from '../src/platform/passwords.js';
import { keys } from '../src/platform/redis.js';
import { loadDotEnv, ScriptError, withClient, withDatabase } from './lib/database.js';

const USAGE = 'usage: npm run admin:recover -- --email <address> [--name <name>] [--reset-password]';
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export interface RecoverArgs {
  email: string;
  name: string;
  resetPassword: boolean;
}

export function parseRecoverArgs(argv: string[]): RecoverArgs {
  const out: Partial<RecoverArgs> = { name: 'Administrator', resetPassword: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--reset-password') out.resetPassword = true;
    else if ((a === '--email' || a === '--name') && argv[i + 1] !== undefined)
      out[a === '--email' ? 'email' : 'name'] = argv[++i];
    else throw new ScriptError(`unknown or incomplete argument ${a}\n${USAGE}`);
  }
  if (!out.email) throw new ScriptError(`--email is required\n${USAGE}`);
  if (!EMAIL.test(out.email)) throw new ScriptError(`--email ${out.email} is not an e-mail address`);
  if (!out.name!.trim()) throw new ScriptError('--name must not be empty');
  return out as RecoverArgs;
}

interface Outcome {
  userId: string;
  created: boolean;
  restored: number;
  previous: { role: string; active: boolean } | null;
  password: string | null;
  endedSessions: number;
}

async function recover(c: pg.Client, args: RecoverArgs): Promise<Outcome> {
  await c.query('BEGIN');
  try {
    const { rows: catalogue } = await c.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM permissions WHERE name IN ('users:manage', 'roles:manage')",
    );
    if (catalogue[0]!.n !== 2)
      throw new ScriptError('the permission catalogue is missing: run `npm run seed` first (it creates it)');
    await c.query(`INSERT INTO roles (name, description) VALUES ('admin', $1) ON CONFLICT (name) DO NOTHING`, [
      DEFAULT_ROLES.admin!.description,
    ]);
    const restored = await c.query(
      `INSERT INTO role_permissions (role, permission) SELECT 'admin', name FROM permissions ON CONFLICT DO NOTHING`,
    );
    const { rows: found } = await c.query<{ id: string; role: string; active: boolean }>(
      'SELECT id, role, active FROM users WHERE email = $1 FOR UPDATE',
      [args.email],
    );
    const previous = found[0] ?? null;
    const password = !previous || args.resetPassword ? randomBytes(18).toString('base64url') : null;
    const hash = password ? await hashPassword(password) : null;
    let userId: string;
    let endedSessions = 0;
    if (previous) {
      userId = previous.id;
      await c.query(
        `UPDATE users SET role = 'admin', active = true, password_hash = COALESCE($2, password_hash) WHERE id = $1`,
        [userId, hash],
      );
      // A new role or password applies from the next sign-in: end the sessions that carry the old ones.
      if (previous.role !== 'admin' || password) {
        endedSessions =
          (await c.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [userId]))
            .rowCount ?? 0;
      }
    } else {
      const { rows } = await c.query<{ id: string }>(
        `INSERT INTO users (email, name, password_hash, role) VALUES ($1, $2, $3, 'admin') RETURNING id`,
        [args.email, args.name.trim(), hash],
      );
      userId = rows[0]!.id;
    }
    await c.query('COMMIT');
    return { userId, created: !previous, restored: restored.rowCount ?? 0, previous, password, endedSessions };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/**
 * Invalidates the cached permissions of `admin` on every running server (platform/cache) and drops the user's
 * cached sessions, so a running server applies the change at once. Sessions twice: the second delete (a moment
 * later) removes a value a server read from PostgreSQL before the commit and wrote back after the first one.
 */
async function clearCaches(url: string, userId: string): Promise<void> {
  await invalidateFromScript(url, [roleTag('admin')]);
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  const drop = () => redis.del(keys.sessions(userId));
  try {
    await redis.connect();
    await drop();
    await new Promise((r) => setTimeout(r, 1_000));
    await drop();
  } finally {
    redis.disconnect();
  }
}

async function main() {
  loadDotEnv();
  const args = parseRecoverArgs(process.argv.slice(2));
  const config = loadConfig();
  const say = (line: string) => console.log(`admin:recover: ${line}`);
  const outcome = await withDatabase(say, (url) => withClient(url, (c) => recover(c, args), 'acolhe-admin-recover'));
  say(`role admin holds every permission of the catalogue (${outcome.restored} restored)`);
  if (outcome.created) say(`created ${args.email} (id ${outcome.userId}) as an active admin`);
  else {
    const was = outcome.previous!;
    say(
      `${args.email} (id ${outcome.userId}) is an active admin (was ${was.role}, ${was.active ? 'active' : 'inactive'})`,
    );
  }
  if (outcome.endedSessions) say(`ended ${outcome.endedSessions} session(s): sign in again`);
  if (outcome.password) say(`password: ${outcome.password}   (shown once; change it after signing in)`);
  if (config.REDIS_URL) {
    await clearCaches(config.REDIS_URL, outcome.userId).then(
      () => say('cleared the cached permissions and sessions in Redis: a running server applies this at once'),
      (err: Error) =>
        say(
          `could not reach Redis (${err.message}): a running server applies this within ${config.CACHE_TTL_SECONDS} s`,
        ),
    );
  } else {
    say(`no REDIS_URL: a running server applies this within CACHE_TTL_SECONDS (${config.CACHE_TTL_SECONDS} s)`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      const known = err instanceof ScriptError || err instanceof ConfigError;
      console.error(known ? `admin:recover: ${(err as Error).message}` : err);
      process.exit(1);
    },
  );
}
