-- A-3 (issue 22): a new loan snapshot reads the customer's whole book only when it can end its
-- borrowing. SQLite has no statement triggers (PostgreSQL keeps `borrowers` once per statement
-- under the same name); what a row costs here is cut instead: a snapshot with a balance for a
-- customer not yet borrowing makes it a borrower when it is the newest of its loan, which is one
-- probe of the snapshot key, not two reads of `loans`.
DROP TRIGGER borrowers_snapshot_insert;
CREATE TRIGGER borrowers_snapshot_insert AFTER INSERT ON loan_snapshots
WHEN NEW.balance_fen > 0 AND NOT EXISTS (SELECT 1 FROM borrowers WHERE customer_id = NEW.customer_id)
BEGIN
    INSERT INTO borrowers(customer_id) SELECT NEW.customer_id WHERE NOT EXISTS (
        SELECT 1 FROM loan_snapshots n WHERE n.loan_no = NEW.loan_no AND n.as_of > NEW.as_of);
END;
-- A snapshot without a balance can only end a borrower's last outstanding loan.
CREATE TRIGGER borrowers_snapshot_insert_repaid AFTER INSERT ON loan_snapshots
WHEN NEW.balance_fen <= 0 AND EXISTS (SELECT 1 FROM borrowers WHERE customer_id = NEW.customer_id)
BEGIN
    DELETE FROM borrowers WHERE customer_id = NEW.customer_id AND NOT EXISTS (
        SELECT 1 FROM loans l WHERE l.customer_id = NEW.customer_id AND l.balance_fen > 0);
END;
