-- migrate:up
SET LOCAL lock_timeout = '5s';
-- The audit trail: one row per insert, update or delete on a business table, written by a trigger with
-- the acting user that transaction() sets through set_config('app.user_id', ..., true).
-- No foreign key to users: audit rows outlive whatever they describe.

CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  table_name  text NOT NULL,
  row_id      text NOT NULL,
  action      text NOT NULL CONSTRAINT audit_log_action_check CHECK (action IN ('insert', 'update', 'delete', 'read_sensitive')),
  user_id     bigint,
  changes     jsonb NOT NULL DEFAULT '{}',
  occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_table_row_idx ON audit_log (table_name, row_id, id);
CREATE INDEX audit_log_user_idx ON audit_log (user_id, id);
CREATE INDEX audit_log_occurred_at_idx ON audit_log (occurred_at);

-- Trigger arguments: TG_ARGV[0] = key column(s), comma-separated (default 'id'); the rest = columns whose
-- values are never copied into the log (only the fact that they changed), e.g. password_hash.
CREATE FUNCTION audit_row_change() RETURNS trigger
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

CREATE TRIGGER users_audit AFTER INSERT OR UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('id', 'password_hash');
CREATE TRIGGER roles_audit AFTER INSERT OR UPDATE OR DELETE ON roles
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('name');
CREATE TRIGGER role_permissions_audit AFTER INSERT OR UPDATE OR DELETE ON role_permissions
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('role,permission');

-- migrate:down
SET LOCAL lock_timeout = '5s';
DROP TRIGGER role_permissions_audit ON role_permissions;
DROP TRIGGER roles_audit ON roles;
DROP TRIGGER users_audit ON users;
DROP FUNCTION audit_row_change();
DROP TABLE audit_log;
