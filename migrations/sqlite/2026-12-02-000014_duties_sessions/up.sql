-- M-4: who granted each role, so that a checker made by the maker is not a second person.
CREATE TABLE role_grants (
    user_id TEXT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    granted_by TEXT,
    approved_by TEXT,
    granted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, role)
);
INSERT INTO role_grants (user_id, role, granted_by, approved_by, granted_at)
    SELECT u.id, r.value, NULL, NULL, u.updated_at FROM users u, json_each('["' || replace(u.roles, ',', '","') || '"]') r
    WHERE u.roles <> '';

-- M-4: one person, one RM record.
CREATE UNIQUE INDEX users_one_per_rm ON users(rm_id) WHERE rm_id IS NOT NULL;

-- Sessions: the stamp changes with password, roles, unit or active flag; tokens carry it.
ALTER TABLE users ADD COLUMN security_stamp TEXT NOT NULL DEFAULT 'initial';

CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens(expires_at);

-- Sign-in throttling, shared by every server: one row per username and per client address.
CREATE TABLE login_throttle (
    throttle_key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    last_at TIMESTAMP NOT NULL,
    blocked_until TIMESTAMP
);

-- Masking that cannot be undone: each event's secret salt, its snapshots' digests (over the
-- snapshot with every personal value replaced by a salted commitment) and those commitments by
-- JSON pointer, given to masked readers instead of the values. NULL on events written before.
ALTER TABLE audit_events ADD COLUMN snapshot_salt TEXT;
ALTER TABLE audit_events ADD COLUMN before_sha256 TEXT;
ALTER TABLE audit_events ADD COLUMN after_sha256 TEXT;
ALTER TABLE audit_events ADD COLUMN before_redactions TEXT;
ALTER TABLE audit_events ADD COLUMN after_redactions TEXT;

-- The chain's anchor: signed checkpoints of its head.
CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY NOT NULL,
    hash TEXT NOT NULL,
    signed_at TIMESTAMP NOT NULL,
    signature TEXT NOT NULL
);
