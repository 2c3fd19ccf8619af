-- A-1: at most one primary in force per customer, whatever races the application misses.
CREATE UNIQUE INDEX assignments_one_active_primary ON assignments(customer_id) WHERE role = 'primary' AND valid_to IS NULL;
-- A-2: an RM holds a customer once at a time.
CREATE UNIQUE INDEX assignments_one_active_per_rm ON assignments(customer_id, rm_id) WHERE valid_to IS NULL;

-- M-1: pending sensitive actions, applied only when a second person approves.
CREATE TABLE approvals (
    id TEXT PRIMARY KEY NOT NULL,
    command TEXT NOT NULL,
    payload TEXT NOT NULL,
    reason TEXT NOT NULL,
    rule TEXT NOT NULL,
    required_roles TEXT NOT NULL,
    org_path TEXT COLLATE "C" NOT NULL,
    status TEXT NOT NULL,
    maker_user_id TEXT NOT NULL,
    maker_username TEXT NOT NULL,
    decided_by_user_id TEXT,
    decided_at TIMESTAMP,
    decision_note TEXT,
    result TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX approvals_scope ON approvals(org_path, status, id);

-- A-8: tier changes, which propose re-matching the customer with an RM.
CREATE TABLE customer_tier_changes (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    from_tier TEXT,
    to_tier TEXT,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX customer_tier_changes_customer ON customer_tier_changes(customer_id, changed_at);
