-- migrate:up
-- Fail fast rather than queue behind (and in front of) other sessions' locks.
SET LOCAL lock_timeout = '5s';

-- Shared trigger function that keeps updated_at current on every business
-- table. Attach it in the migration that creates the table:
--   CREATE TRIGGER <table>_set_updated_at BEFORE UPDATE ON <table>
--     FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
-- now() is the transaction's start time, so every row changed by one
-- transaction carries the same updated_at.
CREATE FUNCTION public.set_updated_at() RETURNS trigger
  LANGUAGE plpgsql
AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

COMMENT ON FUNCTION public.set_updated_at() IS
  'BEFORE UPDATE row trigger: sets NEW.updated_at = now()';

-- migrate:down
SET LOCAL lock_timeout = '5s';
DROP FUNCTION public.set_updated_at();
