// Webhooks on one instance: subscriptions (secret shown once, audited, redacted), signed deliveries verified with
// the standardwebhooks verifier, retries on the configured schedule with the same webhook-id, order per
// subscription, giving up, replay, disabling after failing too long, secret rotation, and what the sender
// refuses: private destinations, redirects, slow answers.
import t from 'tap';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { admin, userWith, type TestUser } from '../helpers/auth.js';
import { startReceiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait.js';
import { setupProject } from './case-fixtures.js';

/** Deliveries on, loopback allowed, retries fast (the default schedule's values are tested in webhook-rules). */
const DELIVERING = {
  JOBS_ENABLED: 'true',
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_RETRY_SCHEDULE: '50ms,100ms,150ms',
  WEBHOOK_TIMEOUT_MS: '1000',
  WEBHOOK_CONNECT_TIMEOUT_MS: '500',
};

interface Delivery {
  id: string;
  message_id: string;
  kind: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  delivered_at: string | null;
}

async function subscribe(ctx: TestContext, user: TestUser, url: string, topics = ['beneficiaries']) {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/webhooks',
    headers: user.headers,
    payload: { url, topics, description: 'test receiver' },
  });
  if (res.statusCode !== 201) throw new Error(`create webhook: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; secret: string; version: number };
}

const deliveries = async (ctx: TestContext, user: TestUser, id: string) =>
  (await ctx.app.inject({ method: 'GET', url: `/api/v1/webhooks/${id}/deliveries`, headers: user.headers })).json()
    .data as Delivery[];

async function ping(ctx: TestContext, user: TestUser, id: string): Promise<Delivery> {
  const res = await ctx.app.inject({ method: 'POST', url: `/api/v1/webhooks/${id}/ping`, headers: user.headers });
  if (res.statusCode !== 201) throw new Error(`ping: ${res.statusCode} ${res.body}`);
  return res.json() as Delivery;
}

const settled = (ctx: TestContext, user: TestUser, id: string, deliveryId: string, status = 'succeeded') =>
  waitFor(
    async () => {
      const d = (await deliveries(ctx, user, id)).find((x) => x.id === deliveryId);
      return d?.status === status && d;
    },
    { timeout: 30_000, interval: 25, what: `delivery ${deliveryId} ${status}` },
  );

/** Event deliveries as the fan-out writes them (the outbox feeds it; here rows are written directly). */
async function eventDeliveries(ctx: TestContext, subscriptionId: string, n: number) {
  return ctx.db.many<{ id: string; message_id: string }>({
    text: `INSERT INTO webhook_deliveries (subscription_id, message_id, kind, event_type, payload)
           SELECT $1, 'evt_test_' || g, 'event', 'beneficiaries.update',
                  jsonb_build_object('type', 'beneficiaries.update', 'data', jsonb_build_object('row_id', g::text))
             FROM generate_series(1, $2) g
           RETURNING id, message_id`,
    values: [subscriptionId, n],
  });
}

t.test('subscriptions: created with a secret shown once, listed, changed, disabled, deleted; audited', async (t) => {
  const ctx = await buildTestApp(t, { env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
  const boss = await admin(ctx);
  const created = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/webhooks',
    headers: boss.headers,
    payload: { url: 'http://127.0.0.1:9/hook', topics: ['beneficiaries', 'enrollments'] },
  });
  t.equal(created.statusCode, 201);
  const w = created.json();
  t.match(w.secret, /^whsec_[A-Za-z0-9+/]{43}=$/, 'a Standard Webhooks secret (32 random bytes)');
  t.equal(created.headers.etag, '"1"');
  t.match(w, { status: 'active', disabled_reason: null, description: '', topics: ['beneficiaries', 'enrollments'] });

  const got = await ctx.app.inject({ method: 'GET', url: `/api/v1/webhooks/${w.id}`, headers: boss.headers });
  t.equal(got.statusCode, 200);
  t.notOk('secret' in got.json(), 'never shown again');
  const stored = await ctx.db.one<{ signing_secret: string }>({
    text: 'SELECT signing_secret FROM webhook_subscriptions WHERE id = $1',
    values: [w.id],
  });
  t.notMatch(stored.signing_secret, w.secret.slice(6), 'stored encrypted, not as given');
  t.match(stored.signing_secret, /^v1\./);

  const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/webhooks?limit=10', headers: boss.headers });
  t.same(
    list.json().data.map((x: { id: string }) => x.id),
    [w.id],
  );

  const stale = await ctx.app.inject({
    method: 'PATCH',
    url: `/api/v1/webhooks/${w.id}`,
    headers: { ...boss.headers, 'if-match': '"7"' },
    payload: { description: 'x' },
  });
  t.equal(stale.statusCode, 412);
  const disabled = await ctx.app.inject({
    method: 'PATCH',
    url: `/api/v1/webhooks/${w.id}`,
    headers: { ...boss.headers, 'if-match': '"1"' },
    payload: { status: 'disabled', description: 'paused' },
  });
  t.equal(disabled.statusCode, 200);
  t.match(disabled.json(), { status: 'disabled', disabled_reason: 'manual', description: 'paused', version: 2 });
  const enabled = await ctx.app.inject({
    method: 'PATCH',
    url: `/api/v1/webhooks/${w.id}`,
    headers: boss.headers,
    payload: { status: 'active' },
  });
  t.match(enabled.json(), { status: 'active', disabled_reason: null, version: 3 });

  const audit = await ctx.db.many<{ action: string; changes: Record<string, { new?: unknown; old?: unknown }> }>({
    text: "SELECT action, changes FROM audit_log WHERE table_name = 'webhook_subscriptions' AND row_id = $1 ORDER BY id",
    values: [w.id],
  });
  t.same(
    audit.map((a) => a.action),
    ['insert', 'update', 'update'],
  );
  t.equal(audit[0]!.changes.signing_secret?.new, '[redacted]', 'the secret never reaches the audit trail');
  t.same(audit[1]!.changes.status, { old: 'active', new: 'disabled' });

  const removed = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${w.id}`, headers: boss.headers });
  t.equal(removed.statusCode, 204);
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: `/api/v1/webhooks/${w.id}`, headers: boss.headers })).statusCode,
    404,
  );
  t.equal(
    (await ctx.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${w.id}`, headers: boss.headers })).statusCode,
    404,
  );

  const reader = await userWith(ctx, ['ops:read', 'beneficiaries:read']);
  t.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: reader.headers })).statusCode, 403);
  for (const topics of [['Beneficiaries'], ['sessions'], ['no_such_table']]) {
    const bad = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      headers: boss.headers,
      payload: { url: 'http://127.0.0.1/x', topics },
    });
    t.equal(bad.statusCode, 400, `topics are the change feed's or *: ${topics[0]} is not`);
  }
});

t.test(
  'private, loopback, link-local and metadata destinations are refused without WEBHOOK_ALLOW_PRIVATE',
  async (t) => {
    const ctx = await buildTestApp(t);
    const boss = await admin(ctx);
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost:8080/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.1.2.3/hook',
      'http://192.168.0.10/hook',
      'http://172.16.5.5/hook',
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[fd00:ec2::254]/hook',
      'http://0.0.0.0/hook',
    ]) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/webhooks',
        headers: boss.headers,
        payload: { url, topics: ['*'] },
      });
      t.equal(res.statusCode, 422, url);
      t.equal(res.json().errors?.[0]?.path, 'body.url');
    }
    const creds = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      headers: boss.headers,
      payload: { url: 'https://user:pass@example.org/hook', topics: ['*'] },
    });
    t.equal(creds.statusCode, 422);
    t.match(creds.json().detail, /credentials/);
    t.equal((await ctx.db.one<{ n: number }>({ text: 'SELECT count(*)::int AS n FROM webhook_subscriptions' })).n, 0);
  },
);

t.test('checked on the address connected to: a destination that became private is never reached', async (t) => {
  const receiver = await startReceiver(t);
  const ctx = await buildTestApp(t, { env: { ...DELIVERING, WEBHOOK_ALLOW_PRIVATE: 'false' } });
  const boss = await admin(ctx);
  // Saved when they pointed elsewhere (as after a DNS change): written directly, as the API refuses them now,
  // with the sealed secret of a subscription made through the API with a public address.
  const real = await subscribe(ctx, boss, 'http://93.184.215.14/hook');
  const made: string[] = [];
  for (const url of [
    receiver.url,
    `http://localhost:${receiver.port}/hook`,
    `http://[::ffff:127.0.0.1]:${receiver.port}/x`,
  ]) {
    const { id } = await ctx.db.one<{ id: string }>({
      text: `WITH s AS (INSERT INTO webhook_subscriptions (url, topics, signing_secret)
                        SELECT $1, '{*}', signing_secret FROM webhook_subscriptions WHERE id = $2 RETURNING id),
                  st AS (INSERT INTO webhook_subscription_state (subscription_id) SELECT id FROM s)
             SELECT id FROM s`,
      values: [url, real.id],
    });
    made.push(id);
  }
  for (const id of made) {
    const d = await ping(ctx, boss, id);
    const after = await waitFor(
      async () => {
        const x = (await deliveries(ctx, boss, id)).find((y) => y.id === d.id);
        return x && x.attempts >= 1 && x;
      },
      { timeout: 20_000, what: 'the attempt' },
    );
    t.match(after.last_error, /^refused: .*(loopback)/, `${id}: refused (${after.last_error})`);
    t.equal(after.last_status_code, null);
  }
  t.equal(receiver.received.length, 0, 'the receiver was never reached');
});

t.test('a ping reaches the receiver signed; the standardwebhooks verifier accepts it', async (t) => {
  const receiver = await startReceiver(t);
  const ctx = await buildTestApp(t, { env: DELIVERING });
  const boss = await admin(ctx);
  const w = await subscribe(ctx, boss, receiver.url);
  const d = await ping(ctx, boss, w.id);
  t.match(d, { kind: 'ping', status: 'pending', attempts: 0 });
  t.match(d.message_id, /^ping_/);
  const [r] = await receiver.waitForRequests(1);
  t.equal(r!.headers['webhook-id'], d.message_id);
  t.match(r!.headers['webhook-signature'], /^v1,[A-Za-z0-9+/=]+$/, 'one signature (no rotation)');
  t.equal(r!.headers['content-type'], 'application/json');
  t.match(receiver.verify(r!, w.secret), { type: 'webhook.ping', data: { webhook_id: w.id } });
  t.throws(
    () => receiver.verify(r!, `whsec_${Buffer.alloc(32, 1).toString('base64')}`),
    'another secret does not verify',
  );
  const done = await settled(ctx, boss, w.id, d.id);
  t.match(done, { attempts: 1, last_status_code: 200, last_error: null });
  t.ok(done.delivered_at);
});

t.test(
  'a change reaches a subscriber from the outbox: signed, thin, in order, once; other topics and older changes do not',
  async (t) => {
    const receiver = await startReceiver(t);
    const other = await startReceiver(t);
    const everything = await startReceiver(t);
    const ctx = await buildTestApp(t, { env: { ...DELIVERING, WEBHOOK_FANOUT_INTERVAL_MS: '100' } });
    const boss = await admin(ctx);
    await setupProject(ctx, boss, { name: 'Antes da assinatura' });
    const w = await subscribe(ctx, boss, receiver.url, ['projects']);
    await subscribe(ctx, boss, other.url, ['attendance']);
    await subscribe(ctx, boss, everything.url, ['*']);
    // An access change (a session revoked) is in the outbox for the streams; it is no webhook topic.
    const someone = await userWith(ctx, ['projects:read']);
    await ctx.db.execute({ text: 'UPDATE sessions SET revoked_at = now() WHERE user_id = $1', values: [someone.id] });
    const created = await setupProject(ctx, boss, { name: 'Oficina de Costura' });
    const renamed = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/projects/${created.id}`,
      headers: { ...boss.headers, 'if-match': `"${created.version}"` },
      payload: { name: 'Oficina de Bordado' },
    });
    t.equal(renamed.statusCode, 200);

    const got = await receiver.waitForRequests(2);
    const bodies = got.map((r) => receiver.verify(r, w.secret) as { type: string; data: Record<string, string> });
    t.match(
      bodies.map((b) => [b.type, b.data.row_id, b.data.action]),
      [
        ['projects.insert', created.id, 'insert'],
        ['projects.update', created.id, 'update'],
      ],
      'both changes, in the order they were made, verified with the standardwebhooks verifier',
    );
    for (const [i, r] of got.entries()) {
      t.same(Object.keys(bodies[i]!.data).sort(), ['action', 'event_id', 'occurred_at', 'row_id', 'topic'], 'thin');
      t.notMatch(r.body, /Costura|Bordado/, 'no value of the row');
      t.equal(r.headers['webhook-id'], `evt_${bodies[i]!.data.event_id}`, 'webhook-id is the event id');
    }
    await waitFor(async () => (await deliveries(ctx, boss, w.id)).every((d) => d.status === 'succeeded'), {
      what: 'both recorded as delivered',
    });
    t.equal((await deliveries(ctx, boss, w.id)).length, 2, 'the change made before the subscription is not delivered');
    // Later fan-out runs read after the stored position: a third change arrives, and nothing is sent twice.
    const third = await setupProject(ctx, boss, { name: 'Horta Comunitária' });
    const all = await receiver.waitForRequests(3);
    t.equal((receiver.verify(all[2]!, w.secret) as { data: { row_id: string } }).data.row_id, third.id);
    t.equal(new Set(all.map((r) => r.headers['webhook-id'])).size, 3, 'each change delivered once');
    t.equal(other.received.length, 0, 'a subscription to another topic receives nothing');
    const star = await everything.waitForRequests(3);
    t.same(
      star.map((r) => r.headers['webhook-id']),
      all.map((r) => r.headers['webhook-id']),
      '* receives the same changes with the same webhook-ids, and no access change',
    );
  },
);

t.test('receiver down: retried on the schedule with the same webhook-id, then delivered', async (t) => {
  const receiver = await startReceiver(t);
  const ctx = await buildTestApp(t, { env: DELIVERING });
  const boss = await admin(ctx);
  const w = await subscribe(ctx, boss, receiver.url);
  receiver.answers.push({ status: 503 });
  const d = await ping(ctx, boss, w.id);
  await receiver.waitForRequests(1);
  await receiver.down(); // the next attempt finds nobody listening
  const failedTwice = await waitFor(
    async () => {
      const x = (await deliveries(ctx, boss, w.id)).find((y) => y.id === d.id);
      return x && x.attempts >= 2 && x;
    },
    { what: 'the second attempt' },
  );
  t.match(failedTwice, { status: 'pending', last_status_code: null });
  t.match(failedTwice.last_error, /ECONNREFUSED/);
  await receiver.up();
  const done = await settled(ctx, boss, w.id, d.id);
  t.equal(done.attempts, 3);
  t.equal(done.last_status_code, 200);
  t.equal(receiver.received.length, 2, '503, (refused), 200');
  t.same(
    receiver.received.map((r) => r.headers['webhook-id']),
    [d.message_id, d.message_id],
    'the same webhook-id on every attempt',
  );
  for (const r of receiver.received) t.ok(receiver.verify(r, w.secret), 'each attempt verifies');
});

t.test('events go out in order per subscription: a failing one holds the next back', async (t) => {
  const receiver = await startReceiver(t);
  const ctx = await buildTestApp(t, { env: DELIVERING });
  const boss = await admin(ctx);
  const w = await subscribe(ctx, boss, receiver.url);
  const rows = await eventDeliveries(ctx, w.id, 5);
  receiver.answers.push({ status: 500 }, { status: 500 });
  await ping(ctx, boss, w.id); // wakes the subscription's deliveries (the fan-out does this for events)
  await receiver.waitForRequests(8);
  const events = receiver.received.filter((r) => String(r.headers['webhook-id']).startsWith('evt_'));
  const order = events.map((r) => r.headers['webhook-id']);
  const first = rows[0]!.message_id;
  // The first event was refused twice (the ping may have taken one of the 500s): it is repeated, nothing
  // overtakes it, and the rest follow in order.
  const firstIndexOfOthers = order.findIndex((id) => id !== first);
  t.ok(firstIndexOfOthers >= 1, 'the first event comes first');
  t.same(
    order.slice(firstIndexOfOthers),
    rows.slice(1).map((r) => r.message_id),
    'then the others, in order, each once',
  );
  t.ok(
    order.slice(0, firstIndexOfOthers).every((id) => id === first),
    'only the first one is repeated until it passes',
  );
  await waitFor(async () => (await deliveries(ctx, boss, w.id)).every((x) => x.status === 'succeeded'), {
    what: 'all delivered',
  });
});

t.test('gives up after the schedule, then a manual retry sends it again with the same webhook-id', async (t) => {
  const receiver = await startReceiver(t);
  const ctx = await buildTestApp(t, { env: DELIVERING });
  const boss = await admin(ctx);
  const w = await subscribe(ctx, boss, receiver.url);
  receiver.answers.push(...Array.from({ length: 4 }, () => ({ status: 500 })));
  const d = await ping(ctx, boss, w.id);
  const gaveUp = await settled(ctx, boss, w.id, d.id, 'failed');
  t.equal(gaveUp.attempts, 4, 'the first attempt and the 3 retries of WEBHOOK_RETRY_SCHEDULE');
  t.equal(gaveUp.last_status_code, 500);
  t.equal(gaveUp.last_error, 'HTTP 500');
  t.equal(receiver.received.length, 4);

  const retried = await ctx.app.inject({
    method: 'POST',
    url: `/api/v1/webhooks/${w.id}/deliveries/${d.id}/retry`,
    headers: boss.headers,
  });
  t.equal(retried.statusCode, 200);
  t.match(retried.json(), { status: 'pending', attempts: 0 });
  const done = await settled(ctx, boss, w.id, d.id);
  t.equal(done.attempts, 1);
  t.equal(receiver.received.at(-1)!.headers['webhook-id'], d.message_id);
  const missing = await ctx.app.inject({
    method: 'POST',
    url: `/api/v1/webhooks/${w.id}/deliveries/999999/retry`,
    headers: boss.headers,
  });
  t.equal(missing.statusCode, 404);
  const failedOnly = await ctx.app.inject({
    method: 'GET',
    url: `/api/v1/webhooks/${w.id}/deliveries?status=failed`,
    headers: boss.headers,
  });
  t.same(failedOnly.json().data, []);
});

t.test('a subscription failing for WEBHOOK_DISABLE_AFTER_HOURS is disabled, with an audit row', async (t) => {
  const receiver = await startReceiver(t);
  const ctx = await buildTestApp(t, { env: { ...DELIVERING, WEBHOOK_DISABLE_AFTER_HOURS: '1' } });
  const boss = await admin(ctx);
  const w = await subscribe(ctx, boss, receiver.url);
  // It has been failing for two hours already.
  await ctx.db.execute({
    text: "UPDATE webhook_subscription_state SET failing_since = now() - interval '2 hours' WHERE subscription_id = $1",
    values: [w.id],
  });
  receiver.answers.push({ status: 500 });
  await ping(ctx, boss, w.id);
  const off = await waitFor(
    async () => {
      const x = (
        await ctx.app.inject({ method: 'GET', url: `/api/v1/webhooks/${w.id}`, headers: boss.headers })
      ).json();
      return x.status === 'disabled' && x;
    },
    { what: 'the subscription disabled' },
  );
  t.equal(off.disabled_reason, 'failing');
  const audit = await ctx.db.one<{ user_id: string | null; changes: Record<string, unknown> }>({
    text: "SELECT user_id, changes FROM audit_log WHERE table_name = 'webhook_subscriptions' AND row_id = $1 AND action = 'update'",
    values: [w.id],
  });
  t.equal(audit.user_id, null, 'done by the system');
  t.same(audit.changes.disabled_reason, { new: 'failing' });
  t.equal(receiver.received.length, 1, 'nothing more is sent');

  const again = await ctx.app.inject({
    method: 'PATCH',
    url: `/api/v1/webhooks/${w.id}`,
    headers: boss.headers,
    payload: { status: 'active' },
  });
  t.match(again.json(), { status: 'active', failing_since: null }, 'enabled again with a clean slate');
  await receiver.waitForRequests(2); // the waiting ping goes out
});

t.test('secret rotation: the new secret shown once; both sign for 24 h; then only the new one', async (t) => {
  const receiver = await startReceiver(t);
  const ctx = await buildTestApp(t, { env: DELIVERING });
  const boss = await admin(ctx);
  const w = await subscribe(ctx, boss, receiver.url);
  const rotated = await ctx.app.inject({
    method: 'POST',
    url: `/api/v1/webhooks/${w.id}/rotate-secret`,
    headers: boss.headers,
  });
  t.equal(rotated.statusCode, 200);
  const r2 = rotated.json();
  t.not(r2.secret, w.secret);
  const expires = new Date(r2.previous_secret_expires_at).getTime();
  t.ok(Math.abs(expires - Date.now() - 86_400_000) < 60_000, 'the previous secret stays valid 24 h');

  await ping(ctx, boss, w.id);
  const [during] = await receiver.waitForRequests(1);
  t.equal(String(during!.headers['webhook-signature']).split(' ').length, 2, 'two signatures');
  t.ok(receiver.verify(during!, r2.secret), 'verifies with the new secret');
  t.ok(receiver.verify(during!, w.secret), 'and with the previous one');

  await ctx.db.execute({
    text: "UPDATE webhook_subscriptions SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1",
    values: [w.id],
  });
  await ping(ctx, boss, w.id);
  const after = (await receiver.waitForRequests(2))[1]!;
  t.equal(String(after.headers['webhook-signature']).split(' ').length, 1, 'one signature after 24 h');
  t.ok(receiver.verify(after, r2.secret));
  t.throws(() => receiver.verify(after, w.secret), 'the previous secret no longer verifies');
});

t.test('no redirects followed, slow answers time out, long answers are cut off', async (t) => {
  const receiver = await startReceiver(t);
  const target = await startReceiver(t);
  const ctx = await buildTestApp(t, {
    env: { ...DELIVERING, WEBHOOK_RETRY_SCHEDULE: '1h', WEBHOOK_TIMEOUT_MS: '300' },
  });
  const boss = await admin(ctx);
  const w = await subscribe(ctx, boss, receiver.url);

  receiver.answers.push({ status: 307, headers: { location: target.url } });
  const redirected = await ping(ctx, boss, w.id);
  const r1 = await waitFor(
    async () => (await deliveries(ctx, boss, w.id)).find((x) => x.id === redirected.id && x.attempts),
    {
      what: 'the redirected attempt',
    },
  );
  t.equal(r1.last_status_code, 307);
  t.equal(r1.last_error, 'HTTP 307: redirects are not followed');
  t.equal(target.received.length, 0, 'the Location was not requested');

  // The redirected ping waits an hour for its retry; pings are not held back behind each other.
  receiver.answers.push('hang');
  const slow = await ping(ctx, boss, w.id);
  const r2 = await waitFor(
    async () => (await deliveries(ctx, boss, w.id)).find((x) => x.id === slow.id && x.attempts),
    {
      what: 'the slow attempt',
    },
  );
  t.equal(r2.last_error, 'timeout (300 ms)');

  receiver.answers.push({ status: 200, body: 'x'.repeat(1024 * 1024) });
  const long = await ping(ctx, boss, w.id);
  const r3 = await settled(ctx, boss, w.id, long.id);
  t.equal(r3.last_status_code, 200, 'a 2xx is a success; the answer is not kept');
});
