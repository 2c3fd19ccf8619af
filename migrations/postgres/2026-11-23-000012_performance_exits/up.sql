-- X-1: an RM's business of one month (money in fen), as reported by the bank's systems.
CREATE TABLE performance_metrics (
    rm_id TEXT NOT NULL REFERENCES rms(id),
    month TEXT NOT NULL,
    new_loan_accounts BIGINT NOT NULL,
    new_loan_amount_fen BIGINT NOT NULL,
    managed_accounts_increase BIGINT NOT NULL,
    savings_increase_fen BIGINT NOT NULL,
    corporate_increase_fen BIGINT NOT NULL,
    new_bank_cards BIGINT NOT NULL,
    payroll_small BIGINT NOT NULL,
    payroll_large BIGINT NOT NULL,
    personal_ebank BIGINT NOT NULL,
    corporate_ebank BIGINT NOT NULL,
    pos_merchants BIGINT NOT NULL,
    npl_ratio TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (rm_id, month)
);

-- X-1: the month's score per RM, with each item's points and the rank inside unit and line.
CREATE TABLE performance_scores (
    rm_id TEXT NOT NULL REFERENCES rms(id),
    month TEXT NOT NULL,
    scoring_table TEXT NOT NULL,
    total TEXT NOT NULL,
    items TEXT NOT NULL,
    risk_fund TEXT NOT NULL,
    org_unit_id TEXT NOT NULL,
    org_path TEXT COLLATE "C" NOT NULL,
    line TEXT NOT NULL,
    rank INTEGER NOT NULL,
    rank_of INTEGER NOT NULL,
    policy_version BIGINT NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (rm_id, month)
);
CREATE INDEX performance_scores_month ON performance_scores(month, org_path);

-- X-5: exit, disqualification and demotion cases with their timeline.
CREATE TABLE exit_cases (
    id TEXT PRIMARY KEY NOT NULL,
    rm_id TEXT NOT NULL REFERENCES rms(id),
    kind TEXT NOT NULL,
    trigger_item TEXT,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    evidence TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    decided_by TEXT,
    decision_note TEXT,
    handover_id TEXT,
    org_path TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX exit_cases_rm ON exit_cases(rm_id, status);
CREATE INDEX exit_cases_scope ON exit_cases(org_path, id);

CREATE TABLE exit_case_events (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES exit_cases(id),
    action TEXT NOT NULL,
    note TEXT NOT NULL,
    by_user TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX exit_case_events_case ON exit_case_events(case_id, at);
