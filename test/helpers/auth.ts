// Users and tokens for HTTP tests: real rows, real argon2 hashes, real logins through the API.
import { randomBytes } from 'node:crypto';
import type { TestContext } from './app.js';
import { hashPassword } from '../../apps/backend/src/platform/passwords.js';
import { TEST_ADMIN } from '../setup/paths.js';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  role: string;
  access_token: string;
  refresh_token: string;
  /** `{ authorization: 'Bearer …' }` for app.inject(). */
  headers: { authorization: string };
}

const PASSWORD = 'Correct-horse-battery-staple-42';
let passwordHash: Promise<string> | undefined;

export async function login(ctx: TestContext, email: string, password: string, extra: Record<string, string> = {}) {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password },
    headers: extra,
  });
  if (res.statusCode !== 200) throw new Error(`login of ${email} failed: ${res.statusCode} ${res.body}`);
  return res.json() as { access_token: string; refresh_token: string; expires_in: number; token_type: string };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * A signed-in user holding exactly `permissions` (through a fresh role), or an existing role by name
 * (`{ role: 'coordinator' }`).
 */
export async function userWith(
  ctx: TestContext,
  spec: string[] | { role: string },
  name = 'Test User',
): Promise<TestUser> {
  const suffix = randomBytes(4).toString('hex');
  let role: string;
  if (Array.isArray(spec)) {
    role = `test_${suffix}`;
    await ctx.db.execute({
      text: 'INSERT INTO roles (name, description) VALUES ($1, $2)',
      values: [role, 'test role'],
    });
    if (spec.length) {
      await ctx.db.execute({
        text: 'INSERT INTO role_permissions (role, permission) SELECT $1, unnest($2::text[])',
        values: [role, spec],
      });
    }
  } else {
    role = spec.role;
  }
  const email = `user-${suffix}@acolhe.test`;
  passwordHash ??= hashPassword(PASSWORD);
  const { id } = await ctx.db.one<{ id: string }>({
    text: 'INSERT INTO users (email, name, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING id',
    values: [email, name, await passwordHash, role],
  });
  const tokens = await login(ctx, email, PASSWORD);
  return { id, email, password: PASSWORD, role, ...tokens, headers: bearer(tokens.access_token) };
}

/** The admin created by the seed in every test database. */
export async function admin(ctx: TestContext): Promise<TestUser> {
  const tokens = await login(ctx, TEST_ADMIN.email, TEST_ADMIN.password);
  const { id } = await ctx.db.one<{ id: string }>({
    text: 'SELECT id FROM users WHERE email = $1',
    values: [TEST_ADMIN.email],
  });
  return {
    id,
    email: TEST_ADMIN.email,
    password: TEST_ADMIN.password,
    role: 'admin',
    ...tokens,
    headers: bearer(tokens.access_token),
  };
}
