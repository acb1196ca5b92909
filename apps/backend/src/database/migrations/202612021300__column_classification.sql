-- migrate:up
-- One classification of every column of every table (issue 16; docs/adr/0006-column-classification.md):
-- COMMENT ON COLUMN t.c IS '<class>[, anonymise=<keep|year|erase>]: <what it holds>', class one of
--   identifier   identifies a person on its own (name, phone, e-mail, free text about her)
--   sensitive    LGPD-sensitive or confidential (CPF, NIS, income, address, vulnerabilities, secrets):
--                returned only with beneficiaries:read_sensitive, never copied into audit_log
--   personal     about a person without identifying her (birth date, status, attendance)
--   operational  no personal data (keys, timestamps, catalogues)
-- Anonymisation erases identifier and sensitive columns (NULL, or a pseudonym when NOT NULL) and keeps the
-- rest, unless the comment says otherwise (anonymise=keep for statistics, anonymise=year for a birth date).
-- Every later migration classifies the columns it adds (test/architecture/classification.test.ts).
-- The audit trigger now reads what it redacts from here instead of from its arguments.
SET LOCAL lock_timeout = '5s';

CREATE FUNCTION column_class(description text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN substring(description FROM '^(identifier|sensitive|personal|operational)(?:, anonymise=(?:keep|year|erase))?: \S');
COMMENT ON FUNCTION column_class(text) IS 'the class a column comment states, or NULL when the comment is not a classification';

CREATE FUNCTION column_anonymisation(description text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN COALESCE(substring(description FROM '^\w+, anonymise=(keep|year|erase): '),
                  CASE WHEN column_class(description) IN ('identifier', 'sensitive') THEN 'erase'
                       WHEN column_class(description) IS NOT NULL THEN 'keep' END);
COMMENT ON FUNCTION column_anonymisation(text) IS 'what anonymisation does to a column: erase, keep or year (of a date)';

-- Every column of every table, partitioned table and materialized view outside the system schemas, with its
-- classification (NULL when unclassified). Partitions follow their parent.
CREATE VIEW data_classification AS
SELECT n.nspname::text AS table_schema, c.relname::text AS table_name, a.attname::text AS column_name,
       a.attnum::int AS ordinal, format_type(a.atttypid, a.atttypmod) AS data_type, NOT a.attnotnull AS nullable,
       column_class(d.description) AS class, column_anonymisation(d.description) AS anonymise,
       d.description
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_catalog.pg_description d
         ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = a.attnum
 WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)';
COMMENT ON VIEW data_classification IS 'every column of every table with its class (COMMENT ON COLUMN); class NULL = unclassified';

-- What the audit trigger must not copy: the table's sensitive columns.
CREATE FUNCTION sensitive_columns(rel regclass) RETURNS text[]
  LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT COALESCE(array_agg(a.attname::text ORDER BY a.attnum), '{}')
    FROM pg_catalog.pg_description d
    JOIN pg_catalog.pg_attribute a ON a.attrelid = d.objoid AND a.attnum = d.objsubid
   WHERE d.objoid = rel AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid > 0
     AND column_class(d.description) = 'sensitive'
$$;

-- The audit trail as before (202611251001__audit_log.sql), but the columns whose values it never copies are the
-- table's sensitive ones, read from the classification: a column classified later is redacted from then on.
-- TG_ARGV[0] still names the key column(s); redaction arguments are refused (they would be a second list).
CREATE OR REPLACE FUNCTION audit_row_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  actor      bigint := NULLIF(current_setting('app.user_id', true), '')::bigint;
  key_cols   text[] := string_to_array(COALESCE(TG_ARGV[0], 'id'), ',');
  redacted   text[] := sensitive_columns(TG_RELID);
  old_row    jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
  new_row    jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
  key_row    jsonb := COALESCE(new_row, old_row);
  diff       jsonb;
BEGIN
  IF TG_NARGS > 1 THEN
    RAISE EXCEPTION 'audit_row_change() on % takes only the key column(s); redaction comes from the column classification', TG_TABLE_NAME;
  END IF;
  SELECT jsonb_object_agg(k, jsonb_strip_nulls(jsonb_build_object(
           'old', CASE WHEN k = ANY (redacted) AND o IS NOT NULL THEN '"[redacted]"'::jsonb ELSE o END,
           'new', CASE WHEN k = ANY (redacted) AND n IS NOT NULL THEN '"[redacted]"'::jsonb ELSE n END)))
    INTO diff
    FROM (SELECT key AS k, old_row -> key AS o, new_row -> key AS n
            FROM jsonb_object_keys(key_row) AS key) AS cols
   WHERE (o IS DISTINCT FROM n) AND k NOT IN ('updated_at', 'updated_by');
  IF diff IS NULL THEN
    RETURN NULL; -- an UPDATE that changed nothing is not worth a row
  END IF;
  INSERT INTO audit_log (table_name, row_id, action, user_id, changes)
  VALUES (TG_TABLE_NAME,
          (SELECT string_agg(key_row ->> c, ':') FROM unnest(key_cols) AS c),
          lower(TG_OP), actor, diff);
  RETURN NULL;
END;
$$;

-- The two triggers that listed their redacted columns lose the list (the comments below say it now).
DROP TRIGGER users_audit ON users;
CREATE TRIGGER users_audit AFTER INSERT OR UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('id');
DROP TRIGGER beneficiaries_audit ON beneficiaries;
CREATE TRIGGER beneficiaries_audit AFTER INSERT OR UPDATE OR DELETE ON beneficiaries
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('id');

COMMENT ON COLUMN administrator_guard.id IS 'operational: the single row';
COMMENT ON COLUMN administrator_guard.checked_at IS 'operational: last time the last-administrator rule was checked';

COMMENT ON COLUMN attendance.workshop_id IS 'operational: the workshop';
COMMENT ON COLUMN attendance.session_date IS 'operational: the session day';
COMMENT ON COLUMN attendance.beneficiary_id IS 'personal: whose attendance';
COMMENT ON COLUMN attendance.present IS 'personal: whether she attended';
COMMENT ON COLUMN attendance.note IS 'identifier: free text about her attendance';
COMMENT ON COLUMN attendance.created_at IS 'operational: row created';
COMMENT ON COLUMN attendance.updated_at IS 'operational: row last changed';
COMMENT ON COLUMN attendance.created_by IS 'operational: staff user who created the row';
COMMENT ON COLUMN attendance.updated_by IS 'operational: staff user who last changed the row';

COMMENT ON COLUMN audit_log.id IS 'operational: key';
COMMENT ON COLUMN audit_log.table_name IS 'operational: table of the row';
COMMENT ON COLUMN audit_log.row_id IS 'operational: key of the row';
COMMENT ON COLUMN audit_log.action IS 'operational: insert, update, delete, read_sensitive, export, anonymise';
COMMENT ON COLUMN audit_log.user_id IS 'operational: acting staff user';
COMMENT ON COLUMN audit_log.changes IS 'identifier: old and new values of changed columns (sensitive ones redacted; purged on anonymisation)';
COMMENT ON COLUMN audit_log.occurred_at IS 'operational: when';

COMMENT ON COLUMN beneficiaries.id IS 'operational: key';
COMMENT ON COLUMN beneficiaries.code IS 'operational: pseudonymous code B-000123, kept after anonymisation';
COMMENT ON COLUMN beneficiaries.full_name IS 'identifier: civil name';
COMMENT ON COLUMN beneficiaries.social_name IS 'identifier: social name';
COMMENT ON COLUMN beneficiaries.cpf IS 'sensitive: CPF, 11 digits';
COMMENT ON COLUMN beneficiaries.nis IS 'sensitive: NIS (PIS/PASEP/NIT), 11 digits';
COMMENT ON COLUMN beneficiaries.birth_date IS 'personal, anonymise=year: date of birth (anonymisation keeps the year)';
COMMENT ON COLUMN beneficiaries.phone IS 'identifier: phone number';
COMMENT ON COLUMN beneficiaries.email IS 'identifier: e-mail address';
COMMENT ON COLUMN beneficiaries.address_street IS 'sensitive: street of her address';
COMMENT ON COLUMN beneficiaries.address_number IS 'sensitive: house number';
COMMENT ON COLUMN beneficiaries.address_complement IS 'sensitive: address complement';
COMMENT ON COLUMN beneficiaries.address_neighbourhood IS 'sensitive, anonymise=keep: neighbourhood (kept for statistics)';
COMMENT ON COLUMN beneficiaries.address_city IS 'sensitive, anonymise=keep: city (kept for statistics)';
COMMENT ON COLUMN beneficiaries.address_state IS 'sensitive, anonymise=keep: state, UF (kept for statistics)';
COMMENT ON COLUMN beneficiaries.address_postal_code IS 'sensitive: postal code (CEP)';
COMMENT ON COLUMN beneficiaries.family_income IS 'sensitive: monthly family income';
COMMENT ON COLUMN beneficiaries.dependents IS 'personal: number of dependents';
COMMENT ON COLUMN beneficiaries.status IS 'personal: active, inactive or archived';
COMMENT ON COLUMN beneficiaries.status_reason IS 'identifier: free text, reason of the last status change';
COMMENT ON COLUMN beneficiaries.archived_at IS 'personal: when she was archived (retention counts from here)';
COMMENT ON COLUMN beneficiaries.notes IS 'identifier: free-text notes about her';
COMMENT ON COLUMN beneficiaries.deleted_at IS 'operational: soft delete';
COMMENT ON COLUMN beneficiaries.version IS 'operational: optimistic concurrency';
COMMENT ON COLUMN beneficiaries.created_at IS 'operational: row created';
COMMENT ON COLUMN beneficiaries.updated_at IS 'operational: row last changed';
COMMENT ON COLUMN beneficiaries.created_by IS 'operational: staff user who created the row';
COMMENT ON COLUMN beneficiaries.updated_by IS 'operational: staff user who last changed the row';

COMMENT ON COLUMN beneficiary_status_history.id IS 'operational: key';
COMMENT ON COLUMN beneficiary_status_history.beneficiary_id IS 'personal: whose status';
COMMENT ON COLUMN beneficiary_status_history.from_status IS 'personal: status before';
COMMENT ON COLUMN beneficiary_status_history.to_status IS 'personal: status after';
COMMENT ON COLUMN beneficiary_status_history.reason IS 'identifier: free text, copied from beneficiaries.status_reason';
COMMENT ON COLUMN beneficiary_status_history.changed_at IS 'operational: when';
COMMENT ON COLUMN beneficiary_status_history.changed_by IS 'operational: staff user';

COMMENT ON COLUMN beneficiary_vulnerabilities.beneficiary_id IS 'personal: whose vulnerability';
COMMENT ON COLUMN beneficiary_vulnerabilities.vulnerability_id IS 'sensitive, anonymise=keep: the vulnerability (kept for statistics)';
COMMENT ON COLUMN beneficiary_vulnerabilities.created_at IS 'operational: row created';
COMMENT ON COLUMN beneficiary_vulnerabilities.created_by IS 'operational: staff user who created the row';

COMMENT ON COLUMN enrollments.id IS 'operational: key';
COMMENT ON COLUMN enrollments.beneficiary_id IS 'personal: who is enrolled';
COMMENT ON COLUMN enrollments.project_id IS 'personal: the project she is enrolled in';
COMMENT ON COLUMN enrollments.status IS 'personal: pending, approved, rejected, withdrawn, completed';
COMMENT ON COLUMN enrollments.notes IS 'identifier: free-text notes';
COMMENT ON COLUMN enrollments.decided_by IS 'operational: staff user of the last decision';
COMMENT ON COLUMN enrollments.decided_at IS 'operational: when the last decision was taken';
COMMENT ON COLUMN enrollments.decision_note IS 'identifier: free text of the last decision';
COMMENT ON COLUMN enrollments.version IS 'operational: optimistic concurrency';
COMMENT ON COLUMN enrollments.created_at IS 'operational: row created';
COMMENT ON COLUMN enrollments.updated_at IS 'operational: row last changed';
COMMENT ON COLUMN enrollments.created_by IS 'operational: staff user who created the row';
COMMENT ON COLUMN enrollments.updated_by IS 'operational: staff user who last changed the row';

COMMENT ON COLUMN password_resets.id IS 'operational: key';
COMMENT ON COLUMN password_resets.user_id IS 'operational: staff user';
COMMENT ON COLUMN password_resets.token_hash IS 'sensitive: SHA-256 of the reset token';
COMMENT ON COLUMN password_resets.created_at IS 'operational: requested';
COMMENT ON COLUMN password_resets.expires_at IS 'operational: expiry';
COMMENT ON COLUMN password_resets.used_at IS 'operational: when used';

COMMENT ON COLUMN permissions.name IS 'operational: resource:action';
COMMENT ON COLUMN permissions.description IS 'operational: meaning';

COMMENT ON COLUMN projects.id IS 'operational: key';
COMMENT ON COLUMN projects.name IS 'operational: project name';
COMMENT ON COLUMN projects.description IS 'operational: description';
COMMENT ON COLUMN projects.status IS 'operational: planning, active, completed, cancelled';
COMMENT ON COLUMN projects.start_date IS 'operational: first day';
COMMENT ON COLUMN projects.end_date IS 'operational: last day';
COMMENT ON COLUMN projects.coordinator_id IS 'operational: staff user coordinating it';
COMMENT ON COLUMN projects.version IS 'operational: optimistic concurrency';
COMMENT ON COLUMN projects.created_at IS 'operational: row created';
COMMENT ON COLUMN projects.updated_at IS 'operational: row last changed';
COMMENT ON COLUMN projects.created_by IS 'operational: staff user who created the row';
COMMENT ON COLUMN projects.updated_by IS 'operational: staff user who last changed the row';

COMMENT ON COLUMN role_permissions.role IS 'operational: role';
COMMENT ON COLUMN role_permissions.permission IS 'operational: permission';

COMMENT ON COLUMN roles.name IS 'operational: role name';
COMMENT ON COLUMN roles.description IS 'operational: meaning';
COMMENT ON COLUMN roles.created_at IS 'operational: row created';
COMMENT ON COLUMN roles.updated_at IS 'operational: row last changed';

COMMENT ON COLUMN schema_migrations.version IS 'operational: migration version';
COMMENT ON COLUMN schema_migrations.name IS 'operational: migration name';
COMMENT ON COLUMN schema_migrations.checksum IS 'operational: checksum of the file';
COMMENT ON COLUMN schema_migrations.applied_at IS 'operational: when applied';
COMMENT ON COLUMN schema_migrations.execution_ms IS 'operational: how long it took';
COMMENT ON COLUMN schema_migrations.applied_by IS 'operational: database role that applied it';

COMMENT ON COLUMN sessions.id IS 'operational: session id';
COMMENT ON COLUMN sessions.user_id IS 'operational: staff user';
COMMENT ON COLUMN sessions.refresh_token_hash IS 'sensitive: hash of the current refresh token';
COMMENT ON COLUMN sessions.previous_token_hash IS 'sensitive: hash of the previous refresh token';
COMMENT ON COLUMN sessions.rotated_at IS 'operational: last rotation';
COMMENT ON COLUMN sessions.created_at IS 'operational: signed in';
COMMENT ON COLUMN sessions.last_used_at IS 'operational: last refresh';
COMMENT ON COLUMN sessions.expires_at IS 'operational: expiry';
COMMENT ON COLUMN sessions.revoked_at IS 'operational: revocation';
COMMENT ON COLUMN sessions.user_agent IS 'personal: browser of the staff user';
COMMENT ON COLUMN sessions.ip IS 'personal: client address of the staff user';

COMMENT ON COLUMN users.id IS 'operational: key';
COMMENT ON COLUMN users.email IS 'identifier: staff e-mail';
COMMENT ON COLUMN users.name IS 'identifier: staff name';
COMMENT ON COLUMN users.password_hash IS 'sensitive: argon2id hash';
COMMENT ON COLUMN users.role IS 'operational: role';
COMMENT ON COLUMN users.active IS 'operational: may sign in';
COMMENT ON COLUMN users.last_login_at IS 'personal: last sign-in of the staff user';
COMMENT ON COLUMN users.created_at IS 'operational: row created';
COMMENT ON COLUMN users.updated_at IS 'operational: row last changed';
COMMENT ON COLUMN users.created_by IS 'operational: staff user who created the row';
COMMENT ON COLUMN users.updated_by IS 'operational: staff user who last changed the row';

COMMENT ON COLUMN vulnerabilities.id IS 'operational: key';
COMMENT ON COLUMN vulnerabilities.code IS 'operational: catalogue code';
COMMENT ON COLUMN vulnerabilities.name IS 'operational: name';
COMMENT ON COLUMN vulnerabilities.description IS 'operational: description';
COMMENT ON COLUMN vulnerabilities.active IS 'operational: offered for new records';
COMMENT ON COLUMN vulnerabilities.created_at IS 'operational: row created';
COMMENT ON COLUMN vulnerabilities.updated_at IS 'operational: row last changed';
COMMENT ON COLUMN vulnerabilities.created_by IS 'operational: staff user who created the row';
COMMENT ON COLUMN vulnerabilities.updated_by IS 'operational: staff user who last changed the row';

COMMENT ON COLUMN workshop_participants.workshop_id IS 'personal: the workshop she takes part in';
COMMENT ON COLUMN workshop_participants.beneficiary_id IS 'personal: who takes part';
COMMENT ON COLUMN workshop_participants.enrollment_id IS 'operational: the enrolment that made her eligible';
COMMENT ON COLUMN workshop_participants.created_at IS 'operational: row created';
COMMENT ON COLUMN workshop_participants.updated_at IS 'operational: row last changed';
COMMENT ON COLUMN workshop_participants.created_by IS 'operational: staff user who created the row';
COMMENT ON COLUMN workshop_participants.updated_by IS 'operational: staff user who last changed the row';

COMMENT ON COLUMN workshop_schedule.workshop_id IS 'operational: the workshop';
COMMENT ON COLUMN workshop_schedule.weekday IS 'operational: ISO weekday';
COMMENT ON COLUMN workshop_schedule.facilitator_id IS 'operational: staff user';
COMMENT ON COLUMN workshop_schedule.dates IS 'operational: date range';
COMMENT ON COLUMN workshop_schedule.hours IS 'operational: time range';

COMMENT ON COLUMN workshops.id IS 'operational: key';
COMMENT ON COLUMN workshops.project_id IS 'operational: its project';
COMMENT ON COLUMN workshops.title IS 'operational: title';
COMMENT ON COLUMN workshops.description IS 'operational: description';
COMMENT ON COLUMN workshops.facilitator_id IS 'operational: staff user running it';
COMMENT ON COLUMN workshops.location IS 'operational: where';
COMMENT ON COLUMN workshops.start_date IS 'operational: first day';
COMMENT ON COLUMN workshops.end_date IS 'operational: last day';
COMMENT ON COLUMN workshops.weekdays IS 'operational: ISO weekdays';
COMMENT ON COLUMN workshops.start_time IS 'operational: start time';
COMMENT ON COLUMN workshops.end_time IS 'operational: end time';
COMMENT ON COLUMN workshops.capacity IS 'operational: seats';
COMMENT ON COLUMN workshops.participant_count IS 'operational: seats taken';
COMMENT ON COLUMN workshops.status IS 'operational: planned, active, completed, cancelled';
COMMENT ON COLUMN workshops.version IS 'operational: optimistic concurrency';
COMMENT ON COLUMN workshops.created_at IS 'operational: row created';
COMMENT ON COLUMN workshops.updated_at IS 'operational: row last changed';
COMMENT ON COLUMN workshops.created_by IS 'operational: staff user who created the row';
COMMENT ON COLUMN workshops.updated_by IS 'operational: staff user who last changed the row';

-- migrate:down
SET LOCAL lock_timeout = '5s';
-- The column comments this migration wrote go; tables classified by other migrations keep theirs.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT c.relname, a.attname
             FROM pg_catalog.pg_description d
             JOIN pg_catalog.pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_catalog.pg_class'::regclass
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
            WHERE d.objsubid > 0
              AND c.relname = ANY (ARRAY['administrator_guard', 'attendance', 'audit_log', 'beneficiaries',
                'beneficiary_status_history', 'beneficiary_vulnerabilities', 'enrollments', 'password_resets',
                'permissions', 'projects', 'role_permissions', 'roles', 'schema_migrations', 'sessions', 'users',
                'vulnerabilities', 'workshop_participants', 'workshop_schedule', 'workshops'])
  LOOP
    EXECUTE format('COMMENT ON COLUMN public.%I.%I IS NULL', r.relname, r.attname);
  END LOOP;
END
$$;
DROP TRIGGER beneficiaries_audit ON beneficiaries;
CREATE TRIGGER beneficiaries_audit AFTER INSERT OR UPDATE OR DELETE ON beneficiaries
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('id', 'cpf', 'nis', 'family_income', 'address_street', 'address_number',
    'address_complement', 'address_neighbourhood', 'address_city', 'address_state', 'address_postal_code');
DROP TRIGGER users_audit ON users;
CREATE TRIGGER users_audit AFTER INSERT OR UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('id', 'password_hash');
CREATE OR REPLACE FUNCTION audit_row_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  actor      bigint := NULLIF(current_setting('app.user_id', true), '')::bigint;
  key_cols   text[] := string_to_array(COALESCE(TG_ARGV[0], 'id'), ',');
  redacted   text[] := COALESCE(TG_ARGV[1:], '{}');
  old_row    jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
  new_row    jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
  key_row    jsonb := COALESCE(new_row, old_row);
  diff       jsonb;
BEGIN
  SELECT jsonb_object_agg(k, jsonb_strip_nulls(jsonb_build_object(
           'old', CASE WHEN k = ANY (redacted) AND o IS NOT NULL THEN '"[redacted]"'::jsonb ELSE o END,
           'new', CASE WHEN k = ANY (redacted) AND n IS NOT NULL THEN '"[redacted]"'::jsonb ELSE n END)))
    INTO diff
    FROM (SELECT key AS k, old_row -> key AS o, new_row -> key AS n
            FROM jsonb_object_keys(key_row) AS key) AS cols
   WHERE (o IS DISTINCT FROM n) AND k NOT IN ('updated_at', 'updated_by');
  IF diff IS NULL THEN
    RETURN NULL; -- an UPDATE that changed nothing is not worth a row
  END IF;
  INSERT INTO audit_log (table_name, row_id, action, user_id, changes)
  VALUES (TG_TABLE_NAME,
          (SELECT string_agg(key_row ->> c, ':') FROM unnest(key_cols) AS c),
          lower(TG_OP), actor, diff);
  RETURN NULL;
END;
$$;
DROP FUNCTION sensitive_columns(regclass);
DROP VIEW data_classification;
DROP FUNCTION column_anonymisation(text);
DROP FUNCTION column_class(text);
