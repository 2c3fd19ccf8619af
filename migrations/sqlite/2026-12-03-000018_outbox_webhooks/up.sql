-- Events out: the transactional outbox. Every audited change a third party may hear about writes
-- its events here, in the same transaction as the change and its audit event, numbered under the
-- audit chain's lock, so that the numbers follow the order of commits.
CREATE TABLE outbox_events (
    seq BIGINT PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    org_path TEXT NOT NULL,
    policy_version BIGINT NOT NULL,
    request_id TEXT NOT NULL,
    audit_seq BIGINT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX outbox_events_scope ON outbox_events(org_path, seq);
ALTER TABLE audit_head ADD COLUMN last_event_seq BIGINT NOT NULL DEFAULT 0;

-- Webhook subscriptions. Each keeps its own cursor in the outbox (per-subscription order) and a
-- lease, so that with several servers one of them delivers a subscription's events at a time.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    event_types TEXT NOT NULL,
    org_unit_id TEXT NOT NULL REFERENCES org_units(id),
    org_path TEXT NOT NULL,
    secret TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    disabled_reason TEXT,
    consecutive_failures INTEGER NOT NULL,
    cursor_seq BIGINT NOT NULL,
    next_attempt_at TIMESTAMP,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);

-- Every attempt to deliver an event to a subscription, kept for the delivery log.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_seq BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    redelivery BOOLEAN NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    status_code INTEGER,
    error TEXT,
    duration_ms BIGINT NOT NULL,
    succeeded BOOLEAN NOT NULL
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, attempted_at);
