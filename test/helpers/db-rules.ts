// Rules the database holds, tested by direct SQL: a statement it refuses (mapped as for any service), and two
// statements racing on a row lock, deterministically (the first holds its lock in an open transaction, the
// second is seen waiting on it in pg_stat_activity, not guessed with a timer, then the first commits).
import { DbError } from '../../apps/backend/src/platform/db.js';
import type { TestContext } from './app.js';
import { waitFor } from './wait.js';

/** Runs a statement through the app's pool (errors mapped as for any service) and returns the error. */
export async function refusal(ctx: TestContext, text: string, values: unknown[]): Promise<DbError> {
  const err = await ctx.db.execute({ text, values }).then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof DbError)) throw new Error(`expected a DbError, got ${String(err)}`);
  return err;
}

/**
 * `first` runs in an open transaction on one connection; `second` starts on another and must wait for the
 * first's row lock (seen in pg_stat_activity, not guessed with a timer); then the first commits.
 * Returns the second's outcome: null when it succeeded, else the mapped error.
 */
export async function race(
  ctx: TestContext,
  first: { text: string; values: unknown[] },
  second: { text: string; values: unknown[] },
): Promise<DbError | null> {
  const [a, b] = [await ctx.db.pool.connect(), await ctx.db.pool.connect()];
  try {
    // The second runs in a transaction too: its backend (the pid watched below) is then the one that runs it,
    // also through a transaction pooler (test/pooler/case-rules.test.ts).
    await b.query('BEGIN');
    const waiting = (await b.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await a.query('BEGIN');
    await ctx.db.execute(first, a);
    const outcome = ctx.db.execute(second, b).then(
      async () => (await b.query('COMMIT'), null),
      async (e: unknown) => (await b.query('ROLLBACK'), e as DbError),
    );
    await waitFor(
      async () =>
        (
          await ctx.db.one<{ locked: boolean }>({
            text: `SELECT coalesce(bool_or(wait_event_type = 'Lock'), false) AS locked
                     FROM pg_stat_activity WHERE pid = $1`,
            values: [waiting],
          })
        ).locked,
      { what: 'the second statement waiting on the first one’s lock' },
    );
    await a.query('COMMIT');
    return await outcome;
  } finally {
    await a.query('ROLLBACK').catch(() => undefined); // after a failure above; a no-op after COMMIT
    await b.query('ROLLBACK').catch(() => undefined);
    a.release();
    b.release();
  }
}
