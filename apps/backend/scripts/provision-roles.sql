-- Least-privilege roles for Acolhe (docs/database/roles.md). Run by a DBA as a superuser (or a role with
-- CREATEROLE that owns the database), connected to the application database, BEFORE the first migration:
--
--   export ACOLHE_OWNER_PASSWORD=… ACOLHE_APP_PASSWORD=…   # and PGPASSWORD (or ~/.pgpass) for the admin
--   psql -h db.internal -U postgres -d acolhe -v ON_ERROR_STOP=1 \
--        -v database=acolhe -v owner=acolhe_owner -v app=acolhe_app \
--        -f apps/backend/scripts/provision-roles.sql
--
-- Every variable has a default except the passwords, read from the environment (psql 15+ \getenv): a -v on
-- the command line would show them to every user of the machine in `ps`. A role created without one cannot
-- log in until `\password <role>` is run. Idempotent: safe to run again (it also repairs grants).
-- Note: CREATE/ALTER ROLE ... PASSWORD reaches the server log when log_statement is 'ddl' or 'all'.
--
-- owner (acolhe_owner): owns the schema and every object; MIGRATION_DATABASE_URL connects as it.
-- app   (acolhe_app):   DATABASE_URL; may only read and write rows (no DDL, no TRUNCATE), use sequences,
--                       and read schema_migrations (readiness); pg_read_all_stats for /admin/database.
--                       The same in the job queue's schema, pgboss.

\set ON_ERROR_STOP on
\if :{?database}
\else
  \set database acolhe
\endif
\if :{?owner}
\else
  \set owner acolhe_owner
\endif
\if :{?app}
\else
  \set app acolhe_app
\endif
\if :{?schema}
\else
  \set schema public
\endif

SELECT current_database() = :'database' AS in_target_database \gset
\if :in_target_database
\else
  \echo 'connect to the database named by -v database (' :'database' ') before running this script'
  \quit
\endif

BEGIN;

-- Roles: created when missing, then their attributes pinned (a re-run repairs drift).
SELECT format('CREATE ROLE %I', :'owner') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I', :'app') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', :'owner') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', :'app') \gexec
\getenv owner_password ACOLHE_OWNER_PASSWORD
\getenv app_password ACOLHE_APP_PASSWORD
\if :{?owner_password}
  SELECT format('ALTER ROLE %I PASSWORD %L', :'owner', :'owner_password') \gexec
\endif
\if :{?app_password}
  SELECT format('ALTER ROLE %I PASSWORD %L', :'app', :'app_password') \gexec
\endif

-- Database: nobody but these two connects; the owner may create schemas and (trusted) extensions.
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'database') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I, %I', :'database', :'owner', :'app') \gexec
SELECT format('GRANT CREATE ON DATABASE %I TO %I', :'database', :'owner') \gexec

-- Schema: owned by the owner; the application may use it but create nothing in it.
SELECT format('CREATE SCHEMA %I AUTHORIZATION %I', :'schema', :'owner') WHERE NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = :'schema') \gexec
SELECT format('ALTER SCHEMA %I OWNER TO %I', :'schema', :'owner') \gexec
SELECT format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', :'schema') \gexec
SELECT format('GRANT USAGE ON SCHEMA %I TO %I', :'schema', :'app') \gexec

-- Rows only: no TRUNCATE, REFERENCES or TRIGGER. Existing objects (a re-run after migrations) ...
SELECT format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', :'schema', :'app') \gexec
SELECT format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', :'schema', :'app') \gexec
-- ... and every table and sequence the owner creates from now on (the migrations).
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', :'owner', :'schema', :'app') \gexec
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO %I', :'owner', :'schema', :'app') \gexec

-- The job queue's schema (pg-boss; its tables are created by the migrations, docs/adr/0006-jobs-on-pg-boss.md):
-- created here, owned by the owner, and the same row privileges for the application as in the main schema.
-- Creating a queue is DDL (a partition): only migrations do it.
SELECT format('CREATE SCHEMA pgboss AUTHORIZATION %I', :'owner') WHERE NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'pgboss') \gexec
SELECT format('ALTER SCHEMA pgboss OWNER TO %I', :'owner') \gexec
REVOKE ALL ON SCHEMA pgboss FROM PUBLIC;
SELECT format('GRANT USAGE ON SCHEMA pgboss TO %I', :'app') \gexec
SELECT format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pgboss TO %I', :'app') \gexec
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA pgboss GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', :'owner', :'app') \gexec

-- The migration history: read-only for the application (migration 202611251201 does the same for a
-- history table created after this script ran).
SELECT format('REVOKE ALL ON %I.schema_migrations FROM %I', :'schema', :'app'), format('GRANT SELECT ON %I.schema_migrations TO %I', :'schema', :'app')
 WHERE to_regclass(format('%I.schema_migrations', :'schema')) IS NOT NULL \gexec

-- Statistics views for GET /api/v1/admin/database (other sessions' queries, pg_stat_statements).
SELECT format('GRANT pg_read_all_stats TO %I', :'app') \gexec

COMMIT;

\echo 'roles provisioned: owner' :'owner' ', application' :'app' ', database' :'database' ', schema' :'schema'
