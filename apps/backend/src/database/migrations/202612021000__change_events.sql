-- migrate:up
SET LOCAL lock_timeout = '5s';
-- The change feed (docs/realtime.md, docs/adr/0005-change-feed-ordering-and-relay.md): triggers on the business
-- tables write one change_events row per change in the writing transaction. No personal values, ever: the
-- topic (table), the row's key, the action, the acting user and the names of the changed columns. Clients
-- refetch through the API, which masks and audits.
--
-- Position = (txid, id). Readers only see rows whose transaction id is below the xmin of their snapshot
-- (every transaction that could still add a smaller position has ended), in (txid, id) order: positions are
-- handed out in commit order as readers see them, with no gap ever filled in behind a reader.
-- No foreign key to users: events outlive whatever they describe (like audit_log). Append-only system data,
-- written by triggers only; pruned by age (EVENTS_RETENTION_HOURS) from the oldest position on.

CREATE TABLE change_events (
  id              bigint GENERATED ALWAYS AS IDENTITY,
  txid            xid8 NOT NULL DEFAULT pg_current_xact_id(),
  topic           text NOT NULL CONSTRAINT change_events_topic_check CHECK (length(topic) BETWEEN 1 AND 63),
  row_id          text NOT NULL CONSTRAINT change_events_row_id_check CHECK (length(row_id) BETWEEN 1 AND 200),
  action          text NOT NULL CONSTRAINT change_events_action_check CHECK (length(action) BETWEEN 1 AND 40),
  user_id         bigint,
  changed_columns text[],
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT change_events_pkey PRIMARY KEY (txid, id)
);
COMMENT ON TABLE change_events IS 'Outbox of changes to business tables, written by triggers; no personal values (docs/realtime.md)';

-- The feed itself (one row, always present): its id names the Redis channel the instances share (so two
-- databases on one Redis never mix), and the pruning mark: a resume position below it missed events and gets
-- a reset.
CREATE TABLE change_feed (
  singleton   boolean PRIMARY KEY DEFAULT true CONSTRAINT change_feed_singleton_check CHECK (singleton),
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  pruned_txid xid8 NOT NULL DEFAULT '0',
  pruned_id   bigint NOT NULL DEFAULT 0,
  pruned_at   timestamptz
);
INSERT INTO change_feed DEFAULT VALUES;

-- The wake-up: one NOTIFY per statement that adds events, with a payload that never depends on row data.
-- PostgreSQL delivers identical notifications of one transaction once, so a transaction sends at most one.
CREATE FUNCTION change_events_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('change_events', '');
  RETURN NULL;
END;
$$;
CREATE TRIGGER change_events_wake AFTER INSERT ON change_events
  FOR EACH STATEMENT EXECUTE FUNCTION change_events_notify();

-- One event per changed row. TG_ARGV[0] = key column(s), comma-separated (default 'id'), joined with ':' into
-- row_id like audit_log. UPDATE: the names of the columns whose value changed (updated_at/updated_by left
-- out; an update that changed nothing else writes no event); a status change is named by its verb.
CREATE FUNCTION record_change_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  key_cols text[] := string_to_array(COALESCE(TG_ARGV[0], 'id'), ',');
  old_row  jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
  new_row  jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
  key_row  jsonb := COALESCE(new_row, old_row);
  changed  text[];
  verb     text := lower(TG_OP);
BEGIN
  IF TG_OP = 'UPDATE' THEN
    SELECT array_agg(n.key ORDER BY n.key) INTO changed
      FROM jsonb_each(new_row) AS n
     WHERE old_row -> n.key IS DISTINCT FROM n.value AND n.key NOT IN ('updated_at', 'updated_by');
    IF changed IS NULL THEN
      RETURN NULL;
    END IF;
    IF old_row -> 'status' IS DISTINCT FROM new_row -> 'status' THEN
      verb := CASE new_row ->> 'status'
                WHEN 'archived' THEN 'archive' WHEN 'approved' THEN 'approve' WHEN 'rejected' THEN 'reject'
                WHEN 'withdrawn' THEN 'withdraw' WHEN 'completed' THEN 'complete' WHEN 'cancelled' THEN 'cancel'
                ELSE CASE WHEN old_row ->> 'status' = 'archived' THEN 'restore' ELSE 'update' END
              END;
    ELSIF old_row -> 'active' = 'true' AND new_row -> 'active' = 'false' THEN
      verb := 'deactivate';
    END IF;
  END IF;
  INSERT INTO change_events (topic, row_id, action, user_id, changed_columns)
  VALUES (TG_TABLE_NAME, (SELECT string_agg(key_row ->> c, ':') FROM unnest(key_cols) AS c), verb,
          NULLIF(current_setting('app.user_id', true), '')::bigint, changed);
  RETURN NULL;
END;
$$;

CREATE TRIGGER beneficiaries_change_event AFTER INSERT OR UPDATE OR DELETE ON beneficiaries
  FOR EACH ROW EXECUTE FUNCTION record_change_event('id');
CREATE TRIGGER projects_change_event AFTER INSERT OR UPDATE OR DELETE ON projects
  FOR EACH ROW EXECUTE FUNCTION record_change_event('id');
CREATE TRIGGER workshops_change_event AFTER INSERT OR UPDATE OR DELETE ON workshops
  FOR EACH ROW EXECUTE FUNCTION record_change_event('id');
CREATE TRIGGER enrollments_change_event AFTER INSERT OR UPDATE OR DELETE ON enrollments
  FOR EACH ROW EXECUTE FUNCTION record_change_event('id');
CREATE TRIGGER workshop_participants_change_event AFTER INSERT OR UPDATE OR DELETE ON workshop_participants
  FOR EACH ROW EXECUTE FUNCTION record_change_event('workshop_id,beneficiary_id');

-- Attendance is saved a sheet at a time (up to 10,000 rows): one event per sheet and transaction, action
-- 'record', row_id '<workshop_id>:<session_date>' (GET /workshops/:id/attendance/:date refetches it).
-- Statement-level with transition tables: one call per statement, not per row.
CREATE FUNCTION record_attendance_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_events (topic, row_id, action, user_id)
  SELECT 'attendance', s.sheet, 'record', NULLIF(current_setting('app.user_id', true), '')::bigint
    FROM (SELECT DISTINCT r.workshop_id || ':' || to_char(r.session_date, 'YYYY-MM-DD') AS sheet FROM changed_rows AS r) AS s
   WHERE NOT EXISTS (SELECT 1 FROM change_events e
                      WHERE e.txid = pg_current_xact_id() AND e.topic = 'attendance' AND e.row_id = s.sheet);
  RETURN NULL;
END;
$$;
CREATE TRIGGER attendance_change_event_insert AFTER INSERT ON attendance REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION record_attendance_event();
CREATE TRIGGER attendance_change_event_update AFTER UPDATE ON attendance REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION record_attendance_event();
CREATE TRIGGER attendance_change_event_delete AFTER DELETE ON attendance REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION record_attendance_event();

-- Access changes, for the streams only (never delivered to clients): a session ended, an account
-- deactivated or given another role, closes that session's or that user's streams on every instance.
CREATE TRIGGER sessions_change_event AFTER UPDATE OF revoked_at ON sessions
  FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
  EXECUTE FUNCTION record_change_event('id');
CREATE TRIGGER sessions_change_event_delete AFTER DELETE ON sessions
  FOR EACH ROW WHEN (OLD.revoked_at IS NULL) EXECUTE FUNCTION record_change_event('id');
CREATE TRIGGER users_change_event AFTER UPDATE OF active, role ON users
  FOR EACH ROW WHEN (OLD.active AND NOT NEW.active OR OLD.role IS DISTINCT FROM NEW.role)
  EXECUTE FUNCTION record_change_event('id');
CREATE TRIGGER users_change_event_delete AFTER DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION record_change_event('id');

-- Single-use tickets for EventSource, which cannot send headers: POST /api/v1/events/tickets answers one,
-- valid 60 s, for GET /api/v1/events/stream?ticket=. Only a SHA-256 of the ticket is kept.
CREATE TABLE event_tickets (
  token_hash bytea PRIMARY KEY CONSTRAINT event_tickets_token_hash_check CHECK (length(token_hash) = 32),
  session_id uuid NOT NULL CONSTRAINT event_tickets_session_id_fkey REFERENCES sessions (id) ON DELETE CASCADE,
  role       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  CONSTRAINT event_tickets_expires_at_check CHECK (expires_at > created_at)
);
CREATE INDEX event_tickets_session_idx ON event_tickets (session_id);
CREATE INDEX event_tickets_expires_at_idx ON event_tickets (expires_at);

-- migrate:down
SET LOCAL lock_timeout = '5s';
DROP TABLE event_tickets;
DROP TRIGGER users_change_event_delete ON users;
DROP TRIGGER users_change_event ON users;
DROP TRIGGER sessions_change_event_delete ON sessions;
DROP TRIGGER sessions_change_event ON sessions;
DROP TRIGGER attendance_change_event_delete ON attendance;
DROP TRIGGER attendance_change_event_update ON attendance;
DROP TRIGGER attendance_change_event_insert ON attendance;
DROP FUNCTION record_attendance_event();
DROP TRIGGER workshop_participants_change_event ON workshop_participants;
DROP TRIGGER enrollments_change_event ON enrollments;
DROP TRIGGER workshops_change_event ON workshops;
DROP TRIGGER projects_change_event ON projects;
DROP TRIGGER beneficiaries_change_event ON beneficiaries;
DROP FUNCTION record_change_event();
DROP TRIGGER change_events_wake ON change_events;
DROP FUNCTION change_events_notify();
DROP TABLE change_feed;
DROP TABLE change_events;
