-- migrate:up transaction:false
-- CPF/NIS lookups (GET /beneficiaries?q=<11 digits>) match nis exactly; cpf has beneficiaries_cpf_key.
-- This section holds one statement, so it cannot SET lock_timeout; CONCURRENTLY
-- takes SHARE UPDATE EXCLUSIVE, which blocks no reads or writes while it waits.
-- squawk-ignore require-lock-timeout
CREATE INDEX CONCURRENTLY IF NOT EXISTS beneficiaries_nis_idx ON beneficiaries (nis) WHERE deleted_at IS NULL;

-- migrate:down transaction:false
-- Same reason as above.
-- squawk-ignore require-lock-timeout
DROP INDEX CONCURRENTLY IF EXISTS beneficiaries_nis_idx;
