// Waiting on a condition instead of sleeping a fixed time: the test goes on as soon as the condition holds, and
// fails with what it waited for (and the last error seen) when it never does.

export interface WaitOptions {
  /** Give up after this long (ms). */
  timeout?: number;
  /** Pause between two checks (ms). */
  interval?: number;
  /** What is awaited, for the error message. */
  what?: string;
}

/** Resolves with the first truthy value `condition` returns; a thrown error counts as "not yet". */
export async function waitFor<T>(
  condition: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  o: WaitOptions = {},
): Promise<T> {
  const { timeout = 10_000, interval = 25, what = 'the condition' } = o;
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline)
      throw new Error(`${what} did not happen within ${timeout} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
