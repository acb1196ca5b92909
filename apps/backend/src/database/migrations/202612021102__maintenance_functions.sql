-- migrate:up
-- What the nightly maintenance job needs and the application role may not do itself
-- (docs/runbooks/jobs.md, docs/database/roles.md).
SET LOCAL lock_timeout = '5s';

-- amcheck verifies btree indexes against their tables. It ships with PostgreSQL (contrib) but is not a
-- trusted extension: created here when this role may (a superuser, as in development), skipped with a
-- NOTICE otherwise; then a superuser runs CREATE EXTENSION amcheck and grants EXECUTE on
-- bt_index_check(regclass, boolean) to the migration role, and the job reports "amcheck unavailable" until.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck') THEN
    RAISE NOTICE 'amcheck is not installed on this server: skipped';
    RETURN;
  END IF;
  BEGIN
    CREATE EXTENSION IF NOT EXISTS amcheck WITH SCHEMA public;
  EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'not allowed to create amcheck (a superuser must run CREATE EXTENSION amcheck): skipped';
  END;
END
$$;

-- ANALYZE needs the table's owner (before PostgreSQL 17's MAINTAIN privilege), and the application role
-- owns nothing. This function runs as its owner (the migration role) and analyses one ordinary table,
-- partitioned table or materialized view of the application's schemas, nothing else.
CREATE FUNCTION public.maintenance_analyze(target regclass) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.oid = target AND c.relkind IN ('r', 'p', 'm') AND n.nspname IN ('public', 'pgboss')) THEN
    RAISE EXCEPTION 'not a table of the application: %', target USING ERRCODE = 'invalid_parameter_value';
  END IF;
  EXECUTE format('ANALYZE %s', target);
END;
$$;
COMMENT ON FUNCTION public.maintenance_analyze(regclass) IS
  'ANALYZE one table of the public or pgboss schema as its owner (the nightly maintenance job)';

-- bt_index_check (amcheck) on one valid btree index of the application's schemas, as the migration role
-- (amcheck's functions are not granted to PUBLIC). Without amcheck it fails with undefined_function.
CREATE FUNCTION public.maintenance_check_index(target regclass) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                   JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE i.indexrelid = target AND am.amname = 'btree' AND i.indisvalid AND i.indisready
                    AND c.relpersistence <> 't' AND n.nspname IN ('public', 'pgboss')) THEN
    RAISE EXCEPTION 'not a valid btree index of the application: %', target USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM public.bt_index_check(target, true);
END;
$$;
COMMENT ON FUNCTION public.maintenance_check_index(regclass) IS
  'amcheck bt_index_check(index, heapallindexed => true) on one btree index of the application (nightly maintenance)';

-- migrate:down
SET LOCAL lock_timeout = '5s';
DROP FUNCTION public.maintenance_check_index(regclass);
DROP FUNCTION public.maintenance_analyze(regclass);
DO $$
BEGIN
  DROP EXTENSION IF EXISTS amcheck;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'not allowed to drop amcheck: left in place';
END
$$;
