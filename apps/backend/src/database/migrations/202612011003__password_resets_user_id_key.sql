-- migrate:up transaction:false
-- A new password reset request replaces the user's earlier token (INSERT ... ON CONFLICT (user_id)), so the
-- table holds at most one row per user and cannot grow without bound.
-- This section holds one statement, so it cannot SET lock_timeout; CONCURRENTLY
-- takes SHARE UPDATE EXCLUSIVE, which blocks no reads or writes while it waits.
-- squawk-ignore require-lock-timeout
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS password_resets_user_id_key ON password_resets (user_id);

-- migrate:down transaction:false
-- Same reason as above.
-- squawk-ignore require-lock-timeout
DROP INDEX CONCURRENTLY IF EXISTS password_resets_user_id_key;
