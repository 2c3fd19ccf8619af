-- D-6: RM activity log besides field checks: calls and reports of a customer's important events.
CREATE TABLE rm_activities (
    id TEXT PRIMARY KEY NOT NULL,
    rm_id TEXT NOT NULL REFERENCES rms(id),
    customer_id TEXT REFERENCES customers(id),
    kind TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    summary TEXT NOT NULL,
    org_path TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX rm_activities_rm ON rm_activities(rm_id, occurred_at);
CREATE INDEX rm_activities_scope ON rm_activities(org_path, id);
