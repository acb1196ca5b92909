-- migrate:up
-- Validates the audit_log action CHECK of 202612021304 (checklist item 3): a scan under SHARE UPDATE EXCLUSIVE,
-- the audit trail keeps being written meanwhile.
SET LOCAL lock_timeout = '5s';
ALTER TABLE audit_log VALIDATE CONSTRAINT audit_log_action_check;

-- migrate:down
-- Back to the NOT VALID constraint the previous migration added.
SET LOCAL lock_timeout = '5s';
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
  CHECK (action IN ('insert', 'update', 'delete', 'read_sensitive', 'export', 'anonymise')) NOT VALID;
