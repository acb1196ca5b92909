-- migrate:up
-- Settings, the organisation's logo and feature flags (docs/modules/settings.md). The registries of what may
-- be set live in code (modules/settings/registry.ts, modules/flags/registry.ts); these tables hold the values
-- someone changed, with who and when, and the audit trigger records every change.
SET LOCAL lock_timeout = '5s';

CREATE TABLE settings (
  key        text PRIMARY KEY CONSTRAINT settings_key_check CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$'),
  value      jsonb NOT NULL
             CONSTRAINT settings_value_check CHECK (jsonb_typeof(value) IN ('string', 'number', 'boolean', 'null')
                                                  AND octet_length(value::text) <= 4096),
  -- The settings revision at which this value was last written: GET /settings answers the highest as its ETag.
  version    integer NOT NULL CONSTRAINT settings_version_check CHECK (version >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  created_by bigint CONSTRAINT settings_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  updated_by bigint CONSTRAINT settings_updated_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  -- Colours are `#rrggbb` whatever writes them.
  CONSTRAINT settings_color_check CHECK (key NOT LIKE '%\_color' OR value #>> '{}' ~ '^#[0-9a-f]{6}$')
);
CREATE INDEX settings_created_by_idx ON settings (created_by);
CREATE INDEX settings_updated_by_idx ON settings (updated_by);
CREATE TRIGGER settings_set_updated_at BEFORE UPDATE ON settings FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER settings_audit AFTER INSERT OR UPDATE OR DELETE ON settings
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('key');

-- One row at most: the logo shown on login screens and documents. The type is checked from the first bytes
-- here too, so a row can never claim to be a PNG without being one.
CREATE TABLE organisation_logo (
  id           smallint PRIMARY KEY DEFAULT 1 CONSTRAINT organisation_logo_id_check CHECK (id = 1),
  content      bytea NOT NULL
               CONSTRAINT organisation_logo_content_check CHECK (octet_length(content) BETWEEN 1 AND 262144),
  content_type text NOT NULL
               CONSTRAINT organisation_logo_content_type_check CHECK (content_type IN ('image/png', 'image/jpeg')),
  sha256       text NOT NULL CONSTRAINT organisation_logo_sha256_check CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  version      integer NOT NULL DEFAULT 1 CONSTRAINT organisation_logo_version_check CHECK (version >= 1),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  created_by   bigint CONSTRAINT organisation_logo_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  updated_by   bigint CONSTRAINT organisation_logo_updated_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT organisation_logo_signature_check CHECK (
    (content_type = 'image/png' AND substring(content FROM 1 FOR 8) = '\x89504e470d0a1a0a'::bytea)
    OR (content_type = 'image/jpeg' AND substring(content FROM 1 FOR 3) = '\xffd8ff'::bytea))
);
CREATE INDEX organisation_logo_created_by_idx ON organisation_logo (created_by);
CREATE INDEX organisation_logo_updated_by_idx ON organisation_logo (updated_by);
CREATE TRIGGER organisation_logo_set_updated_at BEFORE UPDATE ON organisation_logo
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
-- The bytes are not copied into the audit trail (content is classified sensitive below), the hash is.
CREATE TRIGGER organisation_logo_audit AFTER INSERT OR UPDATE OR DELETE ON organisation_logo
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('id');

-- The state of a flag someone changed; a flag without a row answers its default. Targets are lists on the row
-- (one change, one audit entry); the service checks the roles and users they name in the same transaction.
CREATE TABLE feature_flags (
  key        text PRIMARY KEY CONSTRAINT feature_flags_key_check CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$'),
  -- false: off for everyone (reason `off`); true: the rules below decide, else the default.
  enabled    boolean NOT NULL,
  roles      text[] NOT NULL DEFAULT '{}'
             CONSTRAINT feature_flags_roles_check CHECK (cardinality(roles) <= 100 AND array_position(roles, NULL) IS NULL),
  user_ids   bigint[] NOT NULL DEFAULT '{}'
             CONSTRAINT feature_flags_user_ids_check
             CHECK (cardinality(user_ids) <= 1000 AND array_position(user_ids, NULL) IS NULL),
  -- Share of users (stable hash of flag and user) for whom the flag is on.
  percentage smallint NOT NULL DEFAULT 0 CONSTRAINT feature_flags_percentage_check CHECK (percentage BETWEEN 0 AND 100),
  version    integer NOT NULL DEFAULT 1 CONSTRAINT feature_flags_version_check CHECK (version >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  created_by bigint CONSTRAINT feature_flags_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  updated_by bigint CONSTRAINT feature_flags_updated_by_fkey REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX feature_flags_created_by_idx ON feature_flags (created_by);
CREATE INDEX feature_flags_updated_by_idx ON feature_flags (updated_by);
CREATE TRIGGER feature_flags_set_updated_at BEFORE UPDATE ON feature_flags
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER feature_flags_audit AFTER INSERT OR UPDATE OR DELETE ON feature_flags
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('key');

-- The classification of every column (docs/adr/*column-classification*). Nothing here is about a person but the
-- staff users who made a change (as everywhere) and those a flag is targeted at.
COMMENT ON COLUMN settings.key IS 'operational: setting name, from the registry in code';
COMMENT ON COLUMN settings.value IS 'operational: the organisation''s value (branding, contact details, staff notice)';
COMMENT ON COLUMN settings.version IS 'operational: settings revision that last wrote the value';
COMMENT ON COLUMN settings.created_at IS 'operational: row created';
COMMENT ON COLUMN settings.updated_at IS 'operational: row last changed';
COMMENT ON COLUMN settings.created_by IS 'operational: staff user who created the row';
COMMENT ON COLUMN settings.updated_by IS 'operational: staff user who last changed the row';

COMMENT ON COLUMN organisation_logo.id IS 'operational: the single row';
-- Public, but up to 256 KiB: sensitive keeps the bytes out of every audit row (sha256 records the change).
COMMENT ON COLUMN organisation_logo.content IS 'sensitive: logo image bytes (not personal; kept out of audit_log)';
COMMENT ON COLUMN organisation_logo.content_type IS 'operational: image/png or image/jpeg, from the bytes';
COMMENT ON COLUMN organisation_logo.sha256 IS 'operational: SHA-256 of the image';
COMMENT ON COLUMN organisation_logo.version IS 'operational: optimistic-concurrency version';
COMMENT ON COLUMN organisation_logo.created_at IS 'operational: row created';
COMMENT ON COLUMN organisation_logo.updated_at IS 'operational: row last changed';
COMMENT ON COLUMN organisation_logo.created_by IS 'operational: staff user who created the row';
COMMENT ON COLUMN organisation_logo.updated_by IS 'operational: staff user who last changed the row';

COMMENT ON COLUMN feature_flags.key IS 'operational: flag name, from the registry in code';
COMMENT ON COLUMN feature_flags.enabled IS 'operational: false switches the flag off for everyone';
COMMENT ON COLUMN feature_flags.roles IS 'operational: roles the flag is on for';
COMMENT ON COLUMN feature_flags.user_ids IS 'operational: staff users the flag is on for';
COMMENT ON COLUMN feature_flags.percentage IS 'operational: share of staff users the flag is on for';
COMMENT ON COLUMN feature_flags.version IS 'operational: optimistic-concurrency version';
COMMENT ON COLUMN feature_flags.created_at IS 'operational: row created';
COMMENT ON COLUMN feature_flags.updated_at IS 'operational: row last changed';
COMMENT ON COLUMN feature_flags.created_by IS 'operational: staff user who created the row';
COMMENT ON COLUMN feature_flags.updated_by IS 'operational: staff user who last changed the row';

-- migrate:down
SET LOCAL lock_timeout = '5s';
DROP TABLE feature_flags;
DROP TABLE organisation_logo;
DROP TABLE settings;
