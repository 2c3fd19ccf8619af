-- A-3: each RM's load (key accounts, VIP customers) kept by the database with every change that
-- moves it, whatever the path: the RM list's cap bars and the assignment commands read one row
-- instead of recounting the RM's customers and their loans.

-- A-3 (002 "贷款户"): a customer with a loan outstanding counts as a key account. Kept from the
-- newest snapshot of each of its loans (the `loans` view).
ALTER TABLE customers ADD COLUMN loan_outstanding BOOLEAN NOT NULL DEFAULT 0;
UPDATE customers SET loan_outstanding = 1
WHERE id IN (SELECT customer_id FROM loans WHERE balance_fen > 0);
-- A new snapshot can only change the marker when its balance says otherwise than the marker does
-- (a positive balance cannot end an outstanding loan, a repaid one cannot start one): only then is
-- the customer's book read.
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

CREATE TABLE rm_loads (
    rm_id TEXT PRIMARY KEY NOT NULL,
    key_accounts INTEGER NOT NULL CHECK (key_accounts >= 0),
    vip_customers INTEGER NOT NULL CHECK (vip_customers >= 0)
);
INSERT INTO rm_loads(rm_id, key_accounts, vip_customers)
SELECT r.id,
    (SELECT count(*) FROM assignments a JOIN customers c ON c.id = a.customer_id
     WHERE a.rm_id = r.id AND a.valid_to IS NULL AND (c.is_key_account OR c.loan_outstanding)),
    (SELECT count(*) FROM assignments a JOIN customers c ON c.id = a.customer_id
     WHERE a.rm_id = r.id AND a.valid_to IS NULL AND c.is_vip)
FROM rms r;
CREATE TRIGGER rm_loads_rm_insert AFTER INSERT ON rms
BEGIN
    INSERT INTO rm_loads(rm_id, key_accounts, vip_customers) VALUES (NEW.id, 0, 0);
END;
CREATE TRIGGER rm_loads_rm_delete AFTER DELETE ON rms
BEGIN
    DELETE FROM rm_loads WHERE rm_id = OLD.id;
END;
-- An assignment in force adds its customer to the RM's load; ending, moving or deleting it takes
-- the customer off again.
CREATE TRIGGER rm_loads_assignment_insert AFTER INSERT ON assignments WHEN NEW.valid_to IS NULL
BEGIN
    UPDATE rm_loads SET
        key_accounts = key_accounts + (SELECT c.is_key_account OR c.loan_outstanding FROM customers c WHERE c.id = NEW.customer_id),
        vip_customers = vip_customers + (SELECT c.is_vip FROM customers c WHERE c.id = NEW.customer_id)
    WHERE rm_id = NEW.rm_id;
END;
CREATE TRIGGER rm_loads_assignment_update AFTER UPDATE OF valid_to, rm_id, customer_id ON assignments
BEGIN
    UPDATE rm_loads SET
        key_accounts = key_accounts - (SELECT c.is_key_account OR c.loan_outstanding FROM customers c WHERE c.id = OLD.customer_id),
        vip_customers = vip_customers - (SELECT c.is_vip FROM customers c WHERE c.id = OLD.customer_id)
    WHERE rm_id = OLD.rm_id AND OLD.valid_to IS NULL;
    UPDATE rm_loads SET
        key_accounts = key_accounts + (SELECT c.is_key_account OR c.loan_outstanding FROM customers c WHERE c.id = NEW.customer_id),
        vip_customers = vip_customers + (SELECT c.is_vip FROM customers c WHERE c.id = NEW.customer_id)
    WHERE rm_id = NEW.rm_id AND NEW.valid_to IS NULL;
END;
CREATE TRIGGER rm_loads_assignment_delete AFTER DELETE ON assignments WHEN OLD.valid_to IS NULL
BEGIN
    UPDATE rm_loads SET
        key_accounts = key_accounts - (SELECT c.is_key_account OR c.loan_outstanding FROM customers c WHERE c.id = OLD.customer_id),
        vip_customers = vip_customers - (SELECT c.is_vip FROM customers c WHERE c.id = OLD.customer_id)
    WHERE rm_id = OLD.rm_id;
END;
-- A customer becoming (or ceasing to be) a key account, a borrower or a VIP moves the load of
-- every RM holding it (one assignment in force per customer and RM).
CREATE TRIGGER rm_loads_customer_update AFTER UPDATE OF is_key_account, is_vip, loan_outstanding ON customers
WHEN (NEW.is_key_account OR NEW.loan_outstanding) <> (OLD.is_key_account OR OLD.loan_outstanding)
  OR NEW.is_vip <> OLD.is_vip
BEGIN
    UPDATE rm_loads SET
        key_accounts = key_accounts + (NEW.is_key_account OR NEW.loan_outstanding) - (OLD.is_key_account OR OLD.loan_outstanding),
        vip_customers = vip_customers + NEW.is_vip - OLD.is_vip
    WHERE rm_id IN (SELECT a.rm_id FROM assignments a WHERE a.customer_id = NEW.id AND a.valid_to IS NULL);
END;
