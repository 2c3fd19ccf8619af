-- R-1: a loan's state is its snapshots, one per as-of date; its current state is the newest one.
-- `loans` becomes a view of the newest snapshots, so that recording a loan fact writes one row, not
-- the snapshot and a second copy of it. Snapshots gain the origination date and the two lookups the
-- current state was read by (borrower, originating RM).
ALTER TABLE loan_snapshots ADD COLUMN originated_on DATE;
UPDATE loan_snapshots s SET originated_on = l.originated_on FROM loans l WHERE l.loan_no = s.loan_no;
UPDATE loan_snapshots SET originated_on = as_of WHERE originated_on IS NULL;
INSERT INTO loan_snapshots (loan_no, as_of, customer_id, rm_id, balance_fen, originated_on,
    classification, interest_due_fen, interest_paid_fen, days_past_due, matures_on)
    SELECT l.loan_no, l.as_of, l.customer_id, l.rm_id, l.balance_fen, l.originated_on,
    l.classification, l.interest_due_fen, l.interest_paid_fen, l.days_past_due, l.matures_on
    FROM loans l
    WHERE NOT EXISTS (SELECT 1 FROM loan_snapshots s WHERE s.loan_no = l.loan_no AND s.as_of = l.as_of);
ALTER TABLE loan_snapshots ALTER COLUMN originated_on SET NOT NULL;
DROP TABLE loans;
CREATE INDEX loan_snapshots_customer ON loan_snapshots(customer_id);
CREATE INDEX loan_snapshots_rm ON loan_snapshots(rm_id);
CREATE VIEW loans AS SELECT s.loan_no, s.customer_id, s.rm_id, s.balance_fen, s.originated_on,
    s.classification, s.interest_due_fen, s.interest_paid_fen, s.days_past_due, s.as_of, s.matures_on
    FROM loan_snapshots s
    WHERE NOT EXISTS (SELECT 1 FROM loan_snapshots n WHERE n.loan_no = s.loan_no AND n.as_of > s.as_of);
