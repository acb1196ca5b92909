// Every environment variable the service reads, in one TypeBox schema.
// loadConfig() validates at start and fails with one line naming the variable.
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { checkedCron } from './platform/cron.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const Int = (min: number, max: number, dflt: number, description: string) =>
  Type.Integer({ minimum: min, maximum: max, default: dflt, description });
const Str = (dflt: string, description: string) => Type.String({ default: dflt, description });
const OptUrl = (schemes: string[], description: string) =>
  Type.Optional(Type.String({ pattern: `^(${schemes.join('|')})://`, description }));
const PG = ['postgres', 'postgresql'];
const Bool = (dflt: boolean, description: string) => Type.Boolean({ default: dflt, description });
/** A cron expression (5 fields, or 6 with seconds first) evaluated in ORG_TIMEZONE, or `off`. */
const CRON_PATTERN = '^(off|\\S+( \\S+){4,5})$';
const Cron = (dflt: string, what: string) =>
  Type.String({
    default: dflt,
    pattern: CRON_PATTERN,
    description: `cron (in ORG_TIMEZONE) of ${what}; off disables it`,
  });

export const ConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], {
    default: 'development',
    description: 'development | test | production',
  }),
  HOST: Str('127.0.0.1', 'interface the API binds to'),
  PORT: Int(0, 65535, 3000, 'TCP port of the API (0 picks a free one)'),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'pino log level' },
  ),
  DATA_DIR: Str('.data', 'where embedded PostgreSQL and generated dev files live (relative to the repo root)'),

  DATABASE_URL: OptUrl(
    PG,
    'postgres:// URL of the application database; empty starts embedded PostgreSQL (not in production)',
  ),
  MIGRATION_DATABASE_URL: OptUrl(
    PG,
    'postgres:// URL used by migrations, the seeds and backups (owner role, a direct connection); defaults to DIRECT_DATABASE_URL, then DATABASE_URL',
  ),
  DIRECT_DATABASE_URL: OptUrl(
    PG,
    'direct (session-mode) connection for migrations, advisory locks held across transactions (relay leader, seed, backups) and LISTEN; defaults to DATABASE_URL',
  ),
  DATABASE_PREPARED_STATEMENTS: Type.Boolean({
    default: true,
    description:
      'false when DATABASE_URL is a transaction pooler without protocol-level prepared statements (PgBouncer before 1.21): every statement is sent unnamed',
  }),
  DATABASE_REPLICA_URLS: Str(
    '',
    "comma-separated postgres:// URLs of streaming read replicas: list, search, report and export reads go to one that has replayed the caller's last write, else to the primary; empty: every read on the primary",
  ),
  REPLICA_MAX_LAG_MS: Int(0, 3_600_000, 5_000, 'a read replica further behind the primary than this is skipped'),
  DB_POOL_MAX: Int(1, 200, 10, 'maximum connections in the pg pool'),
  DB_STATEMENT_TIMEOUT_MS: Int(100, 3_600_000, 15_000, 'statement_timeout for every pooled connection'),
  DB_IDLE_TIMEOUT_MS: Int(1_000, 3_600_000, 30_000, 'idle client timeout of the pool'),
  DB_CONNECT_TIMEOUT_MS: Int(100, 120_000, 5_000, 'timeout of one connection attempt'),
  DB_STARTUP_WAIT_MS: Int(0, 600_000, 60_000, 'how long start-up waits for the database (exponential backoff)'),
  DB_APPLICATION_NAME: Str('acolhe-api', 'application_name seen in pg_stat_activity'),
  SLOW_QUERY_MS: Int(1, 3_600_000, 500, 'queries at least this slow are logged (name and duration only)'),

  REDIS_URL: OptUrl(
    ['redis', 'rediss'],
    'redis:// URL; empty starts a private redis-server if one is on the PATH (not in production)',
  ),

  JWT_SECRET: Type.Optional(
    Type.String({ minLength: 32, description: 'HS256 signing secret, at least 32 characters' }),
  ),
  JWT_ISSUER: Str('acolhe', 'iss claim, pinned on verification'),
  JWT_AUDIENCE: Str('acolhe-api', 'aud claim, pinned on verification'),
  ACCESS_TOKEN_TTL_SECONDS: Int(30, 86_400, 900, 'lifetime of an access token'),
  SESSION_TTL_SECONDS: Int(300, 31_536_000, 2_592_000, 'lifetime of a session / refresh token'),
  REFRESH_REUSE_GRACE_SECONDS: Int(0, 300, 10, 'a rotated refresh token presented within this window is tolerated'),
  CACHE_TTL_SECONDS: Int(
    1,
    86_400,
    300,
    'longest life of a cached value (permissions, settings, flags, catalogues; docs/development.md "Caching")',
  ),
  CACHE_LOCAL_TTL_SECONDS: Int(
    1,
    3_600,
    5,
    'longest an in-process cached value is trusted while Redis is not configured or not answering: the staleness bound across instances in that mode',
  ),
  CACHE_LOCAL_MAX_ENTRIES: Int(100, 1_000_000, 10_000, 'values kept in each process (least recently used go first)'),
  CACHE_BYPASS: Str(
    '',
    'comma-separated cache regions read from PostgreSQL every time (permissions, settings, logo, flags, vulnerabilities), or * for all: diagnosis, and the uncached side of the benchmark',
  ),
  LOGIN_MAX_ATTEMPTS: Int(1, 10_000, 10, 'failed sign-ins per e-mail in the window before 429 (a success clears them)'),
  LOGIN_MAX_ATTEMPTS_PER_IP: Int(1, 100_000, 50, 'failed sign-ins per client address in the window before 429'),
  LOGIN_WINDOW_SECONDS: Int(1, 86_400, 900, 'window of the sign-in limits'),
  PASSWORD_RESET_TTL_SECONDS: Int(60, 604_800, 3_600, 'lifetime of a password reset token'),
  PASSWORD_RESET_MAX_PER_EMAIL: Int(1, 10_000, 3, 'password reset requests per e-mail in the window before 429'),
  PASSWORD_RESET_MAX_PER_IP: Int(1, 100_000, 20, 'password reset requests per client address in the window before 429'),
  PASSWORD_RESET_WINDOW_SECONDS: Int(1, 86_400, 3_600, 'window of the password reset limits'),
  REFRESH_MAX_PER_IP: Int(1, 100_000, 60, 'token refreshes per client address in the window before 429'),
  REFRESH_WINDOW_SECONDS: Int(1, 86_400, 60, 'window of the refresh limit'),
  ANONYMOUS_MAX_PER_IP: Int(
    1,
    1_000_000,
    300,
    'requests without a valid access token (public routes, unknown routes, failed authentication) per client address in the window before 429',
  ),
  ANONYMOUS_WINDOW_SECONDS: Int(1, 86_400, 60, 'window of the unauthenticated-request limit'),
  PUBLIC_URL: Str('http://localhost:3000', 'base URL used in links sent to users'),
  MAILER: Type.Optional(
    Type.Union([Type.Literal('log'), Type.Literal('none')], {
      description:
        'log: write password-reset links to the log (the default outside production; refused in production); none: send nothing (the default in production)',
    }),
  ),

  CORS_ORIGINS: Str('', 'comma-separated allowed origins; empty disables CORS'),
  TRUST_PROXY: Str(
    '',
    'proxies in front of the API whose X-Forwarded-For names the client: a hop count (1 = one load balancer) or comma-separated proxy addresses/CIDRs; empty: the TCP peer is the client',
  ),
  BODY_LIMIT_BYTES: Int(1_024, 104_857_600, 1_048_576, 'largest accepted request body'),
  REQUEST_TIMEOUT_MS: Int(1_000, 600_000, 30_000, 'server requestTimeout'),
  KEEP_ALIVE_TIMEOUT_MS: Int(1_000, 600_000, 72_000, 'server keepAliveTimeout'),
  SHUTDOWN_TIMEOUT_MS: Int(100, 600_000, 10_000, 'grace period for in-flight requests on shutdown'),
  ORG_TIMEZONE: Str('America/Sao_Paulo', 'time zone in which calendar days are computed'),
  REPORT_MIN_CELL: Int(
    2,
    100,
    5,
    'reports suppress counts from 1 to this minus 1 (and the cells that would let them be recomputed); docs/reports.md',
  ),
  REPORT_REFRESH_TIMEOUT_MS: Int(1_000, 3_600_000, 600_000, 'statement timeout of each materialized view refresh'),
  REPORT_XLSX_MAX_ROWS: Int(
    1,
    1_048_575,
    100_000,
    'most data rows a report exported as xlsx may have (csv has no cap)',
  ),

  EVENTS_RETENTION_HOURS: Int(
    1,
    87_600,
    168,
    'change events older than this are pruned; a client resuming from before gets a reset event',
  ),
  EVENTS_MAX_STREAMS: Int(
    1,
    100_000,
    10_000,
    'event streams (SSE and Socket.IO) one instance serves at once; past it 503',
  ),
  EVENTS_MAX_STREAMS_PER_USER: Int(1, 10_000, 20, 'event streams one user may hold open on one instance; past it 429'),
  EVENTS_STREAM_BUFFER_BYTES: Int(
    16_384,
    67_108_864,
    1_048_576,
    'bytes a stream may have waiting to be sent; a client further behind is dropped (reason slow_consumer) and resumes',
  ),
  EVENTS_HEARTBEAT_SECONDS: Int(1, 300, 15, 'comment heartbeat on idle SSE streams; session re-check of every stream'),
  EVENTS_POLL_MS: Int(
    50,
    60_000,
    1_000,
    'how often the relay reads the outbox without a NOTIFY, and an instance whose Redis subscription is down catches up',
  ),

  METRICS_TOKEN: Type.Optional(
    Type.String({ minLength: 16, description: 'bearer token required by GET /metrics (at least 16 characters)' }),
  ),
  METRICS_PORT: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 65535,
      description: 'serve /metrics on this port of 127.0.0.1 only, besides the token-protected API route',
    }),
  ),
  PROTECTED_DATABASES: Str(
    '',
    'comma-separated database names or hosts (host or host:port) that npm run seed:staging refuses to write to without --force',
  ),
  PG_BIN_DIR: Str(
    '',
    "directory holding pg_dump/pg_restore of the server's major version (schema dump, backups); empty uses the PATH",
  ),
  BACKUP_DIR: Str('.data/backups', 'where npm run backup writes dumps (relative to the repo root)'),
  BACKUP_RETENTION_DAYS: Int(1, 3650, 30, 'backups older than this are pruned (the newest is always kept)'),
  BACKUP_ENCRYPTION_KEY: Type.Optional(
    Type.String({
      pattern: '^([A-Za-z0-9+/]{43}=|[0-9a-fA-F]{64})$',
      description:
        'encrypts backups (AES-256-GCM, streamed in chunks): 32 bytes as base64 (openssl rand -base64 32) or 64 hex digits; required in production unless BACKUP_ALLOW_PLAINTEXT=true',
    }),
  ),
  BACKUP_PREVIOUS_KEYS: Str(
    '',
    'comma-separated earlier BACKUP_ENCRYPTION_KEYs that restore and backup:verify may still decrypt with (key rotation)',
  ),
  BACKUP_ALLOW_PLAINTEXT: Type.Boolean({
    default: false,
    description: 'true: in production, write an unencrypted backup when BACKUP_ENCRYPTION_KEY is not set',
  }),

  JOBS_ENABLED: Bool(
    true,
    'this instance runs jobs (workers and schedules); false: it only enqueues and lists them (docs/runbooks/jobs.md)',
  ),
  JOBS_CONCURRENCY: Int(1, 32, 2, 'jobs of one name this instance runs at once'),
  JOBS_POLL_INTERVAL_MS: Int(
    500,
    60_000,
    2_000,
    'how often an idle worker looks for new jobs (a job enqueued by the same instance starts at once)',
  ),
  JOBS_HEARTBEAT_SECONDS: Int(
    1,
    300,
    10,
    "a running job's heartbeat; a run silent for three beats (its process died) is returned to the queue",
  ),
  JOBS_MAINTENANCE_INTERVAL_SECONDS: Int(
    1,
    3_600,
    60,
    'how often the queue fails jobs past their time limit (then retried) and archives finished ones',
  ),
  JOBS_CRON_CHECK_SECONDS: Int(1, 45, 30, 'how often the schedules are evaluated (by one instance at a time)'),
  JOBS_HISTORY_DAYS: Int(1, 3_650, 90, 'days of job runs kept for GET /api/v1/admin/jobs and the metrics'),
  BACKUP_SCHEDULE: Cron('0 2 * * *', 'the backup job (pg_dump into BACKUP_DIR, then pruning)'),
  RESTORE_TEST_SCHEDULE: Cron('0 4 1 * *', 'the restore test (backup:verify on the newest backup)'),
  MAINTENANCE_SCHEDULE: Cron('30 3 * * *', 'database maintenance (ANALYZE, dead tuples, bloat, amcheck)'),
  PRUNE_SCHEDULE: Cron(
    '15 * * * *',
    'pruning (expired sessions and reset tokens, change events past retention, old job runs and deliveries)',
  ),
  REPORTS_REFRESH_SCHEDULE: Cron('40 * * * *', 'the refresh of the report views (reports.refresh)'),
  PRIVACY_RETENTION_SCHEDULE: Cron(
    '0 5 2 * *',
    'retention (privacy.retention): anonymise everyone whose retention period has ended',
  ),
  BACKUP_VERIFY_DATABASE_URL: OptUrl(
    PG,
    'server and role (allowed to CREATE DATABASE) where the restore test restores the newest backup into a scratch database; defaults to DIRECT_DATABASE_URL, then DATABASE_URL',
  ),
  MAINTENANCE_AMCHECK_INDEXES: Int(
    0,
    100_000,
    20,
    'btree indexes checked with amcheck per maintenance run, in rotation (0: none)',
  ),

  WEBHOOK_SECRET_KEY: Type.Optional(
    Type.String({
      minLength: 32,
      description:
        'key encrypting webhook signing secrets at rest (at least 32 characters); without it webhooks cannot be created in production (development keeps a generated one under DATA_DIR)',
    }),
  ),
  WEBHOOK_ALLOW_PRIVATE: Type.Optional(
    Type.Boolean({
      description:
        'allow webhook destinations on loopback, private, link-local and metadata addresses (local receivers, tests); default true in development, false otherwise',
    }),
  ),
  WEBHOOK_TIMEOUT_MS: Int(100, 60_000, 10_000, 'a delivery succeeds on a 2xx answer within this time'),
  WEBHOOK_CONNECT_TIMEOUT_MS: Int(100, 60_000, 5_000, 'time allowed to connect to a webhook destination'),
  WEBHOOK_RETRY_SCHEDULE: Str(
    '5s,5m,30m,2h,5h,10h,10h',
    'delays before each retry of a failed delivery (ms, s, m, h; ±20 % jitter); the first attempt is immediate',
  ),
  WEBHOOK_DISABLE_AFTER_HOURS: Int(1, 8_760, 120, 'a subscription failing for this long is disabled'),
  WEBHOOK_CONCURRENCY: Int(1, 64, 4, 'subscriptions this instance delivers to at once'),
  WEBHOOK_FANOUT_INTERVAL_MS: Int(
    100,
    60_000,
    1_000,
    'how often new changes are read from the outbox into webhook deliveries (by one instance at a time)',
  ),
  WEBHOOK_RETENTION_DAYS: Int(1, 3_650, 30, 'days finished webhook deliveries are kept'),
  GIT_COMMIT: Type.Optional(
    Type.String({
      pattern: '^[0-9a-fA-F]{7,40}$',
      expected: 'a git commit id (7 to 40 hex digits)',
      description: 'commit being run, shown by GET /api/v1/system; empty asks git in the checkout',
    }),
  ),
  BUILD_TIME: Type.Optional(
    Type.String({
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})$',
      expected: 'an ISO 8601 time with its offset, e.g. 2026-12-02T14:00:00Z',
      description: 'when this build was made (ISO 8601), shown by GET /api/v1/system; empty reads the build stamp',
    }),
  ),

  SEED_ADMIN_EMAIL: Type.Optional(
    Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', description: 'first admin e-mail (required outside development)' }),
  ),
  SEED_ADMIN_PASSWORD: Type.Optional(
    Type.String({ description: 'first admin password (required outside development)' }),
  ),
});

export type Config = Omit<Static<typeof ConfigSchema>, 'MAILER' | 'WEBHOOK_ALLOW_PRIVATE'> & {
  MAILER: 'log' | 'none';
  WEBHOOK_ALLOW_PRIVATE: boolean;
  dataDir: string;
  backupDir: string;
  corsOrigins: string[];
  /** DATABASE_REPLICA_URLS as a list (each checked to be a postgres:// URL). */
  replicaUrls: string[];
  /** CACHE_BYPASS as a set ('*' for every region). */
  cacheBypass: ReadonlySet<string>;
  /** Fastify's `trustProxy`: false (the peer is the client), a hop count, or the trusted proxy addresses. */
  trustProxy: false | number | string[];
};

declare module 'fastify' {
  interface FastifyInstance {
    /** The validated configuration, decorated by buildApp: platform plugins and modules read it here. */
    config: Config;
  }
}

export class ConfigError extends Error {}

const PRODUCTION_REQUIRED = ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET'] as const;
const SECRET_NAME = /SECRET|PASSWORD|TOKEN|KEY/;

/**
 * A value as an error message may show it: never a secret, never the credentials of a URL (everything before
 * its last `@`, so a password holding an unescaped `@` or `/` is hidden whole).
 */
function shown(key: string, value: unknown): string {
  if (SECRET_NAME.test(key)) return JSON.stringify('***');
  const text = String(value);
  const at = text.lastIndexOf('@');
  if (at < 0) return JSON.stringify(text);
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0] ?? '';
  return JSON.stringify(`${scheme}***${text.slice(at)}`);
}

/** An IPv4/IPv6 address, optionally with a /prefix length. */
function isAddressOrCidr(entry: string): boolean {
  const [address = '', bits, ...rest] = entry.split('/');
  const family = net.isIP(address);
  if (!family || rest.length) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

function parseTrustProxy(raw: string): Config['trustProxy'] {
  const value = raw.trim();
  if (value === '' || value === '0') return false;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const entries = list(value);
  const bad = entries.find((entry) => !isAddressOrCidr(entry));
  if (bad !== undefined)
    throw new ConfigError(
      `Invalid configuration: TRUST_PROXY must be a hop count or comma-separated proxy addresses/CIDRs (got ${shown('TRUST_PROXY', bad)})`,
    );
  return entries;
}

function describe(schema: TSchema): string {
  if (schema.expected) return schema.expected as string;
  if (schema.enum) return `one of ${schema.enum.join(', ')}`;
  if (schema.anyOf) return `one of ${schema.anyOf.map((s: TSchema) => s.const).join(', ')}`;
  if (schema.type === 'integer') return `an integer from ${schema.minimum} to ${schema.maximum}`;
  if (schema.pattern === CRON_PATTERN) return 'a cron expression (5 or 6 fields) or off';
  if (schema.pattern?.endsWith('://'))
    return `a URL starting with ${schema.pattern.slice(2, -4).replaceAll('|', ':// or ')}://`;
  if (schema.pattern?.includes('@')) return 'an e-mail address';
  if (schema.pattern) return `in its format (${schema.description})`;
  if (schema.type === 'boolean') return 'true or false';
  if (schema.minLength) return `a string of at least ${schema.minLength} characters`;
  if (schema.format) return `a valid ${schema.format}`;
  return schema.description ?? 'a valid value';
}

type Settings = Static<typeof ConfigSchema>;

/**
 * Some of the variables, validated by the same schema with the same messages, for command-line scripts that need
 * a few settings without the server's production requirements (a backup needs no JWT_SECRET).
 */
export function loadSettings<K extends keyof Settings>(keys: readonly K[], env: NodeJS.ProcessEnv = process.env) {
  const schema = Type.Pick(ConfigSchema, keys as K[]);
  const raw: Record<string, unknown> = {};
  for (const key of keys) {
    const v = env[key as string];
    if (v !== undefined && v !== '') raw[key as string] = v;
  }
  const value = Value.Convert(schema, Value.Default(schema, raw)) as Record<string, unknown>;
  const first = Value.Errors(schema, value).First();
  if (first) {
    const key = first.path.replace(/^\//, '').split('/')[0]!;
    const got = raw[key] === undefined ? 'nothing' : shown(key, raw[key]);
    throw new ConfigError(
      `Invalid configuration: ${key} must be ${describe(ConfigSchema.properties[key as keyof Settings] as TSchema)} (got ${got})`,
    );
  }
  return value as Pick<Settings, K>;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cfg = loadSettings(Object.keys(ConfigSchema.properties) as (keyof Settings)[], env);
  for (const [key, schema] of Object.entries(ConfigSchema.properties) as [string, TSchema][]) {
    if (schema.pattern !== CRON_PATTERN) continue;
    try {
      checkedCron(cfg[key as keyof typeof cfg] as string, cfg.ORG_TIMEZONE, key);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }
  if (cfg.NODE_ENV === 'production') {
    const missing = PRODUCTION_REQUIRED.filter((k) => !cfg[k]);
    if (missing.length)
      throw new ConfigError(`Invalid configuration: ${missing.join(', ')} required when NODE_ENV=production`);
    if (cfg.MAILER === 'log')
      throw new ConfigError(
        'Invalid configuration: MAILER=log writes password-reset links to the log and is refused when NODE_ENV=production (MAILER=none sends nothing)',
      );
  }
  return {
    ...cfg,
    MAILER: cfg.MAILER ?? (cfg.NODE_ENV === 'production' ? 'none' : 'log'),
    // A receiver on the developer's own machine works out of the box; anywhere else private addresses are opt-in.
    WEBHOOK_ALLOW_PRIVATE: cfg.WEBHOOK_ALLOW_PRIVATE ?? cfg.NODE_ENV === 'development',
    trustProxy: parseTrustProxy(cfg.TRUST_PROXY),
    dataDir: path.resolve(REPO_ROOT, cfg.DATA_DIR),
    backupDir: path.resolve(REPO_ROOT, cfg.BACKUP_DIR),
    cacheBypass: new Set(list(cfg.CACHE_BYPASS)),
    corsOrigins: list(cfg.CORS_ORIGINS),
    replicaUrls: parseReplicaUrls(cfg.DATABASE_REPLICA_URLS),
  };
}

const list = (raw: string) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function parseReplicaUrls(raw: string): string[] {
  const urls = list(raw);
  const bad = urls.find((u) => !new RegExp(`^(${PG.join('|')})://`).test(u));
  if (bad !== undefined)
    throw new ConfigError(
      `Invalid configuration: DATABASE_REPLICA_URLS must be comma-separated postgres:// URLs (got ${shown('DATABASE_REPLICA_URLS', bad)})`,
    );
  return urls;
}
