-- migrate:up
SET LOCAL lock_timeout = '5s';
-- The system never loses its last administrator (docs/auth/roles.md): an administrator is an active user
-- whose role holds both users:manage and roles:manage. Any statement that takes that away from someone
-- (deactivating, re-roling or deleting an administrator; removing one of the two permissions from a role
-- with active users) is checked at its end, and refused when no administrator would remain.
--
-- Concurrency: two administrators demoting each other at once must not both succeed. Each check first
-- updates the one row of administrator_guard, so concurrent checks queue on that row lock until the
-- earlier transaction ends; under READ COMMITTED the check's query then takes a fresh snapshot and sees
-- the committed demotion. Under REPEATABLE READ or SERIALIZABLE the second update fails with 40001
-- (serialization failure) instead, which the API retries and then refuses.

CREATE TABLE administrator_guard (
  id         boolean PRIMARY KEY DEFAULT true CONSTRAINT administrator_guard_id_check CHECK (id),
  checked_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO administrator_guard DEFAULT VALUES;

CREATE FUNCTION role_is_administrator(role_name text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT count(*) = 2 FROM role_permissions
   WHERE role = role_name AND permission IN ('users:manage', 'roles:manage')
$$;

CREATE FUNCTION assert_administrator_remains() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'users' THEN
    -- Only a user who was an administrator matters (the row trigger's WHEN already required OLD.active).
    IF NOT role_is_administrator(OLD.role) THEN
      RETURN NULL;
    END IF;
  ELSIF NOT EXISTS (SELECT 1 FROM users WHERE role = OLD.role AND active) THEN
    RETURN NULL; -- a role nobody active holds
  END IF;
  UPDATE administrator_guard SET checked_at = now();
  IF NOT EXISTS (
    SELECT 1 FROM users u
      JOIN role_permissions um ON um.role = u.role AND um.permission = 'users:manage'
      JOIN role_permissions rm ON rm.role = u.role AND rm.permission = 'roles:manage'
     WHERE u.active
  ) THEN
    RAISE EXCEPTION 'no active user would hold both users:manage and roles:manage'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'users_last_administrator',
            HINT = 'npm run admin:recover restores an administrator (docs/runbooks/admin-recovery.md)';
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER users_last_administrator AFTER UPDATE ON users
  FOR EACH ROW WHEN (OLD.active AND (NOT NEW.active OR NEW.role IS DISTINCT FROM OLD.role))
  EXECUTE FUNCTION assert_administrator_remains();
CREATE TRIGGER users_last_administrator_delete AFTER DELETE ON users
  FOR EACH ROW WHEN (OLD.active)
  EXECUTE FUNCTION assert_administrator_remains();
CREATE TRIGGER role_permissions_last_administrator AFTER UPDATE OR DELETE ON role_permissions
  FOR EACH ROW WHEN (OLD.permission IN ('users:manage', 'roles:manage'))
  EXECUTE FUNCTION assert_administrator_remains();

-- migrate:down
SET LOCAL lock_timeout = '5s';
DROP TRIGGER role_permissions_last_administrator ON role_permissions;
DROP TRIGGER users_last_administrator_delete ON users;
DROP TRIGGER users_last_administrator ON users;
DROP FUNCTION assert_administrator_remains();
DROP FUNCTION role_is_administrator(text);
DROP TABLE administrator_guard;
