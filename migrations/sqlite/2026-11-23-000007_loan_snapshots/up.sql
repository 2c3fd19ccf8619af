-- R-1: each loan's state per as-of date; `loans` keeps the latest snapshot of each loan.
CREATE TABLE loan_snapshots (
    loan_no TEXT NOT NULL,
    as_of DATE NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    rm_id TEXT NOT NULL REFERENCES rms(id),
    balance_fen BIGINT NOT NULL,
    classification TEXT NOT NULL,
    interest_due_fen BIGINT NOT NULL,
    interest_paid_fen BIGINT NOT NULL,
    days_past_due INTEGER NOT NULL,
    PRIMARY KEY (loan_no, as_of)
);
CREATE INDEX loan_snapshots_as_of ON loan_snapshots(as_of, rm_id);
