import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ConfigError, ConfigSchema, loadConfig } from '../../apps/backend/src/config.js';
import { README, renderEnvExample, withConfigTable } from '../../apps/backend/scripts/env-example.js';
import { REPO } from '../setup/paths.js';
import { childEnv } from '../helpers/child-env.js';

t.test('defaults need no configuration', async (t) => {
  const c = loadConfig({});
  t.equal(c.PORT, 3000);
  t.equal(c.NODE_ENV, 'development');
  t.equal(c.SLOW_QUERY_MS, 500);
  t.same(c.corsOrigins, []);
});

t.test('values are converted and validated', async (t) => {
  const c = loadConfig({ PORT: '8080', CORS_ORIGINS: 'https://a.example, https://b.example' });
  t.equal(c.PORT, 8080);
  t.same(c.corsOrigins, ['https://a.example', 'https://b.example']);
});

t.test('pooler and replica settings', async (t) => {
  const d = loadConfig({});
  t.equal(d.DATABASE_PREPARED_STATEMENTS, true, 'statements are prepared unless told otherwise');
  t.same(d.replicaUrls, [], 'no replicas: every read on the primary');
  t.equal(d.DIRECT_DATABASE_URL, undefined, 'the direct URL defaults to DATABASE_URL where it is used');
  const c = loadConfig({
    DATABASE_PREPARED_STATEMENTS: 'false',
    DATABASE_REPLICA_URLS: 'postgres://app:pw@replica-1:5432/acolhe, postgresql://app:pw@replica-2/acolhe',
    REPLICA_MAX_LAG_MS: '2000',
  });
  t.equal(c.DATABASE_PREPARED_STATEMENTS, false);
  t.same(c.replicaUrls, ['postgres://app:pw@replica-1:5432/acolhe', 'postgresql://app:pw@replica-2/acolhe']);
  t.equal(c.REPLICA_MAX_LAG_MS, 2000);
  t.throws(() => loadConfig({ DATABASE_PREPARED_STATEMENTS: 'nope' }), {
    message: /^Invalid configuration: DATABASE_PREPARED_STATEMENTS must be true or false \(got "nope"\)$/,
  });
  const bad = (() => {
    try {
      loadConfig({ DATABASE_REPLICA_URLS: 'postgres://a@r1/acolhe,mysql://user:s3cret@r2/acolhe' });
    } catch (err) {
      return err as Error;
    }
  })();
  t.type(bad, ConfigError);
  t.match(
    bad?.message,
    /DATABASE_REPLICA_URLS must be comma-separated postgres:\/\/ URLs \(got "mysql:\/\/\*\*\*@r2\/acolhe"\)/,
  );
  t.notMatch(bad?.message, 's3cret', 'the password is not shown');
});

t.test('a bad value names the variable and what is expected', async (t) => {
  t.throws(() => loadConfig({ PORT: 'abc' }), {
    message: /^Invalid configuration: PORT must be an integer from 0 to 65535 \(got "abc"\)$/,
  });
  t.throws(() => loadConfig({ NODE_ENV: 'staging' }), {
    message: /NODE_ENV must be one of development, test, production/,
  });
  t.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), {
    message: /DATABASE_URL must be a URL starting with postgres:\/\/ or postgresql:\/\//,
  });
  t.throws(
    () => loadConfig({ JWT_SECRET: 'short' }),
    { message: /JWT_SECRET must be a string of at least 32 characters \(got "\*\*\*"\)/ },
    'secrets are not echoed',
  );
});

t.test('a configuration error never shows the password of a URL', async (t) => {
  for (const [key, value, shown, secret] of [
    [
      'DATABASE_URL',
      'mysql://admin:s3cret-pw@db.example:3306/acolhe',
      'mysql://***@db.example:3306/acolhe',
      's3cret-pw',
    ],
    ['MIGRATION_DATABASE_URL', 'http://owner:p@ss/w0rd@db.example/acolhe', 'http://***@db.example/acolhe', 'w0rd'],
    ['REDIS_URL', 'memcached://:redis-secret@cache.example:6379', 'memcached://***@cache.example:6379', 'redis-secret'],
    ['DATABASE_URL', 'owner:s3cret-pw@db.example/acolhe', '***@db.example/acolhe', 's3cret-pw'],
  ] as const) {
    const error = (() => {
      try {
        loadConfig({ [key]: value });
      } catch (err) {
        return err as Error;
      }
    })();
    t.type(error, ConfigError, `${key} is refused`);
    const message = error?.message ?? '';
    t.match(
      message,
      new RegExp(`^Invalid configuration: ${key} must be .*\\(got "${shown.replace(/[*.]/g, '\\$&')}"\\)$`),
    );
    t.notMatch(message, secret, `${key}: the password is not shown`);
  }
});

t.test('MAILER=log (reset links in the log) is refused in production, where nothing is sent by default', async (t) => {
  const production = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://db.example/acolhe',
    REDIS_URL: 'redis://cache.example',
    JWT_SECRET: 'x'.repeat(40),
  };
  t.equal(loadConfig(production).MAILER, 'none');
  t.equal(loadConfig({ ...production, MAILER: 'none' }).MAILER, 'none');
  t.throws(() => loadConfig({ ...production, MAILER: 'log' }), {
    message:
      /^Invalid configuration: MAILER=log writes password-reset links to the log and is refused when NODE_ENV=production/,
  });
  t.equal(loadConfig({}).MAILER, 'log', 'development logs them');
  t.equal(loadConfig({ NODE_ENV: 'test' }).MAILER, 'log');
});

t.test('production requires its infrastructure', async (t) => {
  t.throws(
    () => loadConfig({ NODE_ENV: 'production' }),
    new ConfigError('Invalid configuration: DATABASE_URL, REDIS_URL, JWT_SECRET required when NODE_ENV=production'),
  );
});

t.test('PORT=abc stops the server with one line naming PORT', async (t) => {
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'apps/backend/src/server.ts'], {
    cwd: REPO,
    env: childEnv({ PORT: 'abc' }),
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.equal(res.status, 1);
  const lines = res.stderr.trim().split('\n');
  t.equal(lines.length, 1, 'one line, no stack trace');
  t.match(lines[0], /PORT/);
});

t.test('.env.example documents every variable and is up to date', async (t) => {
  const committed = fs.readFileSync(path.join(REPO, '.env.example'), 'utf8');
  for (const name of Object.keys(ConfigSchema.properties)) t.match(committed, new RegExp(`^#? ?${name}=`, 'm'), name);
  t.equal(committed, renderEnvExample(), 'run `npm run env:example` to regenerate .env.example');
  const readme = fs.readFileSync(README, 'utf8');
  t.equal(readme, withConfigTable(readme), 'run `npm run env:example` to regenerate the README configuration table');
});

t.test('docs/auth/roles.md shows the current roles × permissions matrix', async (t) => {
  const { ROLES_DOC, withMatrix } = await import('../../apps/backend/scripts/roles-matrix.js');
  const doc = fs.readFileSync(ROLES_DOC, 'utf8');
  t.equal(doc, withMatrix(doc), 'run `npm run docs:roles` to regenerate the matrix');
});
