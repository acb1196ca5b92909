// npm run bench [-- scenario ...]: every figure the issues ask for, measured side by side in one run.
// Scenarios: platform, auth, startup, migrations, beneficiaries, seeds, cache (default: all available).
import { startBenchEnv } from './env.js';
import { benchAuth, benchSelectOne } from './platform.js';
import { benchStartup } from './startup.js';

const log = (line: string) => console.log(line);
const all = ['platform', 'auth', 'startup', 'migrations', 'beneficiaries', 'seeds', 'cache'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  console.error(`unknown scenario ${unknown.join(', ')}; choose from ${all.join(', ')}`);
  process.exit(2);
}
const run = (name: string) => wanted.length === 0 || wanted.includes(name);

/** Optional scenario modules (added by their issues); missing ones are reported, not fatal. */
async function optional<T>(file: string, name: string): Promise<T | null> {
  try {
    return ((await import(file)) as Record<string, T>)[name] ?? null;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return null;
    throw err;
  }
}

const env = await startBenchEnv(log);
try {
  log(
    `# Acolhe benchmarks — ${new Date().toISOString()} — node ${process.version}, ${(await import('node:os')).cpus().length} cores`,
  );
  if (run('platform')) await benchSelectOne(env);
  if (run('auth')) await benchAuth(env);
  if (run('migrations')) {
    const f = await optional<(ctx: { adminUrl: string; log: typeof log }) => Promise<void>>(
      './migrations.js',
      'benchMigrations',
    );
    if (f) {
      log('\n## migrations: our engine vs dbmate');
      await f({ adminUrl: env.adminUrl, log });
    }
  }
  if (run('beneficiaries')) {
    const f = await optional<
      (ctx: {
        databaseUrl: string;
        app: typeof env.app;
        headers: Record<string, string>;
        log: typeof log;
      }) => Promise<void>
    >('./beneficiaries.js', 'benchBeneficiaries');
    if (f) {
      log('\n## beneficiaries');
      await f({ databaseUrl: env.databaseUrl, app: env.app, headers: { authorization: `Bearer ${env.token}` }, log });
    }
  }
  if (run('seeds')) {
    const f = await optional<(ctx: { adminUrl: string; log: typeof log }) => Promise<void>>('./seeds.js', 'benchSeeds');
    if (f) {
      log('\n## seeds');
      await f({ adminUrl: env.adminUrl, log });
    }
  }
  if (run('cache')) {
    const { benchCache } = await import('./cache.js');
    const redisUrl = env.app.config.REDIS_URL;
    if (!redisUrl) throw new Error('npm run bench -- cache needs redis-server on the PATH');
    await benchCache({
      databaseUrl: env.databaseUrl,
      redisUrl,
      adminEmail: env.adminEmail,
      adminPassword: env.adminPassword,
      log,
    });
  }
} finally {
  await env.close();
}
if (run('startup')) await benchStartup(log);
process.exit(0);
