// Webhook rules: subscriptions (a destination that passes the SSRF check, topics, a signing secret shown once
// and stored encrypted, rotation with 24 h of overlap), their deliveries, pings and replays. The delivery
// engine (delivery.ts) sends; the jobs module gives it its timing (webhooks.deliver, webhooks.sweep).
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from '../../config.js';
import type { Db } from '../../platform/db.js';
import type { Principal } from '../../platform/auth.js';
import { notFound, preconditionFailed, unprocessable } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import { removeInBatches } from '../../platform/batches.js';
import type { JobsService } from '../jobs/index.js';
import type { EventsService } from '../events/index.js';
import { checkDestination, createSender } from './destination.js';
import { createDeliveryEngine, DELIVER_JOB } from './delivery.js';
import { createFanout, FANOUT_JOB } from './fanout.js';
import { newSigningSecret, secretBox } from './secrets.js';
import { pingMessage } from './payload.js';
import type { WebhooksRepository } from './repository.js';
import type { CreateWebhook, ListDeliveries, ListWebhooks, UpdateWebhook } from './schemas.js';

/** After a rotation the previous secret keeps signing this long, so receivers can switch without a gap. */
export const ROTATION_OVERLAP_SECONDS = 24 * 3600;
const SWEEP_JOB = 'webhooks.sweep';

export function createWebhooksService(d: {
  db: Db;
  repo: WebhooksRepository;
  config: Config;
  jobs: JobsService;
  events: EventsService;
  log: FastifyBaseLogger;
  metrics: Registry;
}) {
  const { db, repo, config, jobs } = d;
  const log = d.log.child({ module: 'webhooks' });
  const box = secretBox(config.WEBHOOK_SECRET_KEY);
  const sender = createSender({
    allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
    connectTimeoutMs: config.WEBHOOK_CONNECT_TIMEOUT_MS,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
  });
  const engine = createDeliveryEngine({ db, repo, jobs, box, sender, config, log, metrics: d.metrics });
  const fanout = createFanout({
    db,
    repo,
    events: d.events,
    jobs,
    engine,
    intervalMs: config.WEBHOOK_FANOUT_INTERVAL_MS,
    log,
  });

  jobs.define<{ subscription_id: string }>({
    name: DELIVER_JOB,
    description: "delivers one subscription's due webhooks, in order (enqueued by changes, pings, retries)",
    timeoutSeconds: Math.ceil((engine.budgetMs + config.WEBHOOK_TIMEOUT_MS) / 1_000) + 10,
    retryLimit: 5,
    retryDelaySeconds: 1,
    concurrency: config.WEBHOOK_CONCURRENCY,
    history: false,
    handler: ({ data, draining }) => engine.deliverSubscription(String(data.subscription_id), draining),
  });
  jobs.define({
    name: FANOUT_JOB,
    description:
      'turns new changes from the outbox into deliveries; each run enqueues the next after WEBHOOK_FANOUT_INTERVAL_MS (the schedule restarts the chain)',
    schedule: '* * * * *',
    timeoutSeconds: 120,
    retryLimit: 5,
    retryDelaySeconds: 1,
    concurrency: 1,
    history: false,
    handler: ({ draining }) => fanout.run(draining),
  });
  jobs.define({
    name: SWEEP_JOB,
    description: 'safety net: enqueues delivery for subscriptions with due deliveries nobody is working on',
    schedule: '* * * * *',
    timeoutSeconds: 120,
    concurrency: 1,
    handler: async () => {
      const due = await repo.dueSubscriptions(1_000);
      for (const s of due) await engine.kick(s.id, null);
      if (due.length) jobs.wake(DELIVER_JOB);
      return { subscriptions: due.length };
    },
  });

  const refuseDestination = async (url: string) => {
    const why = await checkDestination(url, { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE });
    if (why) throw unprocessable(`The URL ${why}`, [{ path: 'body.url', message: why }]);
  };

  /** Enqueued in `fn`'s transaction; a local worker starts at once after the commit. */
  async function withDelivery<T>(actor: Principal, fn: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
    const result = await db.transaction(fn, { userId: actor.userId });
    jobs.wake(DELIVER_JOB);
    return result;
  }

  const service = {
    async get(id: string) {
      const w = await repo.get(id);
      if (!w) throw notFound('Webhook');
      return w;
    },

    async list(q: ListWebhooks) {
      const after = decodeCursor(q.cursor, ['id']);
      return toPage(await repo.list({ afterId: after?.[0] ?? null, limit: q.limit }), q.limit, (r) => [r.id]);
    },

    async create(actor: Principal, body: CreateWebhook) {
      await refuseDestination(body.url);
      const secret = newSigningSecret();
      const sealed = box.seal(secret);
      const { id } = await db.transaction((tx) => repo.insert(body, sealed, actor.userId, tx), {
        userId: actor.userId,
      });
      return { ...(await service.get(id)), secret };
    },

    async update(actor: Principal, id: string, body: UpdateWebhook, version: number | null) {
      const { version: _v, ...patch } = body;
      if (patch.url) await refuseDestination(patch.url);
      await db.transaction(
        async (tx) => {
          const row = await repo.lockVersion(id, tx);
          if (!row) throw notFound('Webhook');
          if (version !== null && row.version !== version)
            throw preconditionFailed(
              `The webhook was changed by someone else (version ${row.version}); reload and retry`,
            );
          await repo.update(id, patch, actor.userId, tx);
          if (patch.status === 'active' && row.status !== 'active') await repo.clearFailing(id, tx);
        },
        { userId: actor.userId },
      );
      // Enabled again: what waited goes out now.
      if (patch.status === 'active') {
        await engine.kick(id, null);
        jobs.wake(DELIVER_JOB);
      }
      return service.get(id);
    },

    async remove(actor: Principal, id: string) {
      const n = await db.transaction((tx) => repo.remove(id, tx), { userId: actor.userId });
      if (!n) throw notFound('Webhook');
    },

    /** A new signing secret, shown once; the previous one also signs for ROTATION_OVERLAP_SECONDS. */
    async rotateSecret(actor: Principal, id: string) {
      const secret = newSigningSecret();
      const sealed = box.seal(secret);
      await db.transaction(
        async (tx) => {
          if (!(await repo.lockVersion(id, tx))) throw notFound('Webhook');
          await repo.rotateSecret(id, sealed, ROTATION_OVERLAP_SECONDS, actor.userId, tx);
        },
        { userId: actor.userId },
      );
      return { ...(await service.get(id)), secret };
    },

    async deliveries(id: string, q: ListDeliveries) {
      await service.get(id);
      const before = decodeCursor(q.cursor, ['id']);
      const rows = await repo.listDeliveries({
        subscriptionId: id,
        status: q.status,
        beforeId: before?.[0] ?? null,
        limit: q.limit,
      });
      return toPage(rows, q.limit, (r) => [r.id]);
    },

    /** Sends a delivery again from its first attempt, with the same webhook-id (a replay or a manual retry). */
    async retry(actor: Principal, id: string, deliveryId: string) {
      await withDelivery(actor, async (tx) => {
        if (!(await repo.requeue(id, deliveryId, actor.userId, tx))) throw notFound('Delivery');
        await engine.kick(id, null, tx);
      });
      return (await repo.getDelivery(id, deliveryId))!;
    },

    /** A webhook.ping delivery now (not held back behind failing events). */
    async ping(actor: Principal, id: string) {
      const deliveryId = await withDelivery(actor, async (tx) => {
        if (!(await repo.lockVersion(id, tx))) throw notFound('Webhook');
        const m = pingMessage(id, randomBytes(12).toString('base64url'));
        const { id: created } = await repo.insertPing(id, m.messageId, m.payload, actor.userId, tx);
        await engine.kick(id, null, tx);
        return created;
      });
      return (await repo.getDelivery(id, deliveryId))!;
    },

    /** The prune job: finished deliveries past WEBHOOK_RETENTION_DAYS. */
    pruneDeliveries: () => removeInBatches((batch) => repo.pruneDeliveries(config.WEBHOOK_RETENTION_DAYS, batch)),
  };

  return {
    service,
    /** When the jobs run here: the fan-out chain starts now rather than at the next minute. */
    start: () => (config.JOBS_ENABLED ? fanout.next(true) : null),
    close: () => sender.close(),
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>['service'];
