// Prometheus metrics (prom-client): one Registry per app, so tests can build many apps in one process.
// GET /metrics on the API port needs `Authorization: Bearer <METRICS_TOKEN>`; METRICS_PORT additionally
// serves it on 127.0.0.1 only. In production with neither configured, /metrics is off (docs/runbooks/metrics.md).
import http from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { FastHistogram } from './fast-histogram.js';
import type { Config } from '../config.js';
import type { Db } from './db.js';
import type { RedisClient } from './redis.js';
import { AppError, unauthorized, sendProblem } from './errors.js';

export interface MetricsOptions {
  config: Config;
  db: Db;
  redis: RedisClient | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    metricsRegistry: Registry;
  }
}

const REDIS_STATES = ['wait', 'connecting', 'connect', 'ready', 'reconnecting', 'close', 'end'] as const;
const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison: hashing first makes both sides the same length. */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const given = header?.startsWith('Bearer ') ? header.slice(7) : '';
  return timingSafeEqual(sha256(given), sha256(token));
}

export function createMetrics(o: MetricsOptions) {
  const register = new Registry();
  collectDefaultMetrics({ register });

  // Observed on every request and every statement: FastHistogram (fast-histogram.ts), read on scrape.
  const httpDuration = new FastHistogram(
    'acolhe_http_request_duration_seconds',
    'HTTP request duration by route pattern (never the raw URL), method and status code',
    ['method', 'route', 'status_code'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    register,
  );
  const httpErrors = new Counter({
    name: 'acolhe_http_errors_total',
    help: 'Problem responses (4xx/5xx) by problem code and status',
    labelNames: ['code', 'status_code'] as const,
    registers: [register],
  });
  const queryDuration = new FastHistogram(
    'acolhe_db_query_duration_seconds',
    'Database statement duration by statement name ("unnamed" for ad-hoc and transaction control) and outcome',
    ['statement', 'outcome'],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
    register,
  );
  const queryErrors = new Counter({
    name: 'acolhe_db_query_errors_total',
    help: 'Failed database statements by statement name and SQLSTATE (or driver error code)',
    labelNames: ['statement', 'code'] as const,
    registers: [register],
  });
  let seenSlow = 0;
  new Counter({
    name: 'acolhe_db_slow_queries_total',
    help: `Statements slower than SLOW_QUERY_MS (${o.config.SLOW_QUERY_MS} ms)`,
    registers: [register],
    collect() {
      const now = o.db.stats().slowQueries;
      this.inc(now - seenSlow);
      seenSlow = now;
    },
  });
  new Gauge({
    name: 'acolhe_db_pool_connections',
    help: 'Connections of the pg pool: total open, idle, and requests waiting for one',
    labelNames: ['state'] as const,
    registers: [register],
    collect() {
      const s = o.db.stats();
      this.set({ state: 'total' }, s.total);
      this.set({ state: 'idle' }, s.idle);
      this.set({ state: 'waiting' }, s.waiting);
    },
  });
  new Gauge({
    name: 'acolhe_db_pool_max_connections',
    help: 'DB_POOL_MAX: the most connections the pool opens',
    registers: [register],
    collect() {
      this.set(o.config.DB_POOL_MAX);
    },
  });
  const replicas = o.db.replicas;
  const seenReads = new Map<string, number>();
  new Counter({
    name: 'acolhe_db_reads_total',
    help: 'Routed reads (lists, searches, reports, exports) by where they ran: "primary" or a replica (host:port/database); only with DATABASE_REPLICA_URLS',
    labelNames: ['target'] as const,
    registers: [register],
    collect() {
      if (!replicas) return;
      const r = replicas.reads();
      for (const [target, n] of [
        ['primary', r.primary] as const,
        ...r.replicas.map((x) => [x.name, x.reads] as const),
      ]) {
        this.inc({ target }, n - (seenReads.get(target) ?? 0));
        seenReads.set(target, n);
      }
    },
  });
  new Gauge({
    name: 'acolhe_db_replica_up',
    help: '1 while a read replica is used for routed reads, 0 while it is skipped (down, or not a standby)',
    labelNames: ['replica'] as const,
    registers: [register],
    collect() {
      for (const r of replicas?.replicas ?? []) this.set({ replica: r.name }, r.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'acolhe_db_replica_lag_seconds',
    help: 'How far a read replica was behind the primary at its last check (an upper bound; REPLICA_MAX_LAG_MS skips it)',
    labelNames: ['replica'] as const,
    registers: [register],
    collect() {
      for (const r of replicas?.replicas ?? []) if (r.lagMs !== null) this.set({ replica: r.name }, r.lagMs / 1000);
    },
  });
  const redis = o.redis;
  new Gauge({
    name: 'acolhe_redis_up',
    help: '1 when the Redis connection is ready, 0 when it is down or not configured (the service then runs on PostgreSQL alone)',
    registers: [register],
    collect() {
      this.set(redis?.status === 'ready' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'acolhe_redis_connection_state',
    help: 'ioredis connection state (1 for the current one); absent states are 0; "none" when Redis is not configured',
    labelNames: ['state'] as const,
    registers: [register],
    collect() {
      for (const s of REDIS_STATES) this.set({ state: s }, redis?.status === s ? 1 : 0);
      this.set({ state: 'none' }, redis ? 0 : 1);
    },
  });

  o.db.onQuery((e) => {
    const seconds = e.durationMs / 1000;
    queryDuration.observe({ statement: e.name, outcome: e.ok ? 'ok' : 'error' }, seconds);
    if (!e.ok) queryErrors.inc({ statement: e.name, code: e.pgCode ?? 'unknown' });
  });

  return { register, httpDuration, httpErrors };
}

async function metricsPlugin(app: FastifyInstance) {
  const o: MetricsOptions = { config: app.config, db: app.db, redis: app.redis };
  const { register, httpDuration, httpErrors } = createMetrics(o);
  app.decorate('metricsRegistry', register);

  // Callback-style hook: no promise per request on the hot path. The problem code is the one sendProblem sent.
  app.addHook('onResponse', (request, reply, done) => {
    const status = String(reply.statusCode);
    // routeOptions.url is the pattern (/api/v1/users/:id); unmatched URLs share one label.
    const route = request.routeOptions.url ?? 'unmatched';
    httpDuration.observe({ method: request.method, route, status_code: status }, reply.elapsedTime / 1000);
    if (reply.statusCode >= 400) httpErrors.inc({ code: request.problemCode ?? 'unknown', status_code: status });
    done();
  });

  const token = o.config.METRICS_TOKEN;
  // Open without a token only outside production, and only when no separate port is configured.
  const openOnApiPort = !token && o.config.NODE_ENV !== 'production' && !o.config.METRICS_PORT;
  app.get(
    '/metrics',
    { config: { permission: 'public' }, schema: { hide: true } },
    async (request: FastifyRequest, reply: FastifyReply) => {
      if (!token && !openOnApiPort)
        return sendProblem(reply, new AppError(404, 'route_not_found', 'No route GET /metrics'));
      if (token && !tokenMatches(request.headers.authorization, token)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        return sendProblem(reply, unauthorized('A valid metrics token is required'));
      }
      return reply.type(register.contentType).send(await register.metrics());
    },
  );

  if (o.config.METRICS_PORT) {
    const port = o.config.METRICS_PORT;
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      register
        .metrics()
        .then((body) => res.writeHead(200, { 'content-type': register.contentType }).end(body))
        .catch(() => res.writeHead(500).end());
    });
    // Started with the API (not at build time, so app.inject tests never bind it); loopback only.
    app.addHook('onListen', async () => {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
      app.log.info(`metrics on http://127.0.0.1:${port}/metrics`);
    });
    app.addHook('onClose', async () => {
      if (!server.listening) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
  }
}

export default fp(metricsPlugin, { name: 'metrics', dependencies: ['db', 'redis'] });
