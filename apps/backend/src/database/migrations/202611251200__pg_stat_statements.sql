-- migrate:up
SET LOCAL lock_timeout = '5s';

-- pg_stat_statements feeds GET /api/v1/admin/database ("top statements").
-- It is optional: servers without the package, or where the migration role is
-- not allowed to create it (it is not a trusted extension: superuser only),
-- skip it with a NOTICE and the endpoint says the extension is unavailable.
-- Collecting also needs shared_preload_libraries = 'pg_stat_statements'
-- (docs/runbooks/metrics.md).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements') THEN
    RAISE NOTICE 'pg_stat_statements is not installed on this server: skipped';
    RETURN;
  END IF;
  BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_stat_statements WITH SCHEMA public;
  EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'not allowed to create pg_stat_statements (a superuser must run CREATE EXTENSION pg_stat_statements): skipped';
  END;
END
$$;

-- migrate:down
SET LOCAL lock_timeout = '5s';
DO $$
BEGIN
  DROP EXTENSION IF EXISTS pg_stat_statements;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'not allowed to drop pg_stat_statements: left in place';
END
$$;
