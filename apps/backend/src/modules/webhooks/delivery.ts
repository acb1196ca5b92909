// The delivery engine. Work is organised per subscription: one worker at a time holds its lease (so its events
// go out in outbox order), sends its due deliveries one after another (each signed afresh, same webhook-id on
// every attempt), records them in batches, and on a failure schedules the next attempt. A worker that dies
// mid-delivery leaves a lease that expires; the next worker sends the same deliveries again (at least once).
// Jobs carry the timing (webhooks.deliver, one waiting per subscription and due time), so nothing here keeps
// a timer: a failure enqueues the retry, in the same transaction that records it.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Config } from '../../config.js';
import type { Db } from '../../platform/db.js';
import type { JobsService } from '../jobs/index.js';
import { nextAttemptAt, parseRetrySchedule } from './retry-schedule.js';
import { signer, type Signer } from './signature.js';
import type { SecretBox } from './secrets.js';
import type { Sender, SendResult } from './destination.js';
import type { PendingRow, SubscriptionForDelivery, WebhooksRepository } from './repository.js';

export const DELIVER_JOB = 'webhooks.deliver';
/** Deliveries claimed at once, and successes recorded per statement. */
const BATCH = 100;
const RECORD_EVERY = 25;

type Claim =
  | { kind: 'busy'; until: Date | null }
  | { kind: 'idle'; nextDue: Date | null }
  | { kind: 'claimed'; sub: SubscriptionForDelivery; rows: PendingRow[] };

export function createDeliveryEngine(d: {
  db: Db;
  repo: WebhooksRepository;
  jobs: JobsService;
  box: SecretBox;
  sender: Sender;
  config: Config;
  log: FastifyBaseLogger;
  metrics: Registry;
}) {
  const { db, repo, jobs, config } = d;
  const schedule = parseRetrySchedule(config.WEBHOOK_RETRY_SCHEDULE);
  const timeoutMs = config.WEBHOOK_TIMEOUT_MS;
  /** A lease outlives one request by a margin; it is extended while a worker keeps delivering. */
  const leaseSeconds = Math.ceil((2 * timeoutMs + 5_000) / 1_000);
  /** How long one job delivers before handing over to a fresh one (fairness between subscriptions). */
  const budgetMs = Math.max(2 * timeoutMs, 5_000);
  const disableAfterMs = config.WEBHOOK_DISABLE_AFTER_HOURS * 3_600_000;

  const attemptsTotal = new Counter({
    name: 'acolhe_webhook_attempts_total',
    help: 'Webhook delivery attempts by this instance, by outcome (succeeded, failed)',
    labelNames: ['outcome'] as const,
    registers: [d.metrics],
  });
  const attemptSeconds = new Histogram({
    name: 'acolhe_webhook_attempt_duration_seconds',
    help: 'Duration of webhook delivery attempts (connect to answer)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [d.metrics],
  });

  /** A delivery job for the subscription, due now or at `at`; at most one waits per subscription and time. */
  async function kick(subscriptionId: string, at: Date | null, tx?: pg.PoolClient) {
    await jobs.send(
      DELIVER_JOB,
      { subscription_id: subscriptionId },
      { singletonKey: `${subscriptionId}@${at ? at.getTime() : 'now'}`, startAfter: at ?? undefined, tx },
    );
  }

  function claim(id: string, token: string): Promise<Claim> {
    return db.transaction(async (tx) => {
      const sub = await repo.lockForDelivery(id, tx);
      // Null: deleted, or another worker is claiming it this instant (it delivers; nothing to add).
      if (!sub) return { kind: 'busy', until: null };
      if (sub.status !== 'active') return { kind: 'idle', nextDue: null };
      if (sub.leased) return { kind: 'busy', until: sub.leased_until };
      const pending = await repo.pending(id, BATCH, tx);
      const due = (r: PendingRow) => r.due;
      const events = pending.filter((r) => r.kind === 'event');
      const firstWaiting = events.findIndex((r) => !due(r));
      // Events strictly in order: those due up to the first that is not (it holds the rest back).
      const rows = [
        ...pending.filter((r) => r.kind === 'ping' && due(r)),
        ...(firstWaiting < 0 ? events : events.slice(0, firstWaiting)),
      ];
      if (!rows.length) {
        const times = pending.filter((r) => !due(r)).map((r) => r.next_attempt_at.getTime());
        return { kind: 'idle', nextDue: times.length ? new Date(Math.min(...times)) : null };
      }
      await repo.lease(id, token, leaseSeconds, tx);
      return { kind: 'claimed', sub, rows };
    });
  }

  /** A failed attempt: the next one is scheduled (a job at that time), or the delivery has failed for good. */
  async function failed(sub: SubscriptionForDelivery, token: string, row: PendingRow, r: SendResult) {
    const next = nextAttemptAt(schedule, row.attempts + 1);
    await db.transaction(async (tx) => {
      const state = await repo.recordFailure(
        sub.id,
        token,
        { deliveryId: row.id, status: r.status, error: (r.error ?? 'failed').slice(0, 500), next },
        tx,
      );
      if (state && Date.now() - state.failing_since.getTime() >= disableAfterMs) {
        await repo.disableFailing(sub.id, tx);
        d.log.warn({ webhook_id: sub.id }, 'webhook disabled: its deliveries have failed for too long');
      } else if (next) await kick(sub.id, next, tx);
    });
  }

  /** Signs with the current secret and, during a rotation, the previous one; null when they cannot be opened. */
  function signerFor(sub: SubscriptionForDelivery): Signer | null {
    try {
      return signer(
        [sub.signing_secret, ...(sub.previous_signing_secret ? [sub.previous_signing_secret] : [])].map(d.box.open),
      );
    } catch {
      return null;
    }
  }

  /** webhooks.deliver: this subscription's due deliveries, until none is due or the time budget is spent. */
  async function deliverSubscription(id: string, signal: AbortSignal): Promise<void> {
    const token = randomUUID();
    const budgetEnd = Date.now() + budgetMs;
    while (!signal.aborted) {
      const c = await claim(id, token);
      if (c.kind === 'busy') {
        // If its holder died, the lease runs out: be there when it does.
        if (c.until) await kick(id, new Date(c.until.getTime() + 100));
        return;
      }
      if (c.kind === 'idle') {
        if (c.nextDue) await kick(id, c.nextDue);
        return;
      }
      const sign = signerFor(c.sub);
      let leaseEnd = Date.now() + leaseSeconds * 1_000;
      let done: { id: string; status: number; at: Date }[] = [];
      // Successes are recorded RECORD_EVERY at a time while the next ones go out: at most one record in flight,
      // checked before the next is issued (false: the lease was lost, another worker took over: stop).
      let recording: Promise<boolean> = Promise.resolve(true);
      const record = (seconds: number | null) => {
        const batch = done;
        done = [];
        const p = repo.recordSuccesses(id, token, batch, seconds);
        p.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
        return p;
      };
      let stop = false;
      for (const row of c.rows) {
        if (signal.aborted) break;
        if (done.length >= RECORD_EVERY || leaseEnd - Date.now() < timeoutMs + 2_000) {
          if (!(await recording)) return;
          recording = record(leaseSeconds);
          leaseEnd = Date.now() + leaseSeconds * 1_000;
        }
        const body = JSON.stringify(row.payload);
        const t0 = performance.now();
        const r: SendResult = sign
          ? await d.sender.send(c.sub.url, sign.headers(row.message_id, body), body)
          : { ok: false, status: null, error: 'the signing secret cannot be decrypted (WEBHOOK_SECRET_KEY changed?)' };
        attemptSeconds.observe((performance.now() - t0) / 1_000);
        attemptsTotal.inc({ outcome: r.ok ? 'succeeded' : 'failed' });
        if (r.ok) {
          done.push({ id: row.id, status: r.status!, at: new Date() });
          continue;
        }
        if (!(await recording)) return;
        if (done.length && !(await record(leaseSeconds))) return;
        await failed(c.sub, token, row, r);
        stop = true;
        break;
      }
      if (!stop && !((await recording) && (await record(null)))) return;
      if (Date.now() > budgetEnd) {
        await kick(id, null); // a fresh job goes on: other subscriptions get their turn meanwhile
        return;
      }
    }
  }

  return { deliverSubscription, kick, leaseSeconds, budgetMs };
}

export type DeliveryEngine = ReturnType<typeof createDeliveryEngine>;
