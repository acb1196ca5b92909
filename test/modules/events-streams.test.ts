// The transports and their limits: EventSource tickets, heartbeats, per-user and per-instance stream limits, a
// slow consumer dropped with a reason instead of growing memory, and Socket.IO's /events namespace (a real
// socket.io-client) with the same topics, resume, authorization and revocation as SSE.
import http from 'node:http';
import t, { type Test } from 'tap';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { admin, userWith, type TestUser } from '../helpers/auth.js';
import { socketClient, sseClient } from '../helpers/events.js';
import { waitFor } from '../helpers/wait.js';
import { setupProject } from './case-fixtures.js';
import type { EventsService } from '../../apps/backend/src/modules/events/index.js';

async function listening(t: Test, env: Record<string, string> = {}) {
  let events!: EventsService;
  const ctx = await buildTestApp(t, { env, extendApi: (api) => (events = api.events) });
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = ctx.app.server.address() as { port: number };
  return { ctx, events, port, url: `http://127.0.0.1:${port}` };
}

const ticketFor = async (ctx: TestContext, u: TestUser) => {
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/tickets', headers: u.headers });
  return { status: res.statusCode, body: res.json() as { ticket: string; expires_at: string } };
};

/** The error a refused Socket.IO handshake ends with (its `data` carries the problem's code and status). */
const refusal = (connected: Promise<void>) =>
  connected.then(
    () => new Error('connected'),
    (err: unknown) => err,
  );

/** Bulk events straight into the outbox (what triggers write), `size` bytes of row id each. */
const flood = (ctx: TestContext, n: number, size = 200) =>
  ctx.db.execute({
    text: `INSERT INTO change_events (topic, row_id, action)
           SELECT 'projects', lpad(g::text, $2, '0'), 'update' FROM generate_series(1, $1) AS g`,
    values: [n, size],
  });

t.test('EventSource tickets: single use, 60 s, bound to a live session; the token never in a URL', async (t) => {
  const { ctx, url } = await listening(t);
  const boss = await admin(ctx);
  const { status, body } = await ticketFor(ctx, boss);
  t.equal(status, 201);
  const ttl = (Date.parse(body.expires_at) - Date.now()) / 1000;
  t.ok(ttl > 50 && ttl <= 61, `valid about 60 s (${ttl.toFixed(1)})`);
  t.notMatch(body.ticket, new RegExp(boss.access_token.slice(0, 20)), 'not the access token');

  const client = sseClient(t, url, { ticket: body.ticket });
  await client.ready;
  const p = await setupProject(ctx, boss);
  t.equal((await client.waitForEvents(1))[0]!.row_id, p.id, 'a ticket opens a working stream');

  const stream = (q: string) => fetch(`${url}/api/v1/events/stream?${q}`).then((r) => r.status);
  t.equal(await stream(`ticket=${body.ticket}`), 401, 'a used ticket is refused');
  t.equal(await stream('ticket=made-up'), 401, 'an unknown ticket is refused');
  t.equal(await stream(''), 401, 'no credential at all');

  const expired = await ticketFor(ctx, boss);
  await ctx.db.execute({ text: "UPDATE event_tickets SET expires_at = created_at + interval '1 millisecond'" });
  t.equal(await stream(`ticket=${expired.body.ticket}`), 401, 'an expired ticket is refused');

  const other = await userWith(ctx, { role: 'viewer' });
  const revoked = await ticketFor(ctx, other);
  await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: other.headers });
  t.equal(await stream(`ticket=${revoked.body.ticket}`), 401, 'the ticket of an ended session is refused');
  t.equal((await ctx.app.inject({ method: 'POST', url: '/api/v1/events/tickets' })).statusCode, 401);
});

t.test('idle streams get a comment heartbeat', async (t) => {
  const { ctx, url } = await listening(t, { EVENTS_HEARTBEAT_SECONDS: '1' });
  const boss = await admin(ctx);
  const controller = new AbortController();
  t.teardown(() => controller.abort());
  const res = await fetch(`${url}/api/v1/events/stream`, { headers: boss.headers, signal: controller.signal });
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/event-stream/);
  t.equal(res.headers.get('cache-control'), 'no-store');
  const reader = res.body!.getReader();
  let text = '';
  await waitFor(
    async () => {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
      return text.includes(': heartbeat\n\n');
    },
    { what: 'a heartbeat', timeout: 5_000 },
  );
  t.match(text, /^retry: 2000\n\nid: [0-9a-f-]{33}\nevent: ready\ndata: \{"position":"[0-9a-f-]{33}"\}\n\n/);
});

t.test('stream limits: per user (429) and per instance (503), counted across both transports', async (t) => {
  const { ctx, url, events } = await listening(t, { EVENTS_MAX_STREAMS_PER_USER: '2', EVENTS_MAX_STREAMS: '3' });
  const boss = await admin(ctx);
  const viewer = await userWith(ctx, { role: 'viewer' });
  const third = await userWith(ctx, { role: 'viewer' });
  await sseClient(t, url, boss.access_token).ready;
  const sio = socketClient(t, url, boss.access_token);
  await sio.connected;
  await sio.ready;
  const over = await fetch(`${url}/api/v1/events/stream`, { headers: boss.headers });
  t.equal(over.status, 429);
  t.match(await over.json(), { code: 'too_many_streams' });
  const overSio = socketClient(t, url, boss.access_token);
  t.match(await refusal(overSio.connected), { data: { status: 429, code: 'too_many_streams' } });

  await sseClient(t, url, viewer.access_token).ready;
  const full = await fetch(`${url}/api/v1/events/stream`, { headers: third.headers });
  t.equal(full.status, 503, 'the instance is full');
  t.ok(Number(full.headers.get('retry-after')) > 0, 'with Retry-After');
  t.equal(events.status().streams, 3);
});

t.test('a slow consumer is dropped with a reason instead of growing memory, and resumes', async (t) => {
  const { ctx, port, url, events } = await listening(t, { EVENTS_STREAM_BUFFER_BYTES: '16384' });
  const boss = await admin(ctx);
  // A client that stops reading: its socket's buffers fill up, then the server's.
  const stalled = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http.get({ port, path: '/api/v1/events/stream', headers: boss.headers }, resolve).on('error', reject),
  );
  t.equal(stalled.statusCode, 200);
  let firstChunk = '';
  await new Promise<void>((resolve) => {
    const onData = (d: Buffer) => {
      firstChunk += d.toString();
      if (!firstChunk.includes('event: ready')) return;
      stalled.pause();
      stalled.off('data', onData);
      resolve();
    };
    stalled.on('data', onData);
  });
  const start = /event: ready\ndata: \{"position":"([0-9a-f-]+)"/.exec(firstChunk)![1]!;
  await flood(ctx, 40_000);
  await waitFor(() => events.status().closes.slow_consumer === 1, {
    what: 'the slow consumer dropped',
    timeout: 20_000,
  });
  t.equal(events.status().streams, 0, 'its stream is gone from the hub');
  let rest = '';
  stalled.on('data', (d: Buffer) => (rest += d.toString()));
  stalled.resume();
  await new Promise((resolve) => stalled.on('end', resolve));
  t.match(rest, /event: close\ndata: \{"reason":"slow_consumer"\}\n\n$/, 'the client is told why');
  const lastId = [...rest.matchAll(/^id: (\S+)$/gm)].at(-1)?.[1];
  t.ok(lastId, 'it received a part of the events');

  // Resuming from where it stopped reading, it gets the rest: nothing lost, nothing twice.
  const resumed = sseClient(t, url, boss.access_token, { lastEventId: lastId });
  await resumed.ready;
  const received = rest.match(/^id: /gm)!.length + (firstChunk.match(/^id: /gm)?.length ?? 0) - 1; // minus ready
  t.equal(received + resumed.events.length, 40_000, `${received} before the drop + ${resumed.events.length} after`);
  t.ok(start < resumed.events[0]!.position);
});

t.test('Socket.IO /events: the same feed, topics, resume and revocation as SSE', async (t) => {
  const { ctx, url } = await listening(t);
  const boss = await admin(ctx);
  const viewer = await userWith(ctx, ['beneficiaries:read', 'projects:read']);

  const sio = socketClient(t, url, boss.access_token);
  await sio.connected;
  const start = await sio.ready;
  const p = await setupProject(ctx, boss);
  const [e] = await sio.waitForEvents(1);
  t.match(e, { topic: 'projects', row_id: p.id, action: 'insert', position: /^[0-9a-f-]{33}$/ });
  t.ok(e!.position > start);

  const replay = socketClient(t, url, boss.access_token, { lastEventId: start, transports: ['polling'] });
  await replay.ready;
  t.same(replay.events, [e], 'resumes after last_event_id (over long-polling too)');

  const viewerSocket = socketClient(t, url, viewer.access_token, { topics: ['projects'] });
  await viewerSocket.ready;
  const b = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/beneficiaries',
    headers: boss.headers,
    payload: { full_name: 'Não mostrar' },
  });
  const p2 = await setupProject(ctx, boss);
  t.same(
    (await viewerSocket.waitForEvents(1)).map((x) => x.row_id),
    [p2.id],
    'only the topics asked for',
  );
  t.equal(b.statusCode, 201);

  const refused: [string, { topics?: string | string[]; lastEventId?: string }, number, string][] = [
    ['nope', {}, 401, 'a bad token'],
    [viewer.access_token, { topics: 'enrollments' }, 403, 'a topic it may not read'],
    [viewer.access_token, { topics: ['nothing'] }, 400, 'an unknown topic'],
    [viewer.access_token, { lastEventId: 'yesterday' }, 400, 'a malformed position'],
  ];
  for (const [token, o, status, why] of refused)
    t.match(await refusal(socketClient(t, url, token, o).connected), { data: { status } }, `refused: ${why}`);

  await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: viewer.headers });
  await waitFor(() => viewerSocket.closed(), { what: 'the revoked session disconnected' });
  t.same(viewerSocket.control.at(-1), { type: 'closing', data: { reason: 'session_ended' } });
  t.notOk(sio.closed(), "the admin's socket stays");
});

t.test('Socket.IO: a client that stops polling is dropped as a slow consumer', async (t) => {
  const { ctx, url, events } = await listening(t, { EVENTS_STREAM_BUFFER_BYTES: '16384' });
  const boss = await admin(ctx);
  // Engine.IO long-polling by hand: open, join /events, then never poll again.
  const open = await (await fetch(`${url}/socket.io/?EIO=4&transport=polling`)).text();
  const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
  const post = await fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
    method: 'POST',
    body: `40/events,${JSON.stringify({ token: boss.access_token })}`,
  });
  t.equal(post.status, 200);
  await waitFor(() => events.status().streams === 1, { what: 'the socket subscribed' });
  await flood(ctx, 2_000);
  await waitFor(() => events.status().closes.slow_consumer === 1, { what: 'the stalled socket dropped' });
  t.equal(events.status().streams, 0);
});
