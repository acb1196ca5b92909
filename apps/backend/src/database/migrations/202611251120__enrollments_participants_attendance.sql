-- migrate:up
-- Case management, part 3: enrolments in projects, workshop participants, attendance
-- (docs/modules/case-management.md).
SET LOCAL lock_timeout = '5s';

CREATE TABLE enrollments (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  beneficiary_id bigint NOT NULL CONSTRAINT enrollments_beneficiary_id_fkey REFERENCES beneficiaries (id) ON DELETE RESTRICT,
  project_id     bigint NOT NULL CONSTRAINT enrollments_project_id_fkey REFERENCES projects (id) ON DELETE RESTRICT,
  status         text NOT NULL DEFAULT 'pending'
                 CONSTRAINT enrollments_status_check CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn', 'completed')),
  notes          text CONSTRAINT enrollments_notes_check CHECK (length(notes) <= 5000),
  -- The last decision (approve, reject, withdraw, complete); the audit trail keeps every one.
  decided_by     bigint CONSTRAINT enrollments_decided_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  decided_at     timestamptz,
  decision_note  text CONSTRAINT enrollments_decision_note_check CHECK (length(decision_note) <= 5000),
  version        integer NOT NULL DEFAULT 1 CONSTRAINT enrollments_version_check CHECK (version >= 1),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  created_by     bigint CONSTRAINT enrollments_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  updated_by     bigint CONSTRAINT enrollments_updated_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT enrollments_decided_at_check CHECK ((status = 'pending') = (decided_at IS NULL))
);
-- One live enrolment per (beneficiary, project); rejected/withdrawn/completed ones may be followed by a new one.
CREATE UNIQUE INDEX enrollments_beneficiary_id_project_id_key ON enrollments (beneficiary_id, project_id)
  WHERE status IN ('pending', 'approved');
CREATE INDEX enrollments_project_status_idx ON enrollments (project_id, status);
CREATE INDEX enrollments_beneficiary_idx ON enrollments (beneficiary_id, id);
CREATE INDEX enrollments_decided_by_idx ON enrollments (decided_by);
CREATE INDEX enrollments_created_by_idx ON enrollments (created_by);
CREATE INDEX enrollments_updated_by_idx ON enrollments (updated_by);
CREATE TRIGGER enrollments_set_updated_at BEFORE UPDATE ON enrollments FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER enrollments_audit AFTER INSERT OR UPDATE OR DELETE ON enrollments FOR EACH ROW EXECUTE FUNCTION audit_row_change('id');

-- The status machine, enforced by the database too: pending → approved | rejected; approved → withdrawn | completed.
CREATE FUNCTION enrollments_check_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' AND NEW.status <> 'pending'
     OR TG_OP = 'UPDATE' AND OLD.status IS DISTINCT FROM NEW.status AND NOT (
          OLD.status = 'pending' AND NEW.status IN ('approved', 'rejected')
       OR OLD.status = 'approved' AND NEW.status IN ('withdrawn', 'completed')) THEN
    RAISE EXCEPTION 'enrolment status cannot go from % to %', CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status
      USING ERRCODE = 'check_violation', CONSTRAINT = 'enrollments_status_check', TABLE = 'enrollments';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER enrollments_check_transition BEFORE INSERT OR UPDATE OF status ON enrollments
  FOR EACH ROW EXECUTE FUNCTION enrollments_check_transition();

CREATE TABLE workshop_participants (
  workshop_id    bigint NOT NULL CONSTRAINT workshop_participants_workshop_id_fkey REFERENCES workshops (id) ON DELETE CASCADE,
  beneficiary_id bigint NOT NULL CONSTRAINT workshop_participants_beneficiary_id_fkey REFERENCES beneficiaries (id) ON DELETE RESTRICT,
  -- The approved enrolment that made her eligible.
  enrollment_id  bigint NOT NULL CONSTRAINT workshop_participants_enrollment_id_fkey REFERENCES enrollments (id) ON DELETE RESTRICT,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  created_by     bigint CONSTRAINT workshop_participants_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  updated_by     bigint CONSTRAINT workshop_participants_updated_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT workshop_participants_pkey PRIMARY KEY (workshop_id, beneficiary_id)
);
CREATE INDEX workshop_participants_beneficiary_idx ON workshop_participants (beneficiary_id);
CREATE INDEX workshop_participants_enrollment_idx ON workshop_participants (enrollment_id);
CREATE INDEX workshop_participants_created_by_idx ON workshop_participants (created_by);
CREATE INDEX workshop_participants_updated_by_idx ON workshop_participants (updated_by);
CREATE TRIGGER workshop_participants_set_updated_at BEFORE UPDATE ON workshop_participants
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER workshop_participants_audit AFTER INSERT OR UPDATE OR DELETE ON workshop_participants
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('workshop_id,beneficiary_id');

-- Eligibility (an approved enrolment of the same beneficiary in the workshop's project) and capacity.
-- The UPDATE of workshops.participant_count row-locks the workshop, so concurrent additions serialise
-- there, and its CHECK (participant_count <= capacity) refuses the seat that does not exist.
CREATE FUNCTION workshop_participants_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT 1 FROM enrollments e JOIN workshops w ON w.project_id = e.project_id
                    WHERE e.id = NEW.enrollment_id AND w.id = NEW.workshop_id
                      AND e.beneficiary_id = NEW.beneficiary_id AND e.status = 'approved') THEN
      RAISE EXCEPTION 'no approved enrolment in the workshop''s project'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'workshop_participants_enrollment_id_check', TABLE = 'workshop_participants';
    END IF;
    UPDATE workshops SET participant_count = participant_count + 1 WHERE id = NEW.workshop_id;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE workshops SET participant_count = participant_count - 1 WHERE id = OLD.workshop_id;
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER workshop_participants_guard AFTER INSERT OR DELETE ON workshop_participants
  FOR EACH ROW EXECUTE FUNCTION workshop_participants_guard();

-- One sheet per (workshop, session date); a row per participant listed on it. The date is a calendar day
-- in the organisation's time zone, computed by the API with PostgreSQL's clock (never from UTC).
CREATE TABLE attendance (
  workshop_id    bigint NOT NULL,
  session_date   date NOT NULL,
  beneficiary_id bigint NOT NULL,
  present        boolean NOT NULL,
  note           text CONSTRAINT attendance_note_check CHECK (length(note) <= 1000),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  created_by     bigint CONSTRAINT attendance_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  updated_by     bigint CONSTRAINT attendance_updated_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT attendance_pkey PRIMARY KEY (workshop_id, session_date, beneficiary_id),
  -- Only participants appear on a sheet; a participant with recorded attendance cannot be removed.
  CONSTRAINT attendance_beneficiary_id_fkey FOREIGN KEY (workshop_id, beneficiary_id)
    REFERENCES workshop_participants (workshop_id, beneficiary_id) ON DELETE RESTRICT
);
CREATE INDEX attendance_participant_idx ON attendance (workshop_id, beneficiary_id);
CREATE INDEX attendance_created_by_idx ON attendance (created_by);
CREATE INDEX attendance_updated_by_idx ON attendance (updated_by);
CREATE TRIGGER attendance_set_updated_at BEFORE UPDATE ON attendance FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER attendance_audit AFTER INSERT OR UPDATE OR DELETE ON attendance
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('workshop_id,session_date,beneficiary_id');

-- The date must be a scheduled session: inside the workshop's range and on one of its ISO weekdays.
-- ("Not in the future" depends on the clock and the organisation's zone: checked by the API.)
CREATE FUNCTION attendance_scheduled_session() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM workshops w WHERE w.id = NEW.workshop_id
                    AND NEW.session_date BETWEEN w.start_date AND w.end_date
                    AND extract(isodow FROM NEW.session_date)::smallint = ANY (w.weekdays)) THEN
    RAISE EXCEPTION 'not a scheduled session of the workshop'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'attendance_session_date_check', TABLE = 'attendance';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER attendance_scheduled_session BEFORE INSERT OR UPDATE OF workshop_id, session_date ON attendance
  FOR EACH ROW EXECUTE FUNCTION attendance_scheduled_session();

-- migrate:down
SET LOCAL lock_timeout = '5s';
DROP TABLE attendance;
DROP FUNCTION attendance_scheduled_session();
DROP TABLE workshop_participants;
DROP FUNCTION workshop_participants_guard();
DROP TABLE enrollments;
DROP FUNCTION enrollments_check_transition();
