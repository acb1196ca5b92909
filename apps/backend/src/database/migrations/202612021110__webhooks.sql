-- migrate:up
-- Outbound webhooks (docs/integrations/webhooks.md): subscriptions, their delivery state, the deliveries,
-- and how far the fan-out has read the change_events outbox.
SET LOCAL lock_timeout = '5s';

-- What staff configure. Audited (the trigger below); the signing secrets are classified sensitive (202612021120),
-- so the audit trail never copies them. They are stored
-- encrypted (AES-256-GCM under WEBHOOK_SECRET_KEY, never hashed: they must sign), and the previous one
-- stays valid for 24 h after a rotation (both signatures are sent meanwhile).
CREATE TABLE webhook_subscriptions (
  id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  url                        text NOT NULL
                             CONSTRAINT webhook_subscriptions_url_check CHECK (url ~ '^https?://[^\s]+$' AND length(url) <= 2048),
  description                text NOT NULL DEFAULT ''
                             CONSTRAINT webhook_subscriptions_description_check CHECK (length(description) <= 500),
  topics                     text[] NOT NULL
                             CONSTRAINT webhook_subscriptions_topics_check CHECK (cardinality(topics) BETWEEN 1 AND 100),
  status                     text NOT NULL DEFAULT 'active'
                             CONSTRAINT webhook_subscriptions_status_check CHECK (status IN ('active', 'disabled')),
  disabled_reason            text
                             CONSTRAINT webhook_subscriptions_disabled_reason_check CHECK (disabled_reason IN ('manual', 'failing')),
  signing_secret             text NOT NULL,
  previous_signing_secret    text,
  previous_secret_expires_at timestamptz,
  version                    integer NOT NULL DEFAULT 1,
  created_at                 timestamptz NOT NULL DEFAULT now(),
  updated_at                 timestamptz NOT NULL DEFAULT now(),
  created_by                 bigint REFERENCES users (id) ON DELETE SET NULL,
  updated_by                 bigint REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT webhook_subscriptions_status_reason_check CHECK ((status = 'disabled') = (disabled_reason IS NOT NULL)),
  CONSTRAINT webhook_subscriptions_previous_secret_check
    CHECK ((previous_signing_secret IS NULL) = (previous_secret_expires_at IS NULL))
);
CREATE TRIGGER webhook_subscriptions_set_updated_at BEFORE UPDATE ON webhook_subscriptions
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER webhook_subscriptions_audit AFTER INSERT OR UPDATE OR DELETE ON webhook_subscriptions
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('id');

-- The delivery engine's state per subscription, apart from the audited row (it changes with every batch):
-- the lease of the one worker delivering for it (deliveries stay in order), and since when it has failed.
CREATE TABLE webhook_subscription_state (
  subscription_id  bigint PRIMARY KEY REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  leased_by        uuid,
  leased_until     timestamptz,
  failing_since    timestamptz,
  last_success_at  timestamptz,
  CONSTRAINT webhook_subscription_state_lease_check CHECK ((leased_by IS NULL) = (leased_until IS NULL))
);

-- One message to one subscription: an event from the outbox (delivered in order) or a ping (not ordered).
-- message_id is the webhook-id header, the same on every attempt. The payload is thin: ids, topic, action,
-- time; never a personal value.
CREATE TABLE webhook_deliveries (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscription_id  bigint NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  message_id       text NOT NULL CONSTRAINT webhook_deliveries_message_id_check CHECK (length(message_id) BETWEEN 1 AND 100),
  kind             text NOT NULL CONSTRAINT webhook_deliveries_kind_check CHECK (kind IN ('event', 'ping')),
  event_type       text NOT NULL CONSTRAINT webhook_deliveries_event_type_check CHECK (length(event_type) BETWEEN 1 AND 200),
  payload          jsonb NOT NULL,
  status           text NOT NULL DEFAULT 'pending'
                   CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts         integer NOT NULL DEFAULT 0 CONSTRAINT webhook_deliveries_attempts_check CHECK (attempts >= 0),
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_attempt_at  timestamptz,
  last_status_code integer,
  last_error       text CONSTRAINT webhook_deliveries_last_error_check CHECK (length(last_error) <= 500),
  delivered_at     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  created_by       bigint REFERENCES users (id) ON DELETE SET NULL,
  updated_by       bigint REFERENCES users (id) ON DELETE SET NULL,
  -- An event reaches a subscription once: the fan-out may run again over the same events after a crash.
  CONSTRAINT webhook_deliveries_message_key UNIQUE (subscription_id, message_id)
);
CREATE TRIGGER webhook_deliveries_set_updated_at BEFORE UPDATE ON webhook_deliveries
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
-- The engine: a subscription's pending deliveries in order. The listing: a subscription's deliveries.
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (subscription_id, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_subscription_idx ON webhook_deliveries (subscription_id, id);
-- The sweep (due deliveries nobody is working on) and pruning finished deliveries by age.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_created_at_idx ON webhook_deliveries (created_at) WHERE status <> 'pending';

-- How far the fan-out has read the outbox (one row; position is the events module's opaque cursor).
CREATE TABLE webhook_feed (
  id         boolean PRIMARY KEY DEFAULT true CONSTRAINT webhook_feed_id_check CHECK (id),
  position   text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO webhook_feed (id) VALUES (true);

-- migrate:down
SET LOCAL lock_timeout = '5s';
DROP TABLE webhook_feed;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_subscription_state;
DROP TABLE webhook_subscriptions;
