// When a failed delivery is tried again. The default follows the schedule of the best-known webhook services:
// immediately, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (8 attempts over about 28 h); each
// delay varies by ±20 % so endpoints coming back up are not hit by every retry at the same instant.
const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
export const JITTER = 0.2;

/** "5s,5m,30m" → [5000, 300000, 1800000]; throws naming WEBHOOK_RETRY_SCHEDULE on anything else. */
export function parseRetrySchedule(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const delays = parts.map((p) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(p);
    return m ? Number(m[1]) * UNITS[m[2]!]! : NaN;
  });
  if (!parts.length || parts.length > 50 || delays.some((d) => !Number.isFinite(d) || d <= 0 || d > 7 * 86_400_000))
    throw new Error(
      `Invalid configuration: WEBHOOK_RETRY_SCHEDULE must be comma-separated delays such as 5s,5m,2h (ms, s, m, h; each up to 7 days) (got ${JSON.stringify(text)})`,
    );
  return delays;
}

/**
 * When to try again after `attempts` failed attempts, or null when none is left (the delivery has failed).
 * `random` in [0, 1) (Math.random), a parameter so the jitter can be tested at its bounds.
 */
export function nextAttemptAt(
  schedule: number[],
  attempts: number,
  now = Date.now(),
  random = Math.random(),
): Date | null {
  const delay = schedule[attempts - 1];
  if (delay === undefined) return null;
  return new Date(now + delay * (1 - JITTER + 2 * JITTER * random));
}
