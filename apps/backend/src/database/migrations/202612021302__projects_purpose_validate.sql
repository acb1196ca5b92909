-- migrate:up
-- Validates the foreign key 202612021301 added NOT VALID (checklist item 3): a SHARE UPDATE EXCLUSIVE scan,
-- writes to projects go on meanwhile.
SET LOCAL lock_timeout = '5s';
ALTER TABLE projects VALIDATE CONSTRAINT projects_purpose_code_fkey;

-- migrate:down
-- Back to the NOT VALID constraint the previous migration added (a validated one cannot be un-validated).
SET LOCAL lock_timeout = '5s';
ALTER TABLE projects DROP CONSTRAINT projects_purpose_code_fkey;
ALTER TABLE projects ADD CONSTRAINT projects_purpose_code_fkey FOREIGN KEY (purpose_code)
  REFERENCES processing_purposes (code) ON DELETE RESTRICT NOT VALID;
