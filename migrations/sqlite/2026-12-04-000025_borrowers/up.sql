-- A-3 (issue 22): whether a customer has a loan outstanding is kept in a narrow table of its own,
-- not in a column of `customers` (on PostgreSQL setting the column cost an entry in every index of
-- `customers` per changed customer; the two databases keep the same tables).
CREATE TABLE borrowers (customer_id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
INSERT INTO borrowers(customer_id) SELECT id FROM customers WHERE loan_outstanding;

DROP TRIGGER loan_outstanding_insert;
DROP TRIGGER loan_outstanding_update;
DROP TRIGGER loan_outstanding_delete;
DROP TRIGGER rm_loads_assignment_insert;
DROP TRIGGER rm_loads_assignment_update;
DROP TRIGGER rm_loads_assignment_delete;
DROP TRIGGER rm_loads_customer_update;
ALTER TABLE customers DROP COLUMN loan_outstanding;

-- The customer borrows when the newest snapshot of one of its loans has a balance (`loans`). A new
-- snapshot can only change that when its balance says otherwise than the table does: only then is
-- the customer's book read. (No `INSERT OR IGNORE` here: inside a trigger SQLite lets the outer
-- statement's conflict handling, the loan upsert's, override it.)
CREATE TRIGGER borrowers_snapshot_insert AFTER INSERT ON loan_snapshots
WHEN (NEW.balance_fen > 0) <> EXISTS (SELECT 1 FROM borrowers WHERE customer_id = NEW.customer_id)
BEGIN
    DELETE FROM borrowers WHERE customer_id = NEW.customer_id AND NOT EXISTS (
        SELECT 1 FROM loans l WHERE l.customer_id = NEW.customer_id AND l.balance_fen > 0);
    INSERT INTO borrowers(customer_id) SELECT NEW.customer_id WHERE EXISTS (
        SELECT 1 FROM loans l WHERE l.customer_id = NEW.customer_id AND l.balance_fen > 0)
      AND NOT EXISTS (SELECT 1 FROM borrowers WHERE customer_id = NEW.customer_id);
END;
CREATE TRIGGER borrowers_snapshot_update AFTER UPDATE ON loan_snapshots
BEGIN
    DELETE FROM borrowers WHERE customer_id IN (OLD.customer_id, NEW.customer_id) AND NOT EXISTS (
        SELECT 1 FROM loans l WHERE l.customer_id = borrowers.customer_id AND l.balance_fen > 0);
    INSERT INTO borrowers(customer_id)
    SELECT DISTINCT l.customer_id FROM loans l
    WHERE l.customer_id IN (OLD.customer_id, NEW.customer_id) AND l.balance_fen > 0
      AND NOT EXISTS (SELECT 1 FROM borrowers b WHERE b.customer_id = l.customer_id);
END;
CREATE TRIGGER borrowers_snapshot_delete AFTER DELETE ON loan_snapshots
BEGIN
    DELETE FROM borrowers WHERE customer_id = OLD.customer_id AND NOT EXISTS (
        SELECT 1 FROM loans l WHERE l.customer_id = OLD.customer_id AND l.balance_fen > 0);
    INSERT INTO borrowers(customer_id) SELECT OLD.customer_id WHERE EXISTS (
        SELECT 1 FROM loans l WHERE l.customer_id = OLD.customer_id AND l.balance_fen > 0)
      AND NOT EXISTS (SELECT 1 FROM borrowers WHERE customer_id = OLD.customer_id);
END;

-- A customer that starts or stops borrowing moves the key-account load of every RM holding it,
-- unless it is a key account by its marker anyway.
CREATE TRIGGER rm_loads_borrower_insert AFTER INSERT ON borrowers
BEGIN
    INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
    SELECT a.rm_id, 1, 0 FROM assignments a JOIN customers c ON c.id = a.customer_id
    WHERE a.customer_id = NEW.customer_id AND a.valid_to IS NULL AND NOT c.is_key_account;
END;
CREATE TRIGGER rm_loads_borrower_delete AFTER DELETE ON borrowers
BEGIN
    INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
    SELECT a.rm_id, -1, 0 FROM assignments a JOIN customers c ON c.id = a.customer_id
    WHERE a.customer_id = OLD.customer_id AND a.valid_to IS NULL AND NOT c.is_key_account;
END;

-- An assignment in force adds its customer to the RM's load; ending, moving or deleting it takes
-- the customer off again (a key account: by its marker or as a borrower).
CREATE TRIGGER rm_loads_assignment_insert AFTER INSERT ON assignments WHEN NEW.valid_to IS NULL
BEGIN
    INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
    SELECT NEW.rm_id, (c.is_key_account OR EXISTS (SELECT 1 FROM borrowers b WHERE b.customer_id = c.id)), c.is_vip FROM customers c
    WHERE c.id = NEW.customer_id AND ((c.is_key_account OR EXISTS (SELECT 1 FROM borrowers b WHERE b.customer_id = c.id)) OR c.is_vip);
END;
CREATE TRIGGER rm_loads_assignment_update AFTER UPDATE OF valid_to, rm_id, customer_id ON assignments
BEGIN
    INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
    SELECT OLD.rm_id, -(c.is_key_account OR EXISTS (SELECT 1 FROM borrowers b WHERE b.customer_id = c.id)), -c.is_vip FROM customers c
    WHERE OLD.valid_to IS NULL AND c.id = OLD.customer_id AND ((c.is_key_account OR EXISTS (SELECT 1 FROM borrowers b WHERE b.customer_id = c.id)) OR c.is_vip);
    INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
    SELECT NEW.rm_id, (c.is_key_account OR EXISTS (SELECT 1 FROM borrowers b WHERE b.customer_id = c.id)), c.is_vip FROM customers c
    WHERE NEW.valid_to IS NULL AND c.id = NEW.customer_id AND ((c.is_key_account OR EXISTS (SELECT 1 FROM borrowers b WHERE b.customer_id = c.id)) OR c.is_vip);
END;
CREATE TRIGGER rm_loads_assignment_delete AFTER DELETE ON assignments WHEN OLD.valid_to IS NULL
BEGIN
    INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
    SELECT OLD.rm_id, -(c.is_key_account OR EXISTS (SELECT 1 FROM borrowers b WHERE b.customer_id = c.id)), -c.is_vip FROM customers c
    WHERE c.id = OLD.customer_id AND ((c.is_key_account OR EXISTS (SELECT 1 FROM borrowers b WHERE b.customer_id = c.id)) OR c.is_vip);
END;
-- A customer becoming (or ceasing to be) a key account or a VIP moves the load of every RM holding
-- it (one assignment in force per customer and RM).
CREATE TRIGGER rm_loads_customer_update AFTER UPDATE OF is_key_account, is_vip ON customers
WHEN NEW.is_key_account <> OLD.is_key_account OR NEW.is_vip <> OLD.is_vip
BEGIN
    INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
    SELECT a.rm_id,
        (NEW.is_key_account OR b.borrows) - (OLD.is_key_account OR b.borrows),
        NEW.is_vip - OLD.is_vip
    FROM assignments a,
         (SELECT EXISTS (SELECT 1 FROM borrowers WHERE customer_id = NEW.id) AS borrows) b
    WHERE a.customer_id = NEW.id AND a.valid_to IS NULL
      AND ((NEW.is_key_account OR b.borrows) <> (OLD.is_key_account OR b.borrows)
           OR NEW.is_vip <> OLD.is_vip);
END;
