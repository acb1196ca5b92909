// Sign-in throttling per e-mail and per client address (docs/auth/rate-limits.md). Each attempt takes its
// place in both counters before the password is checked (count first, then decide): fifty parallel attempts
// cannot all pass a check made before any of them was counted. A successful sign-in gives its places back,
// so the limits count failures.
import { tooManyRequests } from '../../platform/errors.js';
import { addressKey, type RateCounters } from '../../platform/rate-limit.js';

export function createLoginThrottle(
  counters: RateCounters,
  o: { maxPerEmail: number; maxPerIp: number; windowSeconds: number },
) {
  const subjects = (email: string, ip: string) =>
    [
      ['login:email', email.toLowerCase(), o.maxPerEmail],
      ['login:ip', addressKey(ip), o.maxPerIp],
    ] as const;

  return {
    /** Counts the attempt; throws 429 with Retry-After when the e-mail or the address is over its limit. */
    async attempt(email: string, ip: string) {
      const limits = subjects(email, ip);
      const counts = await Promise.all(
        limits.map(([name, value]) => counters.hit(name, value, o.windowSeconds * 1000)),
      );
      const over = counts.filter((c, i) => c.current > limits[i]![2]);
      if (over.length) throw tooManyRequests(Math.max(...over.map((c) => c.ttlMs)) / 1000);
    },
    /** The attempt succeeded: the e-mail's failures are forgiven and the address gets its place back. */
    async succeeded(email: string, ip: string) {
      await Promise.all([
        counters.reset('login:email', email.toLowerCase()),
        counters.refund('login:ip', addressKey(ip)),
      ]);
    },
  };
}
