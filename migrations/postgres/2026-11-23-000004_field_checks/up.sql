-- D-1..D-5: field checks, the checks the rules require, and evidence files.
CREATE TABLE field_checks (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    kind TEXT NOT NULL,
    lead_rm_id TEXT NOT NULL REFERENCES rms(id),
    second_rm_id TEXT REFERENCES rms(id),
    performed_at TIMESTAMP NOT NULL,
    place TEXT,
    findings TEXT NOT NULL,
    outcome TEXT,
    status TEXT NOT NULL,
    org_path TEXT COLLATE "C" NOT NULL,
    submitted_by TEXT NOT NULL,
    confirmed_by TEXT,
    decided_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX field_checks_scope ON field_checks(org_path, id);
CREATE INDEX field_checks_customer ON field_checks(customer_id);
CREATE INDEX field_checks_lead ON field_checks(lead_rm_id, performed_at);
CREATE INDEX field_checks_second ON field_checks(second_rm_id, performed_at);

CREATE TABLE required_checks (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    due_on DATE NOT NULL,
    org_path TEXT COLLATE "C" NOT NULL,
    closed_by_check_id TEXT REFERENCES field_checks(id),
    closed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX required_checks_scope ON required_checks(org_path, due_on);
CREATE INDEX required_checks_customer ON required_checks(customer_id, kind);

CREATE TABLE field_check_evidence (
    id TEXT PRIMARY KEY NOT NULL,
    check_id TEXT NOT NULL REFERENCES field_checks(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BYTEA NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX field_check_evidence_check ON field_check_evidence(check_id);
