DROP TRIGGER borrowers_snapshot_insert_repaid;
DROP TRIGGER borrowers_snapshot_insert;
CREATE TRIGGER borrowers_snapshot_insert AFTER INSERT ON loan_snapshots
WHEN (NEW.balance_fen > 0) <> EXISTS (SELECT 1 FROM borrowers WHERE customer_id = NEW.customer_id)
BEGIN
    DELETE FROM borrowers WHERE customer_id = NEW.customer_id AND NOT EXISTS (
        SELECT 1 FROM loans l WHERE l.customer_id = NEW.customer_id AND l.balance_fen > 0);
    INSERT INTO borrowers(customer_id) SELECT NEW.customer_id WHERE EXISTS (
        SELECT 1 FROM loans l WHERE l.customer_id = NEW.customer_id AND l.balance_fen > 0)
      AND NOT EXISTS (SELECT 1 FROM borrowers WHERE customer_id = NEW.customer_id);
END;
