// Load shedding (platform/load-shedding.ts): a server answers at once after a slow start, and a loop that is
// really blocked is measured for what it was (not as an infinite delay) and sheds load until it recovers.
import t from 'tap';
import Fastify from 'fastify';
import { buildTestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/wait.js';
import { loadShedding } from '../../apps/backend/src/platform/load-shedding.js';
import { registerErrorHandling } from '../../apps/backend/src/platform/errors.js';
import { indexRoutes } from '../../apps/backend/src/platform/route-index.js';

/** Holds the event loop like a slow synchronous step (schema compilation on a loaded machine). */
function block(ms: number) {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

t.test('a server whose start held the event loop answers at once, and through its first samples', async (t) => {
  const ctx = await buildTestApp(t, {
    // A boot step longer than a sample window: the window @fastify/under-pressure counted as an infinite delay.
    extend: (app) => void app.register(async () => block(1_500)),
  });
  const statuses = new Set<number>();
  await waitFor(
    async () => {
      statuses.add((await ctx.app.inject({ method: 'GET', url: '/health/live' })).statusCode);
      return ctx.app.eventLoopDelay().samples >= 2;
    },
    { timeout: 20_000, interval: 50, what: 'two event-loop samples' },
  );
  t.same([...statuses], [200], 'every request answered 200, from the first one on');
  t.ok(ctx.app.eventLoopDelay().delayMs < 2_000, 'the boot is not counted as load');
});

t.test('a window in which the loop never turned counts as the time it was held, and sheds load', async (t) => {
  const app = Fastify();
  registerErrorHandling(app, indexRoutes(app));
  loadShedding(app, { maxEventLoopDelayMs: 500, sampleIntervalMs: 1_000, retryAfterSeconds: 7 });
  // Held right after sampling starts: the first window gets no sample at all.
  app.addHook('onReady', (done) => {
    block(1_500);
    done();
  });
  app.get('/ping', async () => ({ ok: true }));
  t.teardown(() => app.close());
  await app.ready();

  await waitFor(() => app.eventLoopDelay().samples >= 1, { what: 'the first sample' });
  const { delayMs } = app.eventLoopDelay();
  t.ok(Number.isFinite(delayMs) && delayMs >= 1_000 && delayMs < 10_000, `measured ${Math.round(delayMs)} ms`);

  const shed = await app.inject({ method: 'GET', url: '/ping' });
  t.equal(shed.statusCode, 503);
  t.equal(shed.headers['retry-after'], '7');
  t.match(shed.headers['content-type'], /^application\/problem\+json/);
  t.match(shed.json(), { status: 503, code: 'service_unavailable' });

  const recovered = await waitFor(
    async () => (await app.inject({ method: 'GET', url: '/ping' })).statusCode === 200 && app.eventLoopDelay(),
    { timeout: 10_000, what: 'the next, normal window' },
  );
  t.ok(recovered.delayMs <= 500, 'the next window reads normal and requests are served again');
});
