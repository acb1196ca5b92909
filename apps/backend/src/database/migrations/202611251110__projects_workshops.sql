-- migrate:up
-- Case management, part 2: projects and their workshops (docs/modules/case-management.md).
SET LOCAL lock_timeout = '5s';

CREATE TABLE projects (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- citext: "Costura Criativa" and "costura criativa" are the same project.
  name           citext NOT NULL CONSTRAINT projects_name_key UNIQUE
                 CONSTRAINT projects_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  description    text NOT NULL DEFAULT '' CONSTRAINT projects_description_check CHECK (length(description) <= 5000),
  status         text NOT NULL DEFAULT 'planning'
                 CONSTRAINT projects_status_check CHECK (status IN ('planning', 'active', 'completed', 'cancelled')),
  start_date     date NOT NULL,
  end_date       date NOT NULL,
  -- RESTRICT: a coordinator is reassigned before their account can be removed (accounts are deactivated anyway).
  coordinator_id bigint NOT NULL CONSTRAINT projects_coordinator_id_fkey REFERENCES users (id) ON DELETE RESTRICT,
  version        integer NOT NULL DEFAULT 1 CONSTRAINT projects_version_check CHECK (version >= 1),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  created_by     bigint CONSTRAINT projects_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  updated_by     bigint CONSTRAINT projects_updated_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT projects_end_date_check CHECK (end_date >= start_date)
);
CREATE INDEX projects_status_idx ON projects (status);
CREATE INDEX projects_coordinator_idx ON projects (coordinator_id);
CREATE INDEX projects_created_by_idx ON projects (created_by);
CREATE INDEX projects_updated_by_idx ON projects (updated_by);
CREATE TRIGGER projects_set_updated_at BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER projects_audit AFTER INSERT OR UPDATE OR DELETE ON projects FOR EACH ROW EXECUTE FUNCTION audit_row_change('id');

-- A time-of-day range type, for the facilitator exclusion constraint below.
CREATE TYPE timerange AS RANGE (subtype = time);

CREATE TABLE workshops (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id        bigint NOT NULL CONSTRAINT workshops_project_id_fkey REFERENCES projects (id) ON DELETE RESTRICT,
  title             text NOT NULL CONSTRAINT workshops_title_check CHECK (length(btrim(title)) BETWEEN 1 AND 200),
  description       text NOT NULL DEFAULT '' CONSTRAINT workshops_description_check CHECK (length(description) <= 5000),
  facilitator_id    bigint NOT NULL CONSTRAINT workshops_facilitator_id_fkey REFERENCES users (id) ON DELETE RESTRICT,
  location          text NOT NULL DEFAULT '' CONSTRAINT workshops_location_check CHECK (length(location) <= 200),
  start_date        date NOT NULL,
  end_date          date NOT NULL,
  -- ISO weekdays: 1 = Monday ... 7 = Sunday (extract(isodow FROM date)).
  weekdays          smallint[] NOT NULL CONSTRAINT workshops_weekdays_check
                    CHECK (cardinality(weekdays) BETWEEN 1 AND 7 AND weekdays <@ '{1,2,3,4,5,6,7}'::smallint[]
                           AND array_position(weekdays, NULL) IS NULL),
  start_time        time NOT NULL,
  end_time          time NOT NULL,
  capacity          integer NOT NULL CONSTRAINT workshops_capacity_check CHECK (capacity BETWEEN 1 AND 10000),
  -- Kept by the participants trigger; the CHECK is the last line of defence for "capacity is never exceeded".
  participant_count integer NOT NULL DEFAULT 0,
  status            text NOT NULL DEFAULT 'planned'
                    CONSTRAINT workshops_status_check CHECK (status IN ('planned', 'active', 'completed', 'cancelled')),
  version           integer NOT NULL DEFAULT 1 CONSTRAINT workshops_version_check CHECK (version >= 1),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  created_by        bigint CONSTRAINT workshops_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  updated_by        bigint CONSTRAINT workshops_updated_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT workshops_title_key UNIQUE (project_id, title),
  CONSTRAINT workshops_end_date_check CHECK (end_date >= start_date),
  CONSTRAINT workshops_end_time_check CHECK (end_time > start_time),
  CONSTRAINT workshops_participant_count_check CHECK (participant_count BETWEEN 0 AND capacity)
);
CREATE INDEX workshops_facilitator_idx ON workshops (facilitator_id);
CREATE INDEX workshops_start_date_idx ON workshops (start_date, id);
CREATE INDEX workshops_created_by_idx ON workshops (created_by);
CREATE INDEX workshops_updated_by_idx ON workshops (updated_by);
CREATE TRIGGER workshops_set_updated_at BEFORE UPDATE ON workshops FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER workshops_audit AFTER INSERT OR UPDATE OR DELETE ON workshops FOR EACH ROW EXECUTE FUNCTION audit_row_change('id');

-- A workshop's dates lie inside its project's. Checked on both sides (workshop written, project dates moved);
-- the project row is share-locked so a concurrent change of its dates cannot slip between.
CREATE FUNCTION workshops_within_project() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  p record;
BEGIN
  SELECT start_date, end_date INTO p FROM projects WHERE id = NEW.project_id FOR SHARE;
  IF FOUND AND (NEW.start_date < p.start_date OR NEW.end_date > p.end_date) THEN
    RAISE EXCEPTION 'workshop dates outside the project''s'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'workshops_start_date_check', TABLE = 'workshops';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER workshops_within_project BEFORE INSERT OR UPDATE OF project_id, start_date, end_date ON workshops
  FOR EACH ROW EXECUTE FUNCTION workshops_within_project();

CREATE FUNCTION projects_contain_workshops() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM workshops w WHERE w.project_id = NEW.id AND (w.start_date < NEW.start_date OR w.end_date > NEW.end_date)) THEN
    RAISE EXCEPTION 'a workshop of the project lies outside the new dates'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'projects_start_date_check', TABLE = 'projects';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER projects_contain_workshops BEFORE UPDATE OF start_date, end_date ON projects
  FOR EACH ROW EXECUTE FUNCTION projects_contain_workshops();

-- Facilitator double-booking, refused by the database. An exclusion constraint cannot compare two
-- weekday arrays (btree_gist has no && for int arrays mixed with =), so each workshop is expanded into one
-- row per weekday here, kept by a trigger in the same statement as the workshop write. Two rows conflict
-- when they have the same facilitator AND the same weekday AND overlapping date ranges AND overlapping
-- [start, end) hours. (Conservative: two date ranges that overlap only on days that are not that weekday
-- still count as a clash.) Cancelled workshops hold no slots. The violation (23P01) surfaces on the
-- INSERT/UPDATE of workshops; the API turns it into a 409 naming the other workshop.
CREATE TABLE workshop_schedule (
  workshop_id    bigint NOT NULL CONSTRAINT workshop_schedule_workshop_id_fkey REFERENCES workshops (id) ON DELETE CASCADE,
  weekday        smallint NOT NULL CONSTRAINT workshop_schedule_weekday_check CHECK (weekday BETWEEN 1 AND 7),
  facilitator_id bigint NOT NULL,
  dates          daterange NOT NULL,
  hours          timerange NOT NULL,
  CONSTRAINT workshop_schedule_pkey PRIMARY KEY (workshop_id, weekday),
  CONSTRAINT workshop_schedule_facilitator_id_excl EXCLUDE USING gist
    (facilitator_id WITH =, weekday WITH =, dates WITH &&, hours WITH &&)
);

CREATE FUNCTION workshops_sync_schedule() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NOT (OLD.facilitator_id IS DISTINCT FROM NEW.facilitator_id OR OLD.weekdays IS DISTINCT FROM NEW.weekdays
     OR OLD.start_date IS DISTINCT FROM NEW.start_date OR OLD.end_date IS DISTINCT FROM NEW.end_date
     OR OLD.start_time IS DISTINCT FROM NEW.start_time OR OLD.end_time IS DISTINCT FROM NEW.end_time
     OR OLD.status IS DISTINCT FROM NEW.status) THEN
    RETURN NULL;
  END IF;
  DELETE FROM workshop_schedule WHERE workshop_id = NEW.id;
  IF NEW.status <> 'cancelled' THEN
    INSERT INTO workshop_schedule (workshop_id, weekday, facilitator_id, dates, hours)
    SELECT DISTINCT NEW.id, d, NEW.facilitator_id, daterange(NEW.start_date, NEW.end_date, '[]'),
           timerange(NEW.start_time, NEW.end_time, '[)')
      FROM unnest(NEW.weekdays) AS d;
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER workshops_sync_schedule AFTER INSERT OR UPDATE ON workshops
  FOR EACH ROW EXECUTE FUNCTION workshops_sync_schedule();

-- migrate:down
SET LOCAL lock_timeout = '5s';
DROP TRIGGER workshops_sync_schedule ON workshops;
DROP FUNCTION workshops_sync_schedule();
DROP TABLE workshop_schedule;
DROP TRIGGER projects_contain_workshops ON projects;
DROP FUNCTION projects_contain_workshops();
DROP TRIGGER workshops_within_project ON workshops;
DROP FUNCTION workshops_within_project();
DROP TABLE workshops;
DROP TYPE timerange;
DROP TABLE projects;
