-- Foundation: org tree, people, customers, assignments, loans, policy, audit chain, idempotency.
-- Identifiers are UUID text; money is BIGINT fen; timestamps are UTC.
CREATE TABLE org_units (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id TEXT REFERENCES org_units(id),
    path TEXT COLLATE "C" NOT NULL UNIQUE,
    depth INTEGER NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX org_units_parent ON org_units(parent_id);

CREATE TABLE rms (
    id TEXT PRIMARY KEY NOT NULL,
    employee_no TEXT NOT NULL UNIQUE,
    national_id TEXT NOT NULL,
    name TEXT NOT NULL,
    line TEXT NOT NULL,
    grade TEXT NOT NULL,
    status TEXT NOT NULL,
    org_unit_id TEXT NOT NULL REFERENCES org_units(id),
    org_path TEXT COLLATE "C" NOT NULL,
    qualified_on DATE NOT NULL,
    term_starts_on DATE NOT NULL,
    term_ends_on DATE NOT NULL,
    performance_level INTEGER NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX rms_scope ON rms(org_path, id);
CREATE INDEX rms_national_id ON rms(national_id);

CREATE TABLE rm_qualifications (
    id TEXT PRIMARY KEY NOT NULL,
    rm_id TEXT NOT NULL REFERENCES rms(id),
    grade TEXT NOT NULL,
    exam_passed_on DATE NOT NULL,
    approved_by_unit_id TEXT NOT NULL REFERENCES org_units(id),
    approved_by_user_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX rm_qualifications_rm ON rm_qualifications(rm_id);

CREATE TABLE banned_persons (
    national_id TEXT PRIMARY KEY NOT NULL,
    rm_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    banned_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    roles TEXT NOT NULL,
    org_unit_id TEXT NOT NULL REFERENCES org_units(id),
    org_path TEXT COLLATE "C" NOT NULL,
    rm_id TEXT REFERENCES rms(id),
    active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_scope ON users(org_path, id);

CREATE TABLE customers (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    org_unit_id TEXT NOT NULL REFERENCES org_units(id),
    org_path TEXT COLLATE "C" NOT NULL,
    size TEXT,
    tier TEXT,
    categories TEXT NOT NULL,
    is_key_account BOOLEAN NOT NULL,
    is_vip BOOLEAN NOT NULL,
    national_id TEXT,
    phone TEXT,
    -- A-6: since when the customer needs a second RM (an A-6 marker), or NULL
    needs_second_rm_since TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX customers_scope ON customers(org_path, id);

CREATE TABLE customer_relations (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    related_customer_id TEXT NOT NULL REFERENCES customers(id),
    kind TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (customer_id, related_customer_id, kind)
);
CREATE INDEX customer_relations_related ON customer_relations(related_customer_id);

CREATE TABLE assignments (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    rm_id TEXT NOT NULL REFERENCES rms(id),
    role TEXT NOT NULL,
    share_bp INTEGER NOT NULL,
    reason TEXT NOT NULL,
    valid_from TIMESTAMP NOT NULL,
    valid_to TIMESTAMP,
    -- A-8: since when this RM has held the customer in this role (kept across share changes)
    held_since TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX assignments_customer ON assignments(customer_id, valid_to);
CREATE INDEX assignments_rm ON assignments(rm_id, valid_to);

CREATE TABLE loans (
    id TEXT PRIMARY KEY NOT NULL,
    loan_no TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    rm_id TEXT NOT NULL REFERENCES rms(id),
    balance_fen BIGINT NOT NULL,
    originated_on DATE NOT NULL,
    classification TEXT NOT NULL,
    interest_due_fen BIGINT NOT NULL,
    interest_paid_fen BIGINT NOT NULL,
    days_past_due INTEGER NOT NULL,
    as_of DATE NOT NULL
);
CREATE INDEX loans_customer ON loans(customer_id);
CREATE INDEX loans_rm ON loans(rm_id);

CREATE TABLE policies (
    version BIGINT PRIMARY KEY NOT NULL,
    document TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT
);

CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor_user_id TEXT,
    actor_username TEXT NOT NULL,
    actor_roles TEXT NOT NULL,
    actor_org_unit_id TEXT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    -- the org path of the unit the entity belongs to: audit reads are scoped by it (O-1)
    org_path TEXT COLLATE "C" NOT NULL,
    before_state TEXT,
    after_state TEXT,
    request_id TEXT NOT NULL,
    policy_version BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_entity ON audit_events(entity, entity_id);
CREATE INDEX audit_events_scope ON audit_events(org_path, seq);

-- The head of the audit chain: one row, updated first in every writing transaction so that
-- concurrent writers queue on its row lock and the chain never forks.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL,
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
