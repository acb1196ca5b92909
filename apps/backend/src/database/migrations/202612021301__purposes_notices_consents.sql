-- migrate:up
-- LGPD legal bases and consent (issue 16; docs/privacy.md): the catalogue of processing purposes (each with its
-- legal basis and retention period), versioned privacy notices, consents as append-only events (the current
-- state is derived, never overwritten), a purpose for every project (existing ones: case follow-up, which rests
-- on the execution of public policy, so nothing changes for them), and, enforced here, no enrolment into a
-- project whose purpose rests on consent without her current consent to that purpose.
SET LOCAL lock_timeout = '5s';

-- Rows that are history: never updated, never deleted (not even by the owner: TRUNCATE too).
CREATE FUNCTION refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: record a new row instead', TG_TABLE_NAME
    USING ERRCODE = 'check_violation', CONSTRAINT = TG_TABLE_NAME || '_append_only', TABLE = TG_TABLE_NAME;
END;
$$;

CREATE TABLE processing_purposes (
  code             text PRIMARY KEY CONSTRAINT processing_purposes_code_check CHECK (code ~ '^[a-z][a-z0-9_]{1,49}$'),
  name             text NOT NULL CONSTRAINT processing_purposes_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  description      text NOT NULL CONSTRAINT processing_purposes_description_check CHECK (length(description) <= 2000),
  -- LGPD art. 7 (and art. 11 for sensitive data).
  legal_basis      text NOT NULL CONSTRAINT processing_purposes_legal_basis_check CHECK (legal_basis IN (
                     'consent', 'legal_obligation', 'public_policy', 'research', 'contract', 'exercise_of_rights',
                     'protection_of_life', 'health_protection', 'legitimate_interest')),
  legal_reference  text NOT NULL CONSTRAINT processing_purposes_legal_reference_check CHECK (length(legal_reference) <= 200),
  -- Her data is kept this long after she is archived; then retention anonymises her (docs/privacy.md).
  retention_months integer NOT NULL CONSTRAINT processing_purposes_retention_months_check CHECK (retention_months BETWEEN 0 AND 1200),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER processing_purposes_set_updated_at BEFORE UPDATE ON processing_purposes
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER processing_purposes_audit AFTER INSERT OR UPDATE OR DELETE ON processing_purposes
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('code');
COMMENT ON COLUMN processing_purposes.code IS 'operational: key';
COMMENT ON COLUMN processing_purposes.name IS 'operational: name';
COMMENT ON COLUMN processing_purposes.description IS 'operational: what the data is used for';
COMMENT ON COLUMN processing_purposes.legal_basis IS 'operational: LGPD legal basis';
COMMENT ON COLUMN processing_purposes.legal_reference IS 'operational: article of the LGPD';
COMMENT ON COLUMN processing_purposes.retention_months IS 'operational: months kept after archival';
COMMENT ON COLUMN processing_purposes.created_at IS 'operational: row created';
COMMENT ON COLUMN processing_purposes.updated_at IS 'operational: row last changed';

-- The catalogue: reference data the constraints below rely on, so it is written here (a new purpose or a
-- changed retention period is a new migration, reviewed like any schema change).
INSERT INTO processing_purposes (code, name, description, legal_basis, legal_reference, retention_months) VALUES
  ('case_follow_up', 'Acompanhamento socioassistencial',
   'Cadastro, acompanhamento do caso e encaminhamentos pela equipe técnica.',
   'public_policy', 'LGPD art. 7, III; art. 11, II, b', 60),
  ('workshop_participation', 'Participação em oficinas e projetos',
   'Inscrição, frequência e certificados de oficinas e projetos de adesão voluntária.',
   'consent', 'LGPD art. 7, I; art. 11, I', 24),
  ('funder_reports', 'Prestação de contas a financiadores',
   'Relatórios a financiadores e ao poder público (dados agregados; registros mantidos para auditoria).',
   'legal_obligation', 'LGPD art. 7, II; art. 11, II, a', 60),
  ('messaging_contact', 'Contato por mensagens',
   'Avisos e lembretes por telefone, SMS ou aplicativo de mensagens.',
   'consent', 'LGPD art. 7, I', 12),
  ('protection_of_life', 'Proteção da vida',
   'Medidas de proteção em situação de violência ou risco à vida ou à integridade física.',
   'protection_of_life', 'LGPD art. 7, VII; art. 11, II, e', 60);

CREATE TABLE privacy_notices (
  version      integer PRIMARY KEY CONSTRAINT privacy_notices_version_check CHECK (version >= 1),
  title        text NOT NULL CONSTRAINT privacy_notices_title_check CHECK (length(btrim(title)) BETWEEN 1 AND 200),
  body         text NOT NULL CONSTRAINT privacy_notices_body_check CHECK (length(btrim(body)) BETWEEN 1 AND 100000),
  published_at timestamptz NOT NULL DEFAULT now(),
  -- RESTRICT: the history names who published each version (accounts are deactivated, not deleted).
  published_by bigint CONSTRAINT privacy_notices_published_by_fkey REFERENCES users (id) ON DELETE RESTRICT
);
CREATE INDEX privacy_notices_published_by_idx ON privacy_notices (published_by);
CREATE TRIGGER privacy_notices_append_only BEFORE UPDATE OR DELETE ON privacy_notices
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER privacy_notices_no_truncate BEFORE TRUNCATE ON privacy_notices
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER privacy_notices_audit AFTER INSERT ON privacy_notices
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('version');
COMMENT ON COLUMN privacy_notices.version IS 'operational: version number';
COMMENT ON COLUMN privacy_notices.title IS 'operational: title';
COMMENT ON COLUMN privacy_notices.body IS 'operational: the text shown to the people whose data is processed';
COMMENT ON COLUMN privacy_notices.published_at IS 'operational: when it took effect';
COMMENT ON COLUMN privacy_notices.published_by IS 'operational: staff user who published it';

INSERT INTO privacy_notices (version, title, body) VALUES (1, 'Aviso de privacidade',
  'A organização trata seus dados pessoais para as finalidades do catálogo (acompanhamento, oficinas, prestação de '
  'contas, contato e proteção), cada uma com sua base legal e prazo de guarda. Você pode pedir acesso, correção, '
  'portabilidade, anonimização ou eliminação dos seus dados e saber com quem foram compartilhados; respondemos em '
  'até 15 dias. O consentimento dado para uma finalidade pode ser revogado a qualquer momento.');

-- One row per event: granted or revoked, for one purpose, under a notice version, collected how, recorded by
-- whom and when. Her current consent to a purpose is her newest event for it (current_consents).
CREATE TABLE consents (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  beneficiary_id bigint NOT NULL CONSTRAINT consents_beneficiary_id_fkey REFERENCES beneficiaries (id) ON DELETE RESTRICT,
  purpose_code   text NOT NULL CONSTRAINT consents_purpose_code_fkey REFERENCES processing_purposes (code) ON DELETE RESTRICT,
  notice_version integer CONSTRAINT consents_notice_version_fkey REFERENCES privacy_notices (version) ON DELETE RESTRICT,
  granted        boolean NOT NULL,
  method         text NOT NULL CONSTRAINT consents_method_check CHECK (method IN (
                   'in_person_signed', 'in_person_verbal', 'phone', 'online', 'legal_guardian')),
  -- RESTRICT, not SET NULL: a referential SET NULL would be an UPDATE, which the table refuses.
  recorded_by    bigint CONSTRAINT consents_recorded_by_fkey REFERENCES users (id) ON DELETE RESTRICT,
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  -- A grant names the notice she was shown.
  CONSTRAINT consents_notice_version_check CHECK (NOT granted OR notice_version IS NOT NULL)
);
CREATE INDEX consents_beneficiary_purpose_idx ON consents (beneficiary_id, purpose_code, id);
CREATE INDEX consents_purpose_idx ON consents (purpose_code);
CREATE INDEX consents_notice_version_idx ON consents (notice_version);
CREATE INDEX consents_recorded_by_idx ON consents (recorded_by);
CREATE TRIGGER consents_append_only BEFORE UPDATE OR DELETE ON consents FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER consents_no_truncate BEFORE TRUNCATE ON consents FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER consents_audit AFTER INSERT ON consents FOR EACH ROW EXECUTE FUNCTION audit_row_change('id');
COMMENT ON COLUMN consents.id IS 'operational: key (the order of her events)';
COMMENT ON COLUMN consents.beneficiary_id IS 'personal: whose consent';
COMMENT ON COLUMN consents.purpose_code IS 'personal: the purpose consented to';
COMMENT ON COLUMN consents.notice_version IS 'operational: the privacy notice she was shown';
COMMENT ON COLUMN consents.granted IS 'personal: granted (true) or revoked (false)';
COMMENT ON COLUMN consents.method IS 'operational: how it was collected';
COMMENT ON COLUMN consents.recorded_by IS 'operational: staff user who recorded it';
COMMENT ON COLUMN consents.recorded_at IS 'operational: when it was recorded';

-- A consent event only for a purpose that rests on consent. The beneficiary row is locked FOR NO KEY UPDATE,
-- which conflicts with the FOR SHARE lock enrollments_check_parties takes on her: a revocation and an enrolment
-- racing each other queue there, so the enrolment either sees the committed revocation (READ COMMITTED re-reads
-- after the wait) or commits first and the revocation follows it. Consent events of one person are serialised
-- by the same lock, so their id order is their commit order.
CREATE FUNCTION consents_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  basis text;
BEGIN
  PERFORM 1 FROM beneficiaries WHERE id = NEW.beneficiary_id FOR NO KEY UPDATE;
  SELECT legal_basis INTO basis FROM processing_purposes WHERE code = NEW.purpose_code;
  IF FOUND AND basis <> 'consent' THEN
    RAISE EXCEPTION 'purpose % rests on %, not on consent', NEW.purpose_code, basis
      USING ERRCODE = 'check_violation', CONSTRAINT = 'consents_purpose_code_check', TABLE = 'consents';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER consents_check BEFORE INSERT ON consents FOR EACH ROW EXECUTE FUNCTION consents_check();

CREATE VIEW current_consents AS
SELECT DISTINCT ON (beneficiary_id, purpose_code)
       id, beneficiary_id, purpose_code, notice_version, granted, method, recorded_by, recorded_at
  FROM consents
 ORDER BY beneficiary_id, purpose_code, id DESC;
COMMENT ON VIEW current_consents IS 'her newest consent event per purpose: the current state (derived, never stored)';

-- Every project serves a purpose. The constant default makes this instant; existing projects and sample ones
-- serve case follow-up (public policy), so the consent rule changes nothing for them.
ALTER TABLE projects ADD COLUMN purpose_code text NOT NULL DEFAULT 'case_follow_up';
-- Validated in the next migration (checklist item 3).
ALTER TABLE projects ADD CONSTRAINT projects_purpose_code_fkey FOREIGN KEY (purpose_code)
  REFERENCES processing_purposes (code) ON DELETE RESTRICT NOT VALID;
COMMENT ON COLUMN projects.purpose_code IS 'operational: the processing purpose the project serves';

-- The rules of 202612011200 (no enrolment of an archived beneficiary, none into a closed project) and now the
-- consent rule. She is locked FOR SHARE whenever either party of an enrolment changes (see consents_check for
-- the race with a revocation); the project FOR SHARE too, so a change of its purpose waits as well.
CREATE OR REPLACE FUNCTION enrollments_check_parties() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  state   text;
  purpose text;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.beneficiary_id IS NOT DISTINCT FROM OLD.beneficiary_id
     AND NEW.project_id IS NOT DISTINCT FROM OLD.project_id THEN
    RETURN NEW; -- rules about the moment of enrolling: nothing to check when neither party changes
  END IF;
  SELECT status INTO state FROM beneficiaries WHERE id = NEW.beneficiary_id FOR SHARE;
  IF (TG_OP = 'INSERT' OR NEW.beneficiary_id IS DISTINCT FROM OLD.beneficiary_id) AND state = 'archived' THEN
    RAISE EXCEPTION 'the beneficiary is archived'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'enrollments_beneficiary_id_check', TABLE = 'enrollments';
  END IF;
  SELECT status, purpose_code INTO state, purpose FROM projects WHERE id = NEW.project_id FOR SHARE;
  IF (TG_OP = 'INSERT' OR NEW.project_id IS DISTINCT FROM OLD.project_id) AND state IN ('completed', 'cancelled') THEN
    RAISE EXCEPTION 'the project is %', state
      USING ERRCODE = 'check_violation', CONSTRAINT = 'enrollments_project_id_check', TABLE = 'enrollments';
  END IF;
  IF EXISTS (SELECT 1 FROM processing_purposes WHERE code = purpose AND legal_basis = 'consent')
     AND NOT EXISTS (SELECT 1 FROM current_consents c
                      WHERE c.beneficiary_id = NEW.beneficiary_id AND c.purpose_code = purpose AND c.granted) THEN
    RAISE EXCEPTION 'no current consent of the beneficiary to purpose %', purpose
      USING ERRCODE = 'check_violation', CONSTRAINT = 'enrollments_consent_required', TABLE = 'enrollments';
  END IF;
  RETURN NEW;
END;
$$;

-- migrate:down
SET LOCAL lock_timeout = '5s';
CREATE OR REPLACE FUNCTION enrollments_check_parties() RETURNS trigger
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
-- Data loss: the projects' purposes, every consent event and every notice version.
ALTER TABLE projects DROP CONSTRAINT projects_purpose_code_fkey;
ALTER TABLE projects DROP COLUMN purpose_code;
DROP VIEW current_consents;
DROP TABLE consents;
DROP FUNCTION consents_check();
DROP TABLE privacy_notices;
DROP TABLE processing_purposes;
DROP FUNCTION refuse_change();
