// A password-reset token reaches the log only through the development log mailer (MAILER=log); with MAILER=none
// (production's default) no log line holds it or the link.
import t from 'tap';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { userWith } from '../helpers/auth.js';
import { waitFor } from '../helpers/wait.js';

async function requestReset(ctx: TestContext, email: string) {
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { email } });
  t.equal(res.statusCode, 202);
  // The reset is written after the answer: wait for its row.
  await waitFor(
    async () =>
      (
        await ctx.db.many({
          text: 'SELECT 1 FROM password_resets r JOIN users u ON u.id = r.user_id WHERE u.email = $1',
          values: [email],
        })
      ).length > 0,
    { what: 'the password_resets row' },
  );
}

t.test('MAILER=none: the reset is made, its link reaches no log line', async (t) => {
  const ctx = await buildTestApp(t, { configuredMailer: true, env: { MAILER: 'none' } });
  const u = await userWith(ctx, []);
  await requestReset(ctx, u.email);
  const said = await waitFor(() => ctx.logs().find((l) => l.mail === 'password-reset'), { what: 'the mailer line' });
  t.match(said, { level: 40, msg: /no mailer configured/ });
  const all = JSON.stringify(ctx.logs());
  t.notMatch(all, /reset-password|token=/, 'no link, no token');
});

t.test('MAILER=log (development, tests): the link is logged, by that one line only', async (t) => {
  const ctx = await buildTestApp(t, { configuredMailer: true, env: { MAILER: 'log' } });
  const u = await userWith(ctx, []);
  await requestReset(ctx, u.email);
  const line = await waitFor(() => ctx.logs().find((l) => l.mail === 'password-reset'), { what: 'the mailer line' });
  const token = new URL(String(line.link)).searchParams.get('token')!;
  t.ok(token.length >= 32);
  t.equal(
    ctx.logs().filter((l) => JSON.stringify(l).includes(token)).length,
    1,
    'only the development mailer line holds the token',
  );
});
