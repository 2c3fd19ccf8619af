DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
ALTER TABLE audit_head DROP COLUMN last_event_seq;
DROP TABLE outbox_events;
