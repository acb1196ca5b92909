-- migrate:up
-- Case management, part 1: the vulnerability catalogue and beneficiaries (docs/modules/case-management.md).
SET LOCAL lock_timeout = '5s';

-- CPF check digits (Receita Federal algorithm). IMMUTABLE so it can sit in a CHECK constraint; the CASE
-- guarantees the digit arithmetic only runs on 11 ASCII digits (no cast error ever escapes: a bad value is
-- simply "not valid", so the CHECK answers 23514 → 422 naming cpf). Repeated digits (000.000.000-00,
-- 111.111.111-11, ...) pass the arithmetic but are not issued: refused too.
CREATE FUNCTION public.cpf_is_valid(cpf text) RETURNS boolean
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN cpf !~ '^[0-9]{11}$' OR cpf ~ '^(.)\1{10}$' THEN false
    ELSE (SELECT ((sum(substr(cpf, i, 1)::int * (11 - i)) * 10) % 11) % 10 FROM generate_series(1, 9) AS i) = substr(cpf, 10, 1)::int
     AND (SELECT ((sum(substr(cpf, i, 1)::int * (12 - i)) * 10) % 11) % 10 FROM generate_series(1, 10) AS i) = substr(cpf, 11, 1)::int
  END
$$;
COMMENT ON FUNCTION public.cpf_is_valid(text) IS 'true when the argument is 11 digits with valid CPF check digits (not all equal)';

CREATE TABLE vulnerabilities (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code        text NOT NULL CONSTRAINT vulnerabilities_code_key UNIQUE
              CONSTRAINT vulnerabilities_code_check CHECK (code ~ '^[a-z][a-z0-9_]{1,49}$'),
  name        text NOT NULL CONSTRAINT vulnerabilities_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 120),
  description text NOT NULL DEFAULT '' CONSTRAINT vulnerabilities_description_check CHECK (length(description) <= 1000),
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  created_by  bigint CONSTRAINT vulnerabilities_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  updated_by  bigint CONSTRAINT vulnerabilities_updated_by_fkey REFERENCES users (id) ON DELETE SET NULL
);
CREATE TRIGGER vulnerabilities_set_updated_at BEFORE UPDATE ON vulnerabilities FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER vulnerabilities_audit AFTER INSERT OR UPDATE OR DELETE ON vulnerabilities
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('id');

-- Human codes B-000001, B-000002, ...: a sequence, so codes are never reused.
CREATE SEQUENCE beneficiaries_code_seq AS bigint;

CREATE TABLE beneficiaries (
  id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code                  text NOT NULL DEFAULT 'B-' || lpad(nextval('beneficiaries_code_seq')::text, 6, '0')
                        CONSTRAINT beneficiaries_code_key UNIQUE
                        CONSTRAINT beneficiaries_code_check CHECK (code ~ '^B-[0-9]{6,}$'),
  full_name             text NOT NULL CONSTRAINT beneficiaries_full_name_check CHECK (length(btrim(full_name)) BETWEEN 1 AND 200),
  social_name           text CONSTRAINT beneficiaries_social_name_check CHECK (length(btrim(social_name)) BETWEEN 1 AND 200),
  -- Stored normalised (digits only); the API strips dots and dashes before it gets here.
  cpf                   text CONSTRAINT beneficiaries_cpf_check CHECK (cpf_is_valid(cpf)),
  nis                   text CONSTRAINT beneficiaries_nis_check CHECK (nis ~ '^[0-9]{11}$'),
  -- "Not in the future" needs today's date, which a CHECK may not use: see beneficiaries_birth_date_guard.
  birth_date            date CONSTRAINT beneficiaries_birth_date_check CHECK (birth_date >= DATE '1900-01-01'),
  phone                 text CONSTRAINT beneficiaries_phone_check CHECK (phone ~ '^\+?[0-9]{8,15}$'),
  email                 citext CONSTRAINT beneficiaries_email_check CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND length(email) <= 254),
  address_street        text CONSTRAINT beneficiaries_address_street_check CHECK (length(address_street) <= 200),
  address_number        text CONSTRAINT beneficiaries_address_number_check CHECK (length(address_number) <= 20),
  address_complement    text CONSTRAINT beneficiaries_address_complement_check CHECK (length(address_complement) <= 100),
  address_neighbourhood text CONSTRAINT beneficiaries_address_neighbourhood_check CHECK (length(address_neighbourhood) <= 100),
  address_city          text CONSTRAINT beneficiaries_address_city_check CHECK (length(address_city) <= 100),
  address_state         text CONSTRAINT beneficiaries_address_state_check CHECK (address_state IN (
                          'AC','AL','AP','AM','BA','CE','DF','ES','GO','MA','MT','MS','MG','PA','PB','PR',
                          'PE','PI','RJ','RN','RS','RO','RR','SC','SP','SE','TO')),
  address_postal_code   text CONSTRAINT beneficiaries_address_postal_code_check CHECK (address_postal_code ~ '^[0-9]{8}$'),
  family_income         numeric(12, 2) CONSTRAINT beneficiaries_family_income_check CHECK (family_income >= 0),
  dependents            integer NOT NULL DEFAULT 0 CONSTRAINT beneficiaries_dependents_check CHECK (dependents BETWEEN 0 AND 50),
  status                text NOT NULL DEFAULT 'active'
                        CONSTRAINT beneficiaries_status_check CHECK (status IN ('active', 'inactive', 'archived')),
  status_reason         text CONSTRAINT beneficiaries_status_reason_check CHECK (length(status_reason) <= 1000),
  archived_at           timestamptz,
  notes                 text CONSTRAINT beneficiaries_notes_check CHECK (length(notes) <= 10000),
  -- Soft delete (erasure requests); no endpoint sets it yet. Deleted rows free their CPF.
  deleted_at            timestamptz,
  version               integer NOT NULL DEFAULT 1 CONSTRAINT beneficiaries_version_check CHECK (version >= 1),
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  created_by            bigint CONSTRAINT beneficiaries_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  updated_by            bigint CONSTRAINT beneficiaries_updated_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT beneficiaries_archived_at_check CHECK ((status = 'archived') = (archived_at IS NOT NULL))
);
ALTER SEQUENCE beneficiaries_code_seq OWNED BY beneficiaries.code;

-- CPF unique among records that are not deleted (archived ones still hold theirs: they may be restored).
CREATE UNIQUE INDEX beneficiaries_cpf_key ON beneficiaries (cpf) WHERE deleted_at IS NULL;
-- Name search: trigram GIN over the unaccented names (pg_trgm lower-cases by itself).
CREATE INDEX beneficiaries_full_name_trgm_idx ON beneficiaries USING gin (immutable_unaccent(full_name) gin_trgm_ops);
CREATE INDEX beneficiaries_social_name_trgm_idx ON beneficiaries USING gin (immutable_unaccent(social_name) gin_trgm_ops)
  WHERE social_name IS NOT NULL;
-- Keyset lists: sort by name or by creation time, id as the tie-breaker; deleted rows never listed.
CREATE INDEX beneficiaries_full_name_id_idx ON beneficiaries (full_name, id) WHERE deleted_at IS NULL;
CREATE INDEX beneficiaries_created_at_id_idx ON beneficiaries (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX beneficiaries_neighbourhood_idx ON beneficiaries (lower(immutable_unaccent(address_neighbourhood)))
  WHERE address_neighbourhood IS NOT NULL;
CREATE INDEX beneficiaries_created_by_idx ON beneficiaries (created_by);
CREATE INDEX beneficiaries_updated_by_idx ON beneficiaries (updated_by);

-- Birth date not in the future, by the organisation's calendar: the API sets app.org_timezone
-- (set_config(..., true)) in its transactions; without it America/Sao_Paulo is assumed.
CREATE FUNCTION beneficiaries_birth_date_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.birth_date > (now() AT TIME ZONE COALESCE(NULLIF(current_setting('app.org_timezone', true), ''), 'America/Sao_Paulo'))::date THEN
    RAISE EXCEPTION 'birth_date is in the future'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'beneficiaries_birth_date_check', COLUMN = 'birth_date',
            TABLE = 'beneficiaries';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER beneficiaries_birth_date_guard BEFORE INSERT OR UPDATE OF birth_date ON beneficiaries
  FOR EACH ROW EXECUTE FUNCTION beneficiaries_birth_date_guard();
CREATE TRIGGER beneficiaries_set_updated_at BEFORE UPDATE ON beneficiaries FOR EACH ROW EXECUTE FUNCTION set_updated_at();
-- Personal data is never copied into the audit trail: it records that cpf or the address changed, not the values.
CREATE TRIGGER beneficiaries_audit AFTER INSERT OR UPDATE OR DELETE ON beneficiaries
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('id', 'cpf', 'nis', 'family_income', 'address_street', 'address_number',
    'address_complement', 'address_neighbourhood', 'address_city', 'address_state', 'address_postal_code');

-- Status history: written by a trigger on every status change, so no code path can skip it.
CREATE TABLE beneficiary_status_history (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  beneficiary_id bigint NOT NULL CONSTRAINT beneficiary_status_history_beneficiary_id_fkey
                 REFERENCES beneficiaries (id) ON DELETE CASCADE,
  from_status    text,
  to_status      text NOT NULL,
  reason         text,
  changed_at     timestamptz NOT NULL DEFAULT now(),
  changed_by     bigint CONSTRAINT beneficiary_status_history_changed_by_fkey REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX beneficiary_status_history_beneficiary_idx ON beneficiary_status_history (beneficiary_id, id);
CREATE INDEX beneficiary_status_history_changed_by_idx ON beneficiary_status_history (changed_by);

CREATE FUNCTION beneficiaries_record_status() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status THEN
    INSERT INTO beneficiary_status_history (beneficiary_id, from_status, to_status, reason, changed_by)
    VALUES (NEW.id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status, NEW.status_reason,
            NULLIF(current_setting('app.user_id', true), '')::bigint);
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER beneficiaries_record_status AFTER INSERT OR UPDATE OF status ON beneficiaries
  FOR EACH ROW EXECUTE FUNCTION beneficiaries_record_status();

CREATE TABLE beneficiary_vulnerabilities (
  beneficiary_id   bigint NOT NULL CONSTRAINT beneficiary_vulnerabilities_beneficiary_id_fkey
                   REFERENCES beneficiaries (id) ON DELETE CASCADE,
  -- RESTRICT: a catalogue entry in use is deactivated, never deleted.
  vulnerability_id bigint NOT NULL CONSTRAINT beneficiary_vulnerabilities_vulnerability_id_fkey
                   REFERENCES vulnerabilities (id) ON DELETE RESTRICT,
  created_at       timestamptz NOT NULL DEFAULT now(),
  created_by       bigint CONSTRAINT beneficiary_vulnerabilities_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT beneficiary_vulnerabilities_pkey PRIMARY KEY (beneficiary_id, vulnerability_id)
);
CREATE INDEX beneficiary_vulnerabilities_vulnerability_idx ON beneficiary_vulnerabilities (vulnerability_id);
CREATE INDEX beneficiary_vulnerabilities_created_by_idx ON beneficiary_vulnerabilities (created_by);
CREATE TRIGGER beneficiary_vulnerabilities_audit AFTER INSERT OR UPDATE OR DELETE ON beneficiary_vulnerabilities
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('beneficiary_id,vulnerability_id');

-- migrate:down
SET LOCAL lock_timeout = '5s';
DROP TABLE beneficiary_vulnerabilities;
DROP TRIGGER beneficiaries_record_status ON beneficiaries;
DROP FUNCTION beneficiaries_record_status();
DROP TABLE beneficiary_status_history;
DROP TABLE beneficiaries;
DROP FUNCTION beneficiaries_birth_date_guard();
DROP TABLE vulnerabilities;
DROP FUNCTION public.cpf_is_valid(text);
