-- Several servers on one PostgreSQL, possibly behind a transaction pooler (issue 23).

-- P-2: which server runs a job for a business date. Replaces the session advisory lock, which a
-- transaction pooler cannot hold: a lease is taken in one transaction, renewed while the job runs,
-- and lapses when its server dies.
CREATE TABLE job_leases (
    job TEXT NOT NULL,
    business_date DATE NOT NULL,
    holder TEXT NOT NULL,
    until TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job, business_date)
);

-- Read-your-writes with a read replica: the primary's WAL position (bytes from 0/0) after each
-- user's latest write; their reads go to the replica once it has replayed that far.
CREATE TABLE read_marks (
    user_id TEXT PRIMARY KEY,
    lsn BIGINT NOT NULL
);
