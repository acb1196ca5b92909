-- migrate:up
-- Data-subject requests (LGPD art. 18; issue 16): what she asked for, when it was received, the answer due 15
-- calendar days later (in the organisation's time zone), who handles it, and how it ended.
SET LOCAL lock_timeout = '5s';

CREATE TABLE data_requests (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  beneficiary_id bigint NOT NULL CONSTRAINT data_requests_beneficiary_id_fkey REFERENCES beneficiaries (id) ON DELETE RESTRICT,
  type           text NOT NULL CONSTRAINT data_requests_type_check CHECK (type IN (
                   'access', 'correction', 'portability', 'anonymisation', 'deletion', 'sharing_info')),
  status         text NOT NULL DEFAULT 'received' CONSTRAINT data_requests_status_check CHECK (status IN (
                   'received', 'in_progress', 'completed', 'refused')),
  channel        text NOT NULL DEFAULT 'in_person' CONSTRAINT data_requests_channel_check CHECK (channel IN (
                   'in_person', 'phone', 'email', 'letter', 'online')),
  received_at    timestamptz NOT NULL DEFAULT now(),
  -- The calendar day of receipt in the organisation's zone, set by data_requests_receipt_day from received_at.
  received_on    date NOT NULL,
  due_on         date NOT NULL GENERATED ALWAYS AS (received_on + 15) STORED,
  handled_by     bigint CONSTRAINT data_requests_handled_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  notes          text CONSTRAINT data_requests_notes_check CHECK (length(notes) <= 5000),
  closed_at      timestamptz,
  version        integer NOT NULL DEFAULT 1 CONSTRAINT data_requests_version_check CHECK (version >= 1),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  created_by     bigint CONSTRAINT data_requests_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  updated_by     bigint CONSTRAINT data_requests_updated_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT data_requests_closed_at_check CHECK ((status IN ('completed', 'refused')) = (closed_at IS NOT NULL))
);
-- Lists are ordered by due day (most urgent first); open ones have their own index (the overdue list and metric).
CREATE INDEX data_requests_due_on_id_idx ON data_requests (due_on, id);
CREATE INDEX data_requests_open_due_on_idx ON data_requests (due_on) WHERE status IN ('received', 'in_progress');
CREATE INDEX data_requests_beneficiary_idx ON data_requests (beneficiary_id, id);
CREATE INDEX data_requests_handled_by_idx ON data_requests (handled_by);
CREATE INDEX data_requests_created_by_idx ON data_requests (created_by);
CREATE INDEX data_requests_updated_by_idx ON data_requests (updated_by);
CREATE TRIGGER data_requests_set_updated_at BEFORE UPDATE ON data_requests FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER data_requests_audit AFTER INSERT OR UPDATE OR DELETE ON data_requests
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('id');
COMMENT ON COLUMN data_requests.id IS 'operational: key';
COMMENT ON COLUMN data_requests.beneficiary_id IS 'personal: who asked (the data subject)';
COMMENT ON COLUMN data_requests.type IS 'personal: the right she exercised';
COMMENT ON COLUMN data_requests.status IS 'operational: received, in_progress, completed, refused';
COMMENT ON COLUMN data_requests.channel IS 'operational: how the request arrived';
COMMENT ON COLUMN data_requests.received_at IS 'operational: when it was received';
COMMENT ON COLUMN data_requests.received_on IS 'operational: calendar day of receipt (ORG_TIMEZONE)';
COMMENT ON COLUMN data_requests.due_on IS 'operational: answer due (15 days after receipt)';
COMMENT ON COLUMN data_requests.handled_by IS 'operational: staff user handling it';
COMMENT ON COLUMN data_requests.notes IS 'identifier: free-text notes on the request and its answer';
COMMENT ON COLUMN data_requests.closed_at IS 'operational: when it was completed or refused';
COMMENT ON COLUMN data_requests.version IS 'operational: optimistic concurrency';
COMMENT ON COLUMN data_requests.created_at IS 'operational: row created';
COMMENT ON COLUMN data_requests.updated_at IS 'operational: row last changed';
COMMENT ON COLUMN data_requests.created_by IS 'operational: staff user who registered it';
COMMENT ON COLUMN data_requests.updated_by IS 'operational: staff user who last changed it';

-- The day of receipt by the organisation's calendar, never UTC: the API passes ORG_TIMEZONE with
-- set_config('app.org_timezone', ..., true); without it America/Sao_Paulo is assumed (as for birth dates).
CREATE FUNCTION data_requests_receipt_day() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.received_on := (NEW.received_at AT TIME ZONE
    COALESCE(NULLIF(current_setting('app.org_timezone', true), ''), 'America/Sao_Paulo'))::date;
  RETURN NEW;
END;
$$;
CREATE TRIGGER data_requests_receipt_day BEFORE INSERT OR UPDATE OF received_at, received_on ON data_requests
  FOR EACH ROW EXECUTE FUNCTION data_requests_receipt_day();

-- received → in_progress | completed | refused; in_progress → completed | refused; a closed request stays closed.
CREATE FUNCTION data_requests_check_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' AND NEW.status <> 'received'
     OR TG_OP = 'UPDATE' AND OLD.status IS DISTINCT FROM NEW.status AND NOT (
          OLD.status = 'received' AND NEW.status IN ('in_progress', 'completed', 'refused')
       OR OLD.status = 'in_progress' AND NEW.status IN ('completed', 'refused')) THEN
    RAISE EXCEPTION 'request status cannot go from % to %', CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status
      USING ERRCODE = 'check_violation', CONSTRAINT = 'data_requests_status_check', TABLE = 'data_requests';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER data_requests_check_transition BEFORE INSERT OR UPDATE OF status ON data_requests
  FOR EACH ROW EXECUTE FUNCTION data_requests_check_transition();

-- migrate:down
SET LOCAL lock_timeout = '5s';
-- Data loss: every data-subject request.
DROP TABLE data_requests;
DROP FUNCTION data_requests_check_transition();
DROP FUNCTION data_requests_receipt_day();
