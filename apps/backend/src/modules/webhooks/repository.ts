// SQL of the webhooks module: subscriptions (audited), their delivery state, deliveries and the outbox cursor.
import type { Db, Executor } from '../../platform/db.js';
import { SqlBuilder } from '../../platform/sql.js';
import type { CreateWebhook, Delivery, DeliveryStatus, UpdateWebhook, Webhook } from './schemas.js';
import type { EventMessage } from './payload.js';

export type WebhookRow = Webhook;
export type DeliveryRow = Delivery;

/** What the delivery engine needs of a subscription (the secrets still sealed). */
export interface SubscriptionForDelivery {
  id: string;
  url: string;
  status: 'active' | 'disabled';
  signing_secret: string;
  previous_signing_secret: string | null;
  leased_until: Date | null;
  leased: boolean;
}

/** A pending delivery as the engine sends it. */
export interface PendingRow {
  id: string;
  message_id: string;
  kind: 'event' | 'ping';
  payload: unknown;
  attempts: number;
  next_attempt_at: Date;
  /** next_attempt_at has come, by the database's clock. */
  due: boolean;
}

const COLUMNS = `s.id, s.url, s.description, s.topics, s.status, s.disabled_reason, st.failing_since, st.last_success_at,
  s.previous_secret_expires_at, s.version, s.created_at, s.updated_at, s.created_by, s.updated_by`;
const FROM = 'webhook_subscriptions s JOIN webhook_subscription_state st ON st.subscription_id = s.id';
const DELIVERY_COLUMNS = `id, subscription_id, message_id, kind, event_type, payload, status, attempts, next_attempt_at,
  last_attempt_at, last_status_code, last_error, delivered_at, created_at, updated_at`;

export function createWebhooksRepository(db: Db) {
  return {
    get: (id: string, ex?: Executor) =>
      db.maybeOne<WebhookRow>(
        { name: 'webhooks-get', text: `SELECT ${COLUMNS} FROM ${FROM} WHERE s.id = $1`, values: [id] },
        ex,
      ),

    list: (o: { afterId: string | null; limit: number }, ex?: Executor) => {
      const q = new SqlBuilder().filter('after', o.afterId, (v) => `s.id > ${v}::bigint`);
      return db.many<WebhookRow>(
        q.statement(
          `SELECT ${COLUMNS} FROM ${FROM} ${q.whereClause()} ORDER BY s.id LIMIT ${q.param(o.limit + 1)}`,
          'webhooks-list',
        ),
        ex,
      );
    },

    insert: (w: CreateWebhook, sealedSecret: string, actorId: string, ex: Executor) =>
      db.one<{ id: string }>(
        {
          name: 'webhooks-insert',
          text: `WITH s AS (
                   INSERT INTO webhook_subscriptions (url, topics, description, signing_secret, created_by, updated_by)
                   VALUES ($1, $2, COALESCE($3, ''), $4, $5, $5) RETURNING id
                 ), st AS (
                   INSERT INTO webhook_subscription_state (subscription_id) SELECT id FROM s
                 )
                 SELECT id FROM s`,
          values: [w.url, w.topics, w.description ?? null, sealedSecret, actorId],
        },
        ex,
      ),

    lockVersion: (id: string, ex: Executor) =>
      db.maybeOne<{ version: number; status: string }>(
        {
          name: 'webhooks-lock',
          text: 'SELECT version, status FROM webhook_subscriptions WHERE id = $1 FOR UPDATE',
          values: [id],
        },
        ex,
      ),

    update: (id: string, w: Omit<UpdateWebhook, 'version'>, actorId: string, ex: Executor) =>
      db.execute(
        {
          name: 'webhooks-update',
          text: `UPDATE webhook_subscriptions
                    SET url = COALESCE($2, url), topics = COALESCE($3, topics), description = COALESCE($4, description),
                        status = COALESCE($5, status),
                        disabled_reason = CASE COALESCE($5, status) WHEN 'active' THEN NULL
                                          ELSE CASE WHEN $5 = 'disabled' THEN 'manual' ELSE disabled_reason END END,
                        updated_by = $6, version = version + 1
                  WHERE id = $1`,
          values: [id, w.url ?? null, w.topics ?? null, w.description ?? null, w.status ?? null, actorId],
        },
        ex,
      ),

    /** A subscription enabled again starts with a clean slate: its old failures do not count towards disabling. */
    clearFailing: (id: string, ex: Executor) =>
      db.execute(
        {
          name: 'webhooks-clear-failing',
          text: 'UPDATE webhook_subscription_state SET failing_since = NULL WHERE subscription_id = $1',
          values: [id],
        },
        ex,
      ),

    rotateSecret: (id: string, sealedSecret: string, keepPreviousSeconds: number, actorId: string, ex: Executor) =>
      db.execute(
        {
          name: 'webhooks-rotate-secret',
          text: `UPDATE webhook_subscriptions
                    SET previous_signing_secret = signing_secret,
                        previous_secret_expires_at = now() + make_interval(secs => $3),
                        signing_secret = $2, updated_by = $4, version = version + 1
                  WHERE id = $1`,
          values: [id, sealedSecret, keepPreviousSeconds, actorId],
        },
        ex,
      ),

    remove: (id: string, ex: Executor) =>
      db.execute(
        { name: 'webhooks-delete', text: 'DELETE FROM webhook_subscriptions WHERE id = $1', values: [id] },
        ex,
      ),

    // --- deliveries -------------------------------------------------------------------------------------

    getDelivery: (subscriptionId: string, id: string, ex?: Executor) =>
      db.maybeOne<DeliveryRow>(
        {
          name: 'webhooks-delivery-get',
          text: `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE subscription_id = $1 AND id = $2`,
          values: [subscriptionId, id],
        },
        ex,
      ),

    /** Newest first. */
    listDeliveries: (
      o: { subscriptionId: string; status?: DeliveryStatus; beforeId: string | null; limit: number },
      ex?: Executor,
    ) => {
      const q = new SqlBuilder();
      q.where(`subscription_id = ${q.param(o.subscriptionId)}`)
        .filter('status', o.status, (v) => `status = ${v}`)
        .filter('before', o.beforeId, (v) => `id < ${v}::bigint`);
      return db.many<DeliveryRow>(
        q.statement(
          `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries ${q.whereClause()} ORDER BY id DESC LIMIT ${q.param(o.limit + 1)}`,
          'webhooks-deliveries',
        ),
        ex,
      );
    },

    insertPing: (subscriptionId: string, messageId: string, payload: unknown, actorId: string, ex: Executor) =>
      db.one<{ id: string }>(
        {
          name: 'webhooks-insert-ping',
          text: `INSERT INTO webhook_deliveries (subscription_id, message_id, kind, event_type, payload, created_by, updated_by)
                 VALUES ($1, $2, 'ping', 'webhook.ping', $3, $4, $4) RETURNING id`,
          values: [subscriptionId, messageId, JSON.stringify(payload), actorId],
        },
        ex,
      ),

    /** Sends a delivery again from its first attempt (a replay, or a retry of one that gave up). */
    requeue: (subscriptionId: string, id: string, actorId: string, ex: Executor) =>
      db.execute(
        {
          name: 'webhooks-requeue',
          text: `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), updated_by = $3
                  WHERE subscription_id = $1 AND id = $2`,
          values: [subscriptionId, id, actorId],
        },
        ex,
      ),

    /** Finished deliveries older than `days`, up to `batch` of them. */
    pruneDeliveries: (days: number, batch: number, ex?: Executor) =>
      db.execute(
        {
          name: 'webhooks-prune',
          text: `DELETE FROM webhook_deliveries WHERE id IN (
                   SELECT id FROM webhook_deliveries
                    WHERE status <> 'pending' AND created_at < now() - make_interval(days => $1) LIMIT $2)`,
          values: [days, batch],
        },
        ex,
      ),

    // --- the fan-out -----------------------------------------------------------------------------------

    /** How far the fan-out has read the outbox, locked until the transaction ends (one fan-out at a time). */
    lockFeed: (ex: Executor) =>
      db.one<{ position: string | null }>(
        { name: 'webhooks-feed-lock', text: 'SELECT position FROM webhook_feed FOR UPDATE', values: [] },
        ex,
      ),

    saveFeed: (position: string, ex: Executor) =>
      db.execute(
        {
          name: 'webhooks-feed-save',
          text: 'UPDATE webhook_feed SET position = $1, updated_at = now()',
          values: [position],
        },
        ex,
      ),

    /**
     * One delivery per event and active subscription to its topic (or *) that existed when the change happened,
     * in event order (ids ascend with the outbox position); an event already fanned out is skipped. Returns the
     * subscriptions that received any.
     */
    insertEventDeliveries: async (messages: EventMessage[], ex: Executor) =>
      (
        await db.many<{ id: string }>(
          {
            name: 'webhooks-fanout-insert',
            text: `WITH ins AS (
                     INSERT INTO webhook_deliveries (subscription_id, message_id, kind, event_type, payload)
                     SELECT s.id, m.message_id, 'event', m.type, m.payload
                       FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[], $5::timestamptz[])
                              WITH ORDINALITY AS m(message_id, type, payload, topic, created_at, n)
                       JOIN webhook_subscriptions s
                         ON s.status = 'active' AND (m.topic = ANY (s.topics) OR '*' = ANY (s.topics))
                        AND s.created_at <= m.created_at
                      ORDER BY m.n, s.id
                     ON CONFLICT (subscription_id, message_id) DO NOTHING
                     RETURNING subscription_id
                   )
                   SELECT DISTINCT subscription_id AS id FROM ins`,
            values: [
              messages.map((m) => m.messageId),
              messages.map((m) => m.type),
              messages.map((m) => JSON.stringify(m.payload)),
              messages.map((m) => m.topic),
              messages.map((m) => m.createdAt),
            ],
          },
          ex,
        )
      ).map((r) => r.id),

    // --- the delivery engine ----------------------------------------------------------------------------

    /**
     * The subscription and its delivery state, the state row locked (SKIP LOCKED: null when another worker is
     * claiming it this very moment). In a transaction.
     */
    lockForDelivery: (id: string, ex: Executor) =>
      db.maybeOne<SubscriptionForDelivery>(
        {
          name: 'webhooks-lock-for-delivery',
          text: `SELECT s.id, s.url, s.status, s.signing_secret,
                        CASE WHEN s.previous_secret_expires_at > now() THEN s.previous_signing_secret END AS previous_signing_secret,
                        st.leased_until, st.leased_until > now() AS leased
                   FROM webhook_subscriptions s JOIN webhook_subscription_state st ON st.subscription_id = s.id
                  WHERE s.id = $1 FOR UPDATE OF st SKIP LOCKED`,
          values: [id],
        },
        ex,
      ),

    /** The subscription's pending events in order (the first ones: they go out one after another) and pings. */
    pending: (id: string, limit: number, ex: Executor) =>
      db.many<PendingRow>(
        {
          name: 'webhooks-pending',
          text: `(SELECT id, message_id, kind, payload, attempts, next_attempt_at, next_attempt_at <= now() AS due
                    FROM webhook_deliveries
                   WHERE subscription_id = $1 AND status = 'pending' AND kind = 'event' ORDER BY id LIMIT $2)
                 UNION ALL
                 (SELECT id, message_id, kind, payload, attempts, next_attempt_at, next_attempt_at <= now() AS due
                    FROM webhook_deliveries
                   WHERE subscription_id = $1 AND status = 'pending' AND kind = 'ping' ORDER BY next_attempt_at, id LIMIT $2)`,
          values: [id, limit],
        },
        ex,
      ),

    lease: (id: string, token: string, seconds: number, ex: Executor) =>
      db.execute(
        {
          name: 'webhooks-lease',
          text: `UPDATE webhook_subscription_state SET leased_by = $2, leased_until = now() + make_interval(secs => $3)
                  WHERE subscription_id = $1`,
          values: [id, token, seconds],
        },
        ex,
      ),

    /**
     * Records deliveries that succeeded and extends (or, `seconds` null, releases) the lease; false when the lease
     * is no longer ours (it expired and another worker took over: stop).
     */
    recordSuccesses: async (
      id: string,
      token: string,
      done: { id: string; status: number; at: Date }[],
      seconds: number | null,
      ex?: Executor,
    ) =>
      (await db.execute(
        {
          name: 'webhooks-record-successes',
          text: `WITH done AS (
                   UPDATE webhook_deliveries d
                      SET status = 'succeeded', attempts = d.attempts + 1, last_attempt_at = x.at, delivered_at = x.at,
                          last_status_code = x.code, last_error = NULL
                     FROM unnest($3::bigint[], $4::int[], $5::timestamptz[]) AS x(id, code, at)
                    WHERE d.id = x.id AND d.subscription_id = $1 AND d.status = 'pending'
                 )
                 UPDATE webhook_subscription_state
                    SET failing_since = CASE WHEN cardinality($3::bigint[]) > 0 THEN NULL ELSE failing_since END,
                        last_success_at = CASE WHEN cardinality($3::bigint[]) > 0 THEN now() ELSE last_success_at END,
                        leased_by = CASE WHEN $6::int IS NULL THEN NULL ELSE leased_by END,
                        leased_until = CASE WHEN $6::int IS NULL THEN NULL ELSE now() + make_interval(secs => $6) END
                  WHERE subscription_id = $1 AND leased_by = $2`,
          values: [id, token, done.map((d) => d.id), done.map((d) => d.status), done.map((d) => d.at), seconds],
        },
        ex,
      )) === 1,

    /**
     * One failed attempt: the delivery waits for its next attempt (or has failed for good), the lease is released,
     * and the subscription's failing_since starts if it was not failing. Returns since when it has been failing.
     */
    recordFailure: (
      id: string,
      token: string,
      f: { deliveryId: string; status: number | null; error: string; next: Date | null },
      ex: Executor,
    ) =>
      db.maybeOne<{ failing_since: Date }>(
        {
          name: 'webhooks-record-failure',
          text: `WITH d AS (
                   UPDATE webhook_deliveries
                      SET attempts = attempts + 1, last_attempt_at = now(), last_status_code = $4, last_error = $5,
                          status = CASE WHEN $6::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
                          next_attempt_at = COALESCE($6, next_attempt_at)
                    WHERE id = $3 AND subscription_id = $1 AND status = 'pending'
                 )
                 UPDATE webhook_subscription_state
                    SET failing_since = COALESCE(failing_since, now()), leased_by = NULL, leased_until = NULL
                  WHERE subscription_id = $1 AND leased_by = $2
                 RETURNING failing_since`,
          values: [id, token, f.deliveryId, f.status, f.error, f.next],
        },
        ex,
      ),

    /** Disables a subscription that has failed too long (the audit trigger records it, with no acting user). */
    disableFailing: (id: string, ex: Executor) =>
      db.execute(
        {
          name: 'webhooks-disable-failing',
          text: `UPDATE webhook_subscriptions SET status = 'disabled', disabled_reason = 'failing', version = version + 1
                  WHERE id = $1 AND status = 'active'`,
          values: [id],
        },
        ex,
      ),

    /** Subscriptions with deliveries due that nobody is working on (the sweep's safety net). */
    dueSubscriptions: (limit: number, ex?: Executor) =>
      db.many<{ id: string }>(
        {
          name: 'webhooks-due',
          text: `SELECT DISTINCT d.subscription_id AS id
                   FROM webhook_deliveries d
                   JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.status = 'active'
                   JOIN webhook_subscription_state st ON st.subscription_id = d.subscription_id
                  WHERE d.status = 'pending' AND d.next_attempt_at <= now()
                    AND (st.leased_until IS NULL OR st.leased_until < now())
                  LIMIT $1`,
          values: [limit],
        },
        ex,
      ),
  };
}

export type WebhooksRepository = ReturnType<typeof createWebhooksRepository>;
