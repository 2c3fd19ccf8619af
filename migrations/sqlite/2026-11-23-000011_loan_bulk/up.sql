-- R-1 bulk imports. Loans and their snapshots are facts from the core-banking system: every writer
-- (POST /loans, /loans/batch) checks the customer and the originating RM against the registry, in
-- scope, in the same transaction, and customers and RMs are never deleted. Per-row foreign-key checks
-- on these two tables cost more than the rest of a million-row import, so they go. The
-- (as_of, rm_id) index served a query that is gone.
CREATE TABLE loans_new (
    id TEXT PRIMARY KEY NOT NULL,
    loan_no TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    rm_id TEXT NOT NULL,
    balance_fen BIGINT NOT NULL,
    originated_on DATE NOT NULL,
    classification TEXT NOT NULL,
    interest_due_fen BIGINT NOT NULL,
    interest_paid_fen BIGINT NOT NULL,
    days_past_due INTEGER NOT NULL,
    as_of DATE NOT NULL,
    matures_on DATE
);
INSERT INTO loans_new SELECT id, loan_no, customer_id, rm_id, balance_fen, originated_on,
    classification, interest_due_fen, interest_paid_fen, days_past_due, as_of, matures_on FROM loans;
DROP TABLE loans;
ALTER TABLE loans_new RENAME TO loans;
CREATE INDEX loans_customer ON loans(customer_id);
CREATE INDEX loans_rm ON loans(rm_id);

CREATE TABLE loan_snapshots_new (
    loan_no TEXT NOT NULL,
    as_of DATE NOT NULL,
    customer_id TEXT NOT NULL,
    rm_id TEXT NOT NULL,
    balance_fen BIGINT NOT NULL,
    classification TEXT NOT NULL,
    interest_due_fen BIGINT NOT NULL,
    interest_paid_fen BIGINT NOT NULL,
    days_past_due INTEGER NOT NULL,
    matures_on DATE,
    PRIMARY KEY (loan_no, as_of)
);
INSERT INTO loan_snapshots_new SELECT loan_no, as_of, customer_id, rm_id, balance_fen,
    classification, interest_due_fen, interest_paid_fen, days_past_due, matures_on FROM loan_snapshots;
DROP TABLE loan_snapshots;
ALTER TABLE loan_snapshots_new RENAME TO loan_snapshots;
