-- R-2 / R-4: flags on customers and on RMs, shared with everyone who sees the subject (R-3).
-- The flag row holds the current state; flag_events keeps its whole history.
CREATE TABLE flags (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT REFERENCES customers(id),
    rm_id TEXT REFERENCES rms(id),
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    org_path TEXT NOT NULL,
    raised_by TEXT NOT NULL,
    raised_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX flags_scope ON flags(org_path, id);
CREATE INDEX flags_customer ON flags(customer_id, kind, status);
CREATE INDEX flags_rm ON flags(rm_id, kind, status);

CREATE TABLE flag_events (
    id TEXT PRIMARY KEY NOT NULL,
    flag_id TEXT NOT NULL REFERENCES flags(id),
    action TEXT NOT NULL,
    note TEXT NOT NULL,
    by_user TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX flag_events_flag ON flag_events(flag_id, at);
