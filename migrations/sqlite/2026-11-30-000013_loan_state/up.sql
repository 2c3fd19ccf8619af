-- R-1: a loan's state is its snapshots, one per as-of date; its current state is the newest one.
-- `loans` becomes a view of the newest snapshots, so that recording a loan fact writes one row, not
-- the snapshot and a second copy of it. Snapshots gain the origination date and the two lookups the
-- current state was read by (borrower, originating RM).
CREATE TABLE loan_snapshots_new (
    loan_no TEXT NOT NULL,
    as_of DATE NOT NULL,
    customer_id TEXT NOT NULL,
    rm_id TEXT NOT NULL,
    balance_fen BIGINT NOT NULL,
    originated_on DATE NOT NULL,
    classification TEXT NOT NULL,
    interest_due_fen BIGINT NOT NULL,
    interest_paid_fen BIGINT NOT NULL,
    days_past_due INTEGER NOT NULL,
    matures_on DATE,
    PRIMARY KEY (loan_no, as_of)
);
INSERT INTO loan_snapshots_new SELECT s.loan_no, s.as_of, s.customer_id, s.rm_id, s.balance_fen,
    COALESCE((SELECT l.originated_on FROM loans l WHERE l.loan_no = s.loan_no), s.as_of),
    s.classification, s.interest_due_fen, s.interest_paid_fen, s.days_past_due, s.matures_on
    FROM loan_snapshots s;
INSERT INTO loan_snapshots_new SELECT l.loan_no, l.as_of, l.customer_id, l.rm_id, l.balance_fen,
    l.originated_on, l.classification, l.interest_due_fen, l.interest_paid_fen, l.days_past_due,
    l.matures_on FROM loans l
    WHERE NOT EXISTS (SELECT 1 FROM loan_snapshots s WHERE s.loan_no = l.loan_no AND s.as_of = l.as_of);
DROP TABLE loan_snapshots;
DROP TABLE loans;
ALTER TABLE loan_snapshots_new RENAME TO loan_snapshots;
CREATE INDEX loan_snapshots_customer ON loan_snapshots(customer_id);
CREATE INDEX loan_snapshots_rm ON loan_snapshots(rm_id);
CREATE VIEW loans AS SELECT s.loan_no, s.customer_id, s.rm_id, s.balance_fen, s.originated_on,
    s.classification, s.interest_due_fen, s.interest_paid_fen, s.days_past_due, s.as_of, s.matures_on
    FROM loan_snapshots s
    WHERE NOT EXISTS (SELECT 1 FROM loan_snapshots n WHERE n.loan_no = s.loan_no AND n.as_of > s.as_of);
