-- R-4: one evaluation per date and scope; evaluating the same date again changes nothing.
CREATE TABLE evaluations (
    as_of DATE NOT NULL,
    org_path TEXT COLLATE "C" NOT NULL,
    policy_version BIGINT NOT NULL,
    summary TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (as_of, org_path)
);
