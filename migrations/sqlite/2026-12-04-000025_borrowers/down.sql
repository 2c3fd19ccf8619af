DROP TRIGGER rm_loads_customer_update;
DROP TRIGGER rm_loads_assignment_delete;
DROP TRIGGER rm_loads_assignment_update;
DROP TRIGGER rm_loads_assignment_insert;
DROP TRIGGER rm_loads_borrower_delete;
DROP TRIGGER rm_loads_borrower_insert;
DROP TRIGGER borrowers_snapshot_delete;
DROP TRIGGER borrowers_snapshot_update;
DROP TRIGGER borrowers_snapshot_insert;
ALTER TABLE customers ADD COLUMN loan_outstanding BOOLEAN NOT NULL DEFAULT 0;
UPDATE customers SET loan_outstanding = 1 WHERE id IN (SELECT customer_id FROM borrowers);
DROP TABLE borrowers;
CREATE TRIGGER loan_outstanding_insert AFTER INSERT ON loan_snapshots
BEGIN
    UPDATE customers SET loan_outstanding = EXISTS (
        SELECT 1 FROM loans l WHERE l.customer_id = NEW.customer_id AND l.balance_fen > 0
    )
    WHERE id = NEW.customer_id AND loan_outstanding <> (NEW.balance_fen > 0);
END;
CREATE TRIGGER loan_outstanding_update AFTER UPDATE ON loan_snapshots
BEGIN
    UPDATE customers SET loan_outstanding = NOT loan_outstanding
    WHERE id IN (OLD.customer_id, NEW.customer_id) AND loan_outstanding <> EXISTS (
        SELECT 1 FROM loans l WHERE l.customer_id = customers.id AND l.balance_fen > 0
    );
END;
CREATE TRIGGER loan_outstanding_delete AFTER DELETE ON loan_snapshots
BEGIN
    UPDATE customers SET loan_outstanding = NOT loan_outstanding
    WHERE id = OLD.customer_id AND loan_outstanding <> EXISTS (
        SELECT 1 FROM loans l WHERE l.customer_id = OLD.customer_id AND l.balance_fen > 0
    );
END;
CREATE TRIGGER rm_loads_assignment_insert AFTER INSERT ON assignments WHEN NEW.valid_to IS NULL
BEGIN
    INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
    SELECT NEW.rm_id, c.is_key_account OR c.loan_outstanding, c.is_vip FROM customers c
    WHERE c.id = NEW.customer_id AND (c.is_key_account OR c.loan_outstanding OR c.is_vip);
END;
CREATE TRIGGER rm_loads_assignment_update AFTER UPDATE OF valid_to, rm_id, customer_id ON assignments
BEGIN
    INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
    SELECT OLD.rm_id, -(c.is_key_account OR c.loan_outstanding), -c.is_vip FROM customers c
    WHERE OLD.valid_to IS NULL AND c.id = OLD.customer_id
      AND (c.is_key_account OR c.loan_outstanding OR c.is_vip);
    INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
    SELECT NEW.rm_id, c.is_key_account OR c.loan_outstanding, c.is_vip FROM customers c
    WHERE NEW.valid_to IS NULL AND c.id = NEW.customer_id
      AND (c.is_key_account OR c.loan_outstanding OR c.is_vip);
END;
CREATE TRIGGER rm_loads_assignment_delete AFTER DELETE ON assignments WHEN OLD.valid_to IS NULL
BEGIN
    INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
    SELECT OLD.rm_id, -(c.is_key_account OR c.loan_outstanding), -c.is_vip FROM customers c
    WHERE c.id = OLD.customer_id AND (c.is_key_account OR c.loan_outstanding OR c.is_vip);
END;
CREATE TRIGGER rm_loads_customer_update AFTER UPDATE OF is_key_account, is_vip, loan_outstanding ON customers
WHEN (NEW.is_key_account OR NEW.loan_outstanding) <> (OLD.is_key_account OR OLD.loan_outstanding)
  OR NEW.is_vip <> OLD.is_vip
BEGIN
    INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
    SELECT a.rm_id,
        (NEW.is_key_account OR NEW.loan_outstanding) - (OLD.is_key_account OR OLD.loan_outstanding),
        NEW.is_vip - OLD.is_vip
    FROM assignments a WHERE a.customer_id = NEW.id AND a.valid_to IS NULL;
END;
