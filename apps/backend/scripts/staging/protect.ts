// The generator writes tens of thousands of fake people: it must never reach production by accident.

export class StagingRefused extends Error {}

/** Database name, host and host:port of a postgres:// URL, lower-cased, for matching PROTECTED_DATABASES. */
export function targetNames(url: string): { database: string; host: string; names: string[] } {
  const u = new URL(url);
  const database = decodeURIComponent(u.pathname.slice(1)) || decodeURIComponent(u.username) || 'postgres';
  const host = (u.hostname || u.searchParams.get('host') || 'localhost').toLowerCase();
  const names = [database.toLowerCase(), host, `${host}:${u.port || '5432'}`, `${host}/${database.toLowerCase()}`];
  return { database, host, names };
}

export function checkTarget(o: {
  url: string;
  nodeEnv: string;
  protectedDatabases: string;
  force: boolean;
  log: (line: string) => void;
}): void {
  const { database, host, names } = targetNames(o.url);
  const listed = o.protectedDatabases
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const hit = listed.find((p) => names.includes(p));
  const reasons = [
    ...(o.nodeEnv === 'production' ? ['NODE_ENV=production'] : []),
    ...(hit ? [`database ${database} on ${host} is listed in PROTECTED_DATABASES (${hit})`] : []),
  ];
  if (reasons.length === 0) return;
  if (!o.force)
    throw new StagingRefused(
      `refusing to write staging data: ${reasons.join('; ')} (pass --force if you really mean it)`,
    );
  o.log(`WARNING: --force given: writing staging data although ${reasons.join('; ')}`);
}
