-- A-9: handover of every active assignment of an RM, proposed, edited, then confirmed at once.
CREATE TABLE handovers (
    id TEXT PRIMARY KEY NOT NULL,
    from_rm_id TEXT NOT NULL REFERENCES rms(id),
    org_path TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    confirmed_by TEXT,
    confirmed_at TIMESTAMP,
    version BIGINT NOT NULL
);
CREATE INDEX handovers_scope ON handovers(org_path, id);

CREATE TABLE handover_moves (
    id TEXT PRIMARY KEY NOT NULL,
    handover_id TEXT NOT NULL REFERENCES handovers(id),
    assignment_id TEXT NOT NULL REFERENCES assignments(id),
    customer_id TEXT NOT NULL REFERENCES customers(id),
    role TEXT NOT NULL,
    to_rm_id TEXT REFERENCES rms(id),
    note TEXT NOT NULL
);
CREATE INDEX handover_moves_handover ON handover_moves(handover_id);
