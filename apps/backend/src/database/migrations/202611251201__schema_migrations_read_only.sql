-- migrate:up
SET LOCAL lock_timeout = '5s';

-- The migration history is written by the migration runner (the owner role)
-- only. scripts/provision-roles.sql gives the application role read/write on
-- every future table through ALTER DEFAULT PRIVILEGES, which would include
-- schema_migrations (created by the first `migrate up`). Take back everything
-- but SELECT (readiness reads it) from every role other than the owner,
-- whatever the roles are called (docs/database/roles.md).
DO $$
DECLARE
  grantee_name text;
BEGIN
  FOR grantee_name IN
    SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END
      FROM pg_class c, aclexplode(c.relacl) a
     WHERE c.oid = 'public.schema_migrations'::regclass
       AND a.grantee <> c.relowner
       AND a.privilege_type <> 'SELECT'
  LOOP
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON public.schema_migrations FROM %s', grantee_name);
  END LOOP;
END
$$;

-- migrate:down
-- Nothing to put back: granting writes on the history to other roles was never intended.
SELECT 1;
