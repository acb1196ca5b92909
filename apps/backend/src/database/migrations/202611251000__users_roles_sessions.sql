-- migrate:up
SET LOCAL lock_timeout = '5s';
-- Staff accounts, roles, permissions and sessions (docs/auth/roles.md).

CREATE TABLE roles (
  name        text PRIMARY KEY CONSTRAINT roles_name_check CHECK (name ~ '^[a-z][a-z0-9_]{1,39}$'),
  description text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE permissions (
  name        text PRIMARY KEY CONSTRAINT permissions_name_check CHECK (name ~ '^[a-z][a-z_]*:[a-z][a-z_]*$'),
  description text NOT NULL DEFAULT ''
);

CREATE TABLE role_permissions (
  role       text NOT NULL REFERENCES roles (name) ON UPDATE CASCADE ON DELETE CASCADE,
  permission text NOT NULL REFERENCES permissions (name) ON UPDATE CASCADE ON DELETE CASCADE,
  PRIMARY KEY (role, permission)
);
CREATE INDEX role_permissions_permission_idx ON role_permissions (permission);

CREATE TABLE users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email         citext NOT NULL CONSTRAINT users_email_key UNIQUE
                CONSTRAINT users_email_check CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND length(email) <= 254),
  name          text NOT NULL CONSTRAINT users_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  password_hash text NOT NULL CONSTRAINT users_password_hash_check CHECK (password_hash LIKE '$argon2id$%'),
  role          text NOT NULL REFERENCES roles (name) ON UPDATE CASCADE ON DELETE RESTRICT,
  active        boolean NOT NULL DEFAULT true,
  last_login_at timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  created_by    bigint REFERENCES users (id) ON DELETE SET NULL,
  updated_by    bigint REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX users_role_idx ON users (role);
CREATE INDEX users_name_trgm_idx ON users USING gin (immutable_unaccent(name) gin_trgm_ops);
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER roles_set_updated_at BEFORE UPDATE ON roles FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE sessions (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id             bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  refresh_token_hash  bytea NOT NULL CONSTRAINT sessions_refresh_token_hash_key UNIQUE,
  previous_token_hash bytea,
  rotated_at          timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  last_used_at        timestamptz NOT NULL DEFAULT now(),
  expires_at          timestamptz NOT NULL,
  revoked_at          timestamptz,
  user_agent          text CONSTRAINT sessions_user_agent_check CHECK (length(user_agent) <= 512),
  ip                  inet,
  CONSTRAINT sessions_expires_at_check CHECK (expires_at > created_at),
  CONSTRAINT sessions_rotation_check CHECK ((previous_token_hash IS NULL) = (rotated_at IS NULL))
);
CREATE INDEX sessions_user_active_idx ON sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_previous_token_hash_idx ON sessions (previous_token_hash) WHERE previous_token_hash IS NOT NULL;

CREATE TABLE password_resets (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash bytea NOT NULL CONSTRAINT password_resets_token_hash_key UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at    timestamptz,
  CONSTRAINT password_resets_expires_at_check CHECK (expires_at > created_at),
  CONSTRAINT password_resets_used_at_check CHECK (used_at IS NULL OR used_at >= created_at)
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);

-- migrate:down
SET LOCAL lock_timeout = '5s';
DROP TABLE password_resets;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE role_permissions;
DROP TABLE permissions;
DROP TABLE roles;
