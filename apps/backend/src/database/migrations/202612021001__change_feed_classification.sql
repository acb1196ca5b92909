-- migrate:up
SET LOCAL lock_timeout = '5s';
-- The column classification (issue 16, docs/adr on column classification) of the change feed's tables: each
-- column's comment states its class. The outbox holds ids and column names only, never a personal value.
COMMENT ON COLUMN change_events.id IS 'operational: key, in write order';
COMMENT ON COLUMN change_events.txid IS 'operational: writing transaction; with id, the position';
COMMENT ON COLUMN change_events.topic IS 'operational: table of the changed row';
COMMENT ON COLUMN change_events.row_id IS 'operational: key of the changed row';
COMMENT ON COLUMN change_events.action IS 'operational: insert, update, delete or a status verb';
COMMENT ON COLUMN change_events.user_id IS 'operational: acting staff user';
COMMENT ON COLUMN change_events.changed_columns IS 'operational: names (never values) of the changed columns';
COMMENT ON COLUMN change_events.created_at IS 'operational: when';
COMMENT ON COLUMN change_feed.singleton IS 'operational: the one row';
COMMENT ON COLUMN change_feed.id IS 'operational: names the Redis channel of this database''s feed';
COMMENT ON COLUMN change_feed.pruned_txid IS 'operational: pruning mark (transaction)';
COMMENT ON COLUMN change_feed.pruned_id IS 'operational: pruning mark (event id)';
COMMENT ON COLUMN change_feed.pruned_at IS 'operational: last pruning';
COMMENT ON COLUMN event_tickets.token_hash IS 'sensitive: SHA-256 of a single-use stream ticket';
COMMENT ON COLUMN event_tickets.session_id IS 'operational: session the ticket was issued to';
COMMENT ON COLUMN event_tickets.role IS 'operational: role at issue';
COMMENT ON COLUMN event_tickets.created_at IS 'operational: issued';
COMMENT ON COLUMN event_tickets.expires_at IS 'operational: expiry (60 s after issue)';

-- migrate:down
SET LOCAL lock_timeout = '5s';
COMMENT ON COLUMN change_events.id IS NULL;
COMMENT ON COLUMN change_events.txid IS NULL;
COMMENT ON COLUMN change_events.topic IS NULL;
COMMENT ON COLUMN change_events.row_id IS NULL;
COMMENT ON COLUMN change_events.action IS NULL;
COMMENT ON COLUMN change_events.user_id IS NULL;
COMMENT ON COLUMN change_events.changed_columns IS NULL;
COMMENT ON COLUMN change_events.created_at IS NULL;
COMMENT ON COLUMN change_feed.singleton IS NULL;
COMMENT ON COLUMN change_feed.id IS NULL;
COMMENT ON COLUMN change_feed.pruned_txid IS NULL;
COMMENT ON COLUMN change_feed.pruned_id IS NULL;
COMMENT ON COLUMN change_feed.pruned_at IS NULL;
COMMENT ON COLUMN event_tickets.token_hash IS NULL;
COMMENT ON COLUMN event_tickets.session_id IS NULL;
COMMENT ON COLUMN event_tickets.role IS NULL;
COMMENT ON COLUMN event_tickets.created_at IS NULL;
COMMENT ON COLUMN event_tickets.expires_at IS NULL;
