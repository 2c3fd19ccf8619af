-- P-2: the jobs of the bank's calendar. One row per attempt; at most one success per job and
-- business date (the index below is what makes "runs once" hold with several servers).
CREATE TABLE job_runs (
    id TEXT PRIMARY KEY NOT NULL,
    job TEXT NOT NULL,
    business_date DATE NOT NULL,
    attempt INTEGER NOT NULL,
    status TEXT NOT NULL,
    run_by TEXT NOT NULL,
    server TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    counts TEXT,
    error TEXT,
    policy_version BIGINT
);
CREATE UNIQUE INDEX job_runs_once ON job_runs(job, business_date) WHERE status = 'succeeded';
CREATE INDEX job_runs_by_date ON job_runs(job, business_date);
CREATE INDEX job_runs_started ON job_runs(started_at);

-- The first business date the scheduler is responsible for (set at its first start).
CREATE TABLE job_calendar (
    id INTEGER PRIMARY KEY NOT NULL,
    starts_on DATE NOT NULL
);

-- D-5: what the required-checks job recorded about a check: its reminder and, once, its
-- overdue evidence (X-2 item 2).
CREATE TABLE required_check_notices (
    required_check_id TEXT NOT NULL REFERENCES required_checks(id),
    notice TEXT NOT NULL,
    recorded_on DATE NOT NULL,
    incident_id TEXT,
    PRIMARY KEY (required_check_id, notice)
);
CREATE INDEX required_checks_open_due ON required_checks(due_on) WHERE closed_at IS NULL;
