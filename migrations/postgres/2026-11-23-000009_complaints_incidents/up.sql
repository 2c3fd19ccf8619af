-- R-1 / X-2: complaints about an RM (item 3) and incident records with evidence (items 1, 2, 4; X-3).
CREATE TABLE complaints (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    rm_id TEXT NOT NULL REFERENCES rms(id),
    received_on DATE NOT NULL,
    verified BOOLEAN NOT NULL,
    summary TEXT NOT NULL,
    org_path TEXT COLLATE "C" NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX complaints_rm ON complaints(rm_id, received_on);

CREATE TABLE incidents (
    id TEXT PRIMARY KEY NOT NULL,
    rm_id TEXT NOT NULL REFERENCES rms(id),
    item TEXT NOT NULL,
    occurred_on DATE NOT NULL,
    description TEXT NOT NULL,
    evidence TEXT NOT NULL,
    org_path TEXT COLLATE "C" NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX incidents_rm ON incidents(rm_id, occurred_on);
