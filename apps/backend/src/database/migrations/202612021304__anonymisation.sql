-- migrate:up
-- Anonymisation (issue 16): when her record was anonymised, and after that it never changes again (the
-- erasure is irreversible: no write may put an identifier back). The audit trail gains the actions export
-- and anonymise; the CHECK is replaced NOT VALID (no scan under the ACCESS EXCLUSIVE lock) and validated in the
-- next migration.
SET LOCAL lock_timeout = '5s';

ALTER TABLE beneficiaries ADD COLUMN anonymised_at timestamptz;
COMMENT ON COLUMN beneficiaries.anonymised_at IS 'operational: when her record was anonymised (irreversible)';

-- Only the operational references to staff may still change (a referential SET NULL when an account is removed).
CREATE FUNCTION beneficiaries_anonymised_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF to_jsonb(NEW) - '{created_by,updated_by,updated_at}'::text[]
     IS DISTINCT FROM to_jsonb(OLD) - '{created_by,updated_by,updated_at}'::text[] THEN
    RAISE EXCEPTION 'the beneficiary was anonymised: her record cannot change'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'beneficiaries_anonymised_at_check', TABLE = 'beneficiaries';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER beneficiaries_anonymised_guard BEFORE UPDATE ON beneficiaries
  FOR EACH ROW WHEN (OLD.anonymised_at IS NOT NULL) EXECUTE FUNCTION beneficiaries_anonymised_guard();

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
  CHECK (action IN ('insert', 'update', 'delete', 'read_sensitive', 'export', 'anonymise')) NOT VALID;

-- migrate:down
SET LOCAL lock_timeout = '5s';
-- Fails while export or anonymise rows exist (the old CHECK would not hold): delete them first, on purpose.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
-- The rollback restores the constraint exactly as 202611251001 made it (validated), scanning once.
-- squawk-ignore constraint-missing-not-valid
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
  CHECK (action IN ('insert', 'update', 'delete', 'read_sensitive'));
DROP TRIGGER beneficiaries_anonymised_guard ON beneficiaries;
DROP FUNCTION beneficiaries_anonymised_guard();
-- Data loss: which records were anonymised (their erased values were gone already).
ALTER TABLE beneficiaries DROP COLUMN anonymised_at;
