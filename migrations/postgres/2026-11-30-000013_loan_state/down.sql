DROP VIEW loans;
CREATE TABLE loans (
    id TEXT PRIMARY KEY,
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
INSERT INTO loans SELECT s.loan_no, s.loan_no, s.customer_id, s.rm_id, s.balance_fen, s.originated_on,
    s.classification, s.interest_due_fen, s.interest_paid_fen, s.days_past_due, s.as_of, s.matures_on
    FROM loan_snapshots s
    WHERE NOT EXISTS (SELECT 1 FROM loan_snapshots n WHERE n.loan_no = s.loan_no AND n.as_of > s.as_of);
CREATE INDEX loans_customer ON loans(customer_id);
CREATE INDEX loans_rm ON loans(rm_id);
DROP INDEX loan_snapshots_customer;
DROP INDEX loan_snapshots_rm;
ALTER TABLE loan_snapshots DROP COLUMN originated_on;
