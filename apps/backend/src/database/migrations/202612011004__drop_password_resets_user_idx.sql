-- migrate:up transaction:false
-- password_resets_user_id_key (previous migration) serves every lookup by user_id: the plain index is redundant.
-- This section holds one statement, so it cannot SET lock_timeout; CONCURRENTLY
-- takes SHARE UPDATE EXCLUSIVE, which blocks no reads or writes while it waits.
-- squawk-ignore require-lock-timeout
DROP INDEX CONCURRENTLY IF EXISTS password_resets_user_idx;

-- migrate:down transaction:false
-- Same reason as above.
-- squawk-ignore require-lock-timeout
CREATE INDEX CONCURRENTLY IF NOT EXISTS password_resets_user_idx ON password_resets (user_id);
