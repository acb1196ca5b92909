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
 * Batch rows are COPYed straight into the real tables, like pg_restore does, with ids taken first from the
 * tables' own identity sequences: one contiguous block per sequence ($1, $2, $3 ids for beneficiaries,
 * history rows and enrolments; NULL when none is needed), so ids follow plan order and every row can name
 * its parents without a join. It runs while the batch holds the tables' write locks, so no other INSERT can
 * draw from these sequences in between (and the primary keys would refuse a clash anyway); a rollback only
 * leaves a gap, as any rolled-back INSERT does.
 */
const block = (table: string, n: string) =>
  `(SELECT CASE WHEN ${n} > 0 THEN setval(s, nextval(s) + ${n} - 1) - ${n} + 1 END
      FROM (SELECT pg_get_serial_sequence('${table}', 'id')::regclass AS s) q)::text`;
export const RESERVE_IDS = {
  text: `SELECT ${block('beneficiaries', '$1::bigint')} AS beneficiaries, ${block('beneficiary_status_history', '$2::bigint')} AS history,
                ${block('enrollments', '$3::bigint')} AS enrollments`,
  name: 'staging_reserve_ids',
};

/**
 * Under the batch's locks: the batch's codes already taken, by one range scan ($1..$2: its lowest and highest
 * code in text order; the caller keeps only its own codes from the answer). Those people are skipped with
 * everything that hangs from them.
 */
export const EXISTING_CODES = {
  text: 'SELECT code FROM beneficiaries WHERE code BETWEEN $1 AND $2',
  name: 'staging_existing_codes',
};

/**
 * The batch's CPFs ($1) someone not deleted already holds (CPFs are unique among them). Only asked when a
 * batch ran into beneficiaries_cpf_key: a generated CPF is unique within its data set, so only a record from
 * elsewhere (the API, another seed) can hold one, and until one does the unique index itself is the check.
 */
export const HOLDERS_OF_CPFS = {
  text: 'SELECT cpf FROM beneficiaries WHERE cpf = ANY ($1::text[]) AND deleted_at IS NULL',
  name: 'staging_holders_of_cpfs',
};

/**
 * What workshop_participants_guard did seat by seat, once per batch for the seats of the beneficiaries with
 * ids $1..$2 (the batch's block). The CHECK (participant_count <= capacity) still refuses a seat too many.
 */
export const BUMP_PARTICIPANT_COUNT = `
  UPDATE workshops w SET participant_count = w.participant_count + c.n
    FROM (SELECT workshop_id, count(*)::int AS n FROM workshop_participants WHERE beneficiary_id BETWEEN $1 AND $2 GROUP BY workshop_id) c
   WHERE w.id = c.workshop_id`;

/** Staff accounts of the generator are recognisable by their reserved domain. */
export const STAFF_EMAIL_PATTERN = `%@${STAFF_DOMAIN}`;

/** Once after a load that inserted rows: fresh statistics for the API's first queries (two halves, side by side). */
export const ANALYZE_BENEFICIARIES = 'ANALYZE beneficiaries';
export const ANALYZE_OTHER_TARGETS =
  'ANALYZE beneficiary_status_history, beneficiary_vulnerabilities, enrollments, workshops, workshop_participants, attendance';
