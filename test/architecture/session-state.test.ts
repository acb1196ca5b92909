// The pool (DATABASE_URL) may be a transaction pooler: nothing that runs on it may leave state in the session
// for a later transaction (docs/runbooks/transaction-pooler.md). Session-level settings, session advisory
// locks, LISTEN, temporary tables, prepared or held cursors appear only in the files listed here, each of which
// opens its own connection from the direct URL (MIGRATION_DATABASE_URL / DIRECT_DATABASE_URL). A new one must
// be added here, with its reason, by whoever makes sure it never uses the pool.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { REPO } from '../setup/paths.js';

const SESSION_STATE: [string, RegExp][] = [
  ['a session-level SET', /(['"`;]\s*)SET\s+(SESSION\s+)?(?!LOCAL\b)[a-z_.]+\s*(=|TO\b)/i],
  ['SET ROLE / SET SESSION AUTHORIZATION', /(['"`;]\s*)SET\s+(ROLE|SESSION\s+AUTHORIZATION)\b/i],
  ['set_config(…, false) (lasts the session)', /set_config\([^)]*,\s*false\s*\)/i],
  ['a session advisory lock', /pg_(try_)?advisory_lock(_shared)?\s*\(/i],
  ['LISTEN', /(['"`;]\s*)LISTEN\s/i],
  ['a temporary table', /CREATE\s+(TEMP|TEMPORARY)\s+TABLE/i],
  ['a cursor held across transactions', /WITH\s+HOLD/i],
  ['an SQL-level PREPARE', /(['"`;]\s*)PREPARE\s+\w+/i],
];

/** Files that hold a session on purpose, on a connection of their own from the direct URL. */
const SESSION_OWNERS: Record<string, string> = {
  'apps/backend/src/database/migrator/connection.ts': 'the migration lock, on the migrator’s own client',
  'apps/backend/src/database/backup/backup.ts': 'the backup lock, on its own client (withClient)',
  'apps/backend/scripts/staging/generate.ts': 'the generator’s lock and session settings, on its own client',
  'apps/backend/scripts/staging/sql.ts': 'the generator’s staging temp tables, on its own client',
  'apps/backend/scripts/bench/seeds.ts': 'benchmark scratch databases, on their own clients',
  'apps/backend/src/modules/events/relay.ts':
    'the relay leader’s advisory lock, LISTEN and session timeouts, on its own client from DIRECT_DATABASE_URL',
  'apps/backend/scripts/bench/sides/sse-clients.ts': 'the bare LISTEN/NOTIFY round trip, on its own client',
};

function sources(dir: string): string[] {
  return fs
    .readdirSync(path.join(REPO, dir), { withFileTypes: true, recursive: true })
    .flatMap((e) =>
      e.isFile() && e.name.endsWith('.ts') ? [path.relative(REPO, path.join(e.parentPath, e.name))] : [],
    );
}

t.test('no session state outside the files that own a direct connection', async (t) => {
  const files = [...sources('apps/backend/src'), ...sources('apps/backend/scripts')];
  t.ok(files.length > 50, `scanned ${files.length} files`);
  const found = new Set<string>();
  for (const file of files) {
    const text = fs.readFileSync(path.join(REPO, file), 'utf8');
    for (const [what, pattern] of SESSION_STATE) {
      if (!pattern.test(text)) continue;
      found.add(file);
      t.ok(
        file in SESSION_OWNERS,
        `${file}: ${what} ${file in SESSION_OWNERS ? `(${SESSION_OWNERS[file]})` : 'on the pool'}`,
      );
    }
  }
  for (const file of Object.keys(SESSION_OWNERS)) t.ok(found.has(file), `${file} still needs its exemption`);
});

t.test('the patterns catch what they are for', async (t) => {
  const hits = (sql: string) => SESSION_STATE.filter(([, p]) => p.test(sql)).map(([what]) => what);
  t.same(hits("'SET statement_timeout = 0'"), ['a session-level SET']);
  t.same(hits("'SET search_path TO app'"), ['a session-level SET']);
  t.same(hits("'SET LOCAL statement_timeout = 0'"), []);
  t.same(hits('`UPDATE users SET name = $1`'), [], 'an UPDATE … SET is not a setting');
  t.same(hits("SELECT set_config('app.user_id', $1, false)"), ['set_config(…, false) (lasts the session)']);
  t.same(hits("SELECT set_config('app.user_id', $1, true)"), []);
  t.same(hits("'SELECT pg_advisory_lock(1)'"), ['a session advisory lock']);
  t.same(hits("'SELECT pg_advisory_xact_lock(1)'"), []);
  t.same(hits("'LISTEN change_events'"), ['LISTEN']);
  t.same(hits("'CREATE TEMP TABLE x (a int)'"), ['a temporary table']);
  t.same(hits("'SET ROLE acolhe_app'"), ['SET ROLE / SET SESSION AUTHORIZATION']);
});
