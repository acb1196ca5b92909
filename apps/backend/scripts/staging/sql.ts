// The generator's SQL: literal statements, values only through COPY data or $n placeholders.
import { STAFF_DOMAIN } from './plan.js';

/** Session-lifetime staging tables, emptied at every commit. */
export const TEMP_TABLES = [
  `CREATE TEMP TABLE stg_users (ord int, email text, name text, password_hash text, role text, created_at timestamptz) ON COMMIT DELETE ROWS`,
  `CREATE TEMP TABLE stg_projects (ord int, name text, description text, status text, start_date date, end_date date,
     coordinator_id bigint, created_at timestamptz) ON COMMIT DELETE ROWS`,
  `CREATE TEMP TABLE stg_workshops (ord int, project_ord int, title text, description text, facilitator_id bigint, location text,
     start_date date, end_date date, weekdays smallint[], start_time time, end_time time, capacity int, status text,
     created_at timestamptz) ON COMMIT DELETE ROWS`,
  `CREATE TEMP TABLE stg_beneficiaries (seq int, code text, full_name text, social_name text, cpf text, nis text, birth_date date,
     phone text, email text, address_street text, address_number text, address_complement text, address_neighbourhood text,
     address_city text, address_state text, address_postal_code text, family_income numeric(12,2), dependents int, notes text,
     created_at timestamptz, created_by bigint) ON COMMIT DELETE ROWS`,
  `CREATE TEMP TABLE stg_new (id bigint PRIMARY KEY, code text UNIQUE) ON COMMIT DELETE ROWS`,
  `CREATE TEMP TABLE stg_statuses (code text, step int, status text, reason text, at timestamptz, by_user bigint) ON COMMIT DELETE ROWS`,
  `CREATE TEMP TABLE stg_vulnerabilities (code text, vulnerability_id bigint, created_at timestamptz, created_by bigint) ON COMMIT DELETE ROWS`,
  `CREATE TEMP TABLE stg_enrollments (code text, project_id bigint, created_at timestamptz, notes text, final_status text, created_by bigint,
     first_at timestamptz, first_by bigint, first_note text, second_at timestamptz, second_by bigint, second_note text) ON COMMIT DELETE ROWS`,
  // The enrolments this batch inserted (from RETURNING): later steps join it instead of the growing real table.
  `CREATE TEMP TABLE stg_enrolled (id bigint PRIMARY KEY, beneficiary_id bigint, project_id bigint) ON COMMIT DELETE ROWS`,
  `CREATE TEMP TABLE stg_participants (code text, project_id bigint, workshop_id bigint, created_at timestamptz, created_by bigint) ON COMMIT DELETE ROWS`,
  `CREATE TEMP TABLE stg_attendance (code text, workshop_id bigint, session_date date, present boolean, note text, created_at timestamptz,
     created_by bigint) ON COMMIT DELETE ROWS`,
];

// ORDER BY in every INSERT ... SELECT: identity values are then handed out in plan order, so the same
// seed gives the same ids on two fresh databases.
export const INSERT_USERS = `
  INSERT INTO users (email, name, password_hash, role, created_at, updated_at)
  SELECT email, name, password_hash, role, created_at, created_at FROM stg_users ORDER BY ord
  ON CONFLICT (email) DO NOTHING`;

export const SELECT_USERS = `SELECT u.id FROM stg_users s JOIN users u ON u.email = s.email ORDER BY s.ord`;

export const INSERT_PROJECTS = `
  INSERT INTO projects (name, description, status, start_date, end_date, coordinator_id, created_at, updated_at, created_by, updated_by)
  SELECT name, description, status, start_date, end_date, coordinator_id, created_at, created_at, coordinator_id, coordinator_id
    FROM stg_projects ORDER BY ord
  ON CONFLICT (name) DO NOTHING`;

/** ours: the project found under that name is the one the plan describes (not someone else's). */
export const SELECT_PROJECTS = `
  SELECT p.id, (p.start_date = s.start_date AND p.end_date = s.end_date AND p.coordinator_id = s.coordinator_id) AS ours
    FROM stg_projects s JOIN projects p ON p.name = s.name::citext ORDER BY s.ord`;

export const INSERT_WORKSHOPS = `
  INSERT INTO workshops (project_id, title, description, facilitator_id, location, start_date, end_date, weekdays, start_time, end_time,
                         capacity, status, created_at, updated_at, created_by, updated_by)
  SELECT p.id, w.title, w.description, w.facilitator_id, w.location, w.start_date, w.end_date, w.weekdays, w.start_time, w.end_time,
         w.capacity, w.status, w.created_at, w.created_at, p.coordinator_id, p.coordinator_id
    FROM stg_workshops w JOIN stg_projects sp ON sp.ord = w.project_ord JOIN projects p ON p.name = sp.name::citext
   ORDER BY w.ord
  ON CONFLICT (project_id, title) DO NOTHING`;

export const SELECT_WORKSHOPS = `
  SELECT w.id FROM stg_workshops s JOIN stg_projects sp ON sp.ord = s.project_ord JOIN projects p ON p.name = sp.name::citext
    JOIN workshops w ON w.project_id = p.id AND w.title = s.title
   ORDER BY s.ord`;

/**
 * Only the rows this run inserts land in stg_new; everything below joins it, so skipped people stay
 * untouched, and their rows need no ON CONFLICT: they hang from a beneficiary born in this transaction.
 */
export const INSERT_BENEFICIARIES = `
  WITH ins AS (
    INSERT INTO beneficiaries (code, full_name, social_name, cpf, nis, birth_date, phone, email, address_street, address_number,
                               address_complement, address_neighbourhood, address_city, address_state, address_postal_code,
                               family_income, dependents, status, notes, created_at, updated_at, created_by, updated_by)
    SELECT code, full_name, social_name, cpf, nis, birth_date, phone, email, address_street, address_number, address_complement,
           address_neighbourhood, address_city, address_state, address_postal_code, family_income, dependents, 'active', notes,
           created_at, created_at, created_by, created_by
      FROM stg_beneficiaries ORDER BY seq
    ON CONFLICT DO NOTHING
    RETURNING id, code)
  INSERT INTO stg_new (id, code) SELECT id, code FROM ins`;

export const UPDATE_BENEFICIARY_STATUS = {
  text: `UPDATE beneficiaries b
            SET status = s.status, status_reason = s.reason, archived_at = CASE WHEN s.status = 'archived' THEN s.at END,
                updated_by = s.by_user, version = b.version + 1
           FROM stg_statuses s JOIN stg_new n ON n.code = s.code
          WHERE b.id = n.id AND s.step = $1`,
  name: 'staging_update_beneficiary_status',
};

/** The trigger stamped history rows with now(); give them the planned times and authors (step = rank by id). */
export const DATE_STATUS_HISTORY = `
  UPDATE beneficiary_status_history h SET changed_at = s.at, changed_by = s.by_user
    FROM (SELECT h2.id, n.code, row_number() OVER (PARTITION BY h2.beneficiary_id ORDER BY h2.id) - 1 AS step
            FROM beneficiary_status_history h2 JOIN stg_new n ON n.id = h2.beneficiary_id) x
    JOIN stg_statuses s ON s.code = x.code AND s.step = x.step
   WHERE h.id = x.id`;

export const INSERT_VULNERABILITIES = `
  INSERT INTO beneficiary_vulnerabilities (beneficiary_id, vulnerability_id, created_at, created_by)
  SELECT n.id, v.vulnerability_id, v.created_at, v.created_by
    FROM stg_vulnerabilities v JOIN stg_new n ON n.code = v.code ORDER BY n.id, v.vulnerability_id`;

export const INSERT_ENROLLMENTS = `
  WITH ins AS (
    INSERT INTO enrollments (beneficiary_id, project_id, status, notes, created_at, updated_at, created_by, updated_by)
    SELECT n.id, e.project_id, 'pending', e.notes, e.created_at, e.created_at, e.created_by, e.created_by
      FROM stg_enrollments e JOIN stg_new n ON n.code = e.code ORDER BY n.id, e.created_at, e.project_id
    RETURNING id, beneficiary_id, project_id)
  INSERT INTO stg_enrolled (id, beneficiary_id, project_id) SELECT id, beneficiary_id, project_id FROM ins`;

/** Planned enrolment (stg_enrollments) ↔ inserted row (stg_enrolled): one per beneficiary and project. */
const PLANNED_ENROLLED = `stg_enrollments s JOIN stg_new n ON n.code = s.code
    JOIN stg_enrolled x ON x.beneficiary_id = n.id AND x.project_id = s.project_id`;

/** pending → approved | rejected (every decided enrolment passes here first). */
export const DECIDE_ENROLLMENTS = `
  UPDATE enrollments en
     SET status = CASE WHEN s.final_status = 'rejected' THEN 'rejected' ELSE 'approved' END,
         decided_at = s.first_at, decided_by = s.first_by, decision_note = s.first_note, updated_by = s.first_by, version = en.version + 1
    FROM ${PLANNED_ENROLLED}
   WHERE en.id = x.id AND s.final_status <> 'pending'`;

/** approved → withdrawn | completed. */
export const CLOSE_ENROLLMENTS = `
  UPDATE enrollments en
     SET status = s.final_status, decided_at = s.second_at, decided_by = s.second_by, decision_note = s.second_note,
         updated_by = s.second_by, version = en.version + 1
    FROM ${PLANNED_ENROLLED}
   WHERE en.id = x.id AND s.final_status IN ('withdrawn', 'completed')`;

/** Seats exist only for enrolments planned (and by now) approved; the guard trigger checks it again. */
export const INSERT_PARTICIPANTS = `
  INSERT INTO workshop_participants (workshop_id, beneficiary_id, enrollment_id, created_at, updated_at, created_by, updated_by)
  SELECT p.workshop_id, n.id, x.id, p.created_at, p.created_at, p.created_by, p.created_by
    FROM stg_participants p JOIN stg_new n ON n.code = p.code
    JOIN stg_enrolled x ON x.beneficiary_id = n.id AND x.project_id = p.project_id
   ORDER BY n.id, p.workshop_id`;

export const INSERT_ATTENDANCE = `
  INSERT INTO attendance (workshop_id, session_date, beneficiary_id, present, note, created_at, updated_at, created_by, updated_by)
  SELECT a.workshop_id, a.session_date, n.id, a.present, a.note, a.created_at, a.created_at, a.created_by, a.created_by
    FROM stg_attendance a JOIN stg_new n ON n.code = a.code
   ORDER BY a.workshop_id, a.session_date, n.id`;

/** Staff accounts of the generator are recognisable by their reserved domain. */
export const STAFF_EMAIL_PATTERN = `%@${STAFF_DOMAIN}`;

export const ANALYZE_ENROLLED = 'ANALYZE stg_enrolled';

export const ANALYZE_TEMP = 'ANALYZE stg_beneficiaries, stg_new, stg_statuses, stg_vulnerabilities, stg_enrollments, stg_participants, stg_attendance';

/** How many of the batch's codes exist already (all of them: a re-run, the batch is skipped untouched). */
export const COUNT_EXISTING = {
  text: 'SELECT count(*)::int AS n FROM beneficiaries WHERE code = ANY ($1::text[])',
  name: 'staging_count_existing',
};

/** Once after a load that inserted rows: fresh statistics for the API's first queries on staging. */
export const ANALYZE_TARGETS =
  'ANALYZE beneficiaries, beneficiary_status_history, beneficiary_vulnerabilities, enrollments, workshops, workshop_participants, attendance';
