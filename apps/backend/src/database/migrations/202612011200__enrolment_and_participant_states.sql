-- migrate:up
-- Three rules the services checked alone (issue 12), now in the database too
-- (docs/modules/case-management.md): no enrolment of an archived beneficiary, none into a completed or
-- cancelled project, no participant added to a completed or cancelled workshop.
--
-- Each is a rule about the moment a row is written, like the enrolment status machine: a row written
-- while the beneficiary, project or workshop was open stays valid when she is archived or it closes later
-- (that is history, not a violation), so existing rows are kept as they are and nothing is validated
-- retroactively. Violations are raised as check_violation (23514) with a constraint name of the form
-- <table>_<field>_check, so the API's error mapper answers 422 naming the field.
SET LOCAL lock_timeout = '5s';

-- Concurrency: the beneficiary and the project are locked FOR SHARE (beneficiary first, the order the
-- enrolments service locks them in). FOR SHARE conflicts with the UPDATE that archives her or closes the
-- project: an archive or closing not yet committed is waited for and then seen (READ COMMITTED re-reads
-- the committed row; REPEATABLE READ and SERIALIZABLE fail with 40001), and one that comes after the check
-- waits until the enrolment commits. Either way no enrolment commits after the archive or closing it
-- should have seen.
CREATE FUNCTION enrollments_check_parties() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  state text;
BEGIN
  IF TG_OP = 'INSERT' OR NEW.beneficiary_id IS DISTINCT FROM OLD.beneficiary_id THEN
    SELECT status INTO state FROM beneficiaries WHERE id = NEW.beneficiary_id FOR SHARE;
    IF state = 'archived' THEN
      RAISE EXCEPTION 'the beneficiary is archived'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'enrollments_beneficiary_id_check', TABLE = 'enrollments';
    END IF;
  END IF;
  IF TG_OP = 'INSERT' OR NEW.project_id IS DISTINCT FROM OLD.project_id THEN
    SELECT status INTO state FROM projects WHERE id = NEW.project_id FOR SHARE;
    IF state IN ('completed', 'cancelled') THEN
      RAISE EXCEPTION 'the project is %', state
        USING ERRCODE = 'check_violation', CONSTRAINT = 'enrollments_project_id_check', TABLE = 'enrollments';
    END IF;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER enrollments_check_parties BEFORE INSERT OR UPDATE OF beneficiary_id, project_id ON enrollments
  FOR EACH ROW EXECUTE FUNCTION enrollments_check_parties();

-- The workshop row is locked FOR NO KEY UPDATE, the lock workshop_participants_guard's participant_count
-- UPDATE takes a moment later in the same statement anyway: additions and a closing of the workshop queue
-- on it. (FOR SHARE would let two additions share it and then deadlock upgrading it for the count.)
CREATE FUNCTION workshop_participants_check_workshop() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  state text;
BEGIN
  IF TG_OP = 'INSERT' OR NEW.workshop_id IS DISTINCT FROM OLD.workshop_id THEN
    SELECT status INTO state FROM workshops WHERE id = NEW.workshop_id FOR NO KEY UPDATE;
    IF state IN ('completed', 'cancelled') THEN
      RAISE EXCEPTION 'the workshop is %', state
        USING ERRCODE = 'check_violation', CONSTRAINT = 'workshop_participants_workshop_id_check',
              TABLE = 'workshop_participants';
    END IF;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER workshop_participants_check_workshop BEFORE INSERT OR UPDATE OF workshop_id ON workshop_participants
  FOR EACH ROW EXECUTE FUNCTION workshop_participants_check_workshop();

-- migrate:down
SET LOCAL lock_timeout = '5s';
DROP TRIGGER workshop_participants_check_workshop ON workshop_participants;
DROP FUNCTION workshop_participants_check_workshop();
DROP TRIGGER enrollments_check_parties ON enrollments;
DROP FUNCTION enrollments_check_parties();
