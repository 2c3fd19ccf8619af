ALTER TABLE customers ADD COLUMN loan_outstanding BOOLEAN NOT NULL DEFAULT false;
UPDATE customers SET loan_outstanding = true WHERE id IN (SELECT customer_id FROM borrowers);
DROP TRIGGER rm_loads_customer_update ON customers;
DROP TRIGGER rm_loads_borrower_insert ON borrowers;
DROP TRIGGER rm_loads_borrower_delete ON borrowers;
DROP FUNCTION rm_loads_borrower();
DROP TRIGGER borrowers_snapshot_insert ON loan_snapshots;
DROP TRIGGER borrowers_snapshot_update ON loan_snapshots;
DROP TRIGGER borrowers_snapshot_delete ON loan_snapshots;
DROP FUNCTION borrowers_keep();
DROP FUNCTION borrowers_refresh(TEXT);
DROP TABLE borrowers;
CREATE FUNCTION loan_outstanding_refresh(customer TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE customers SET loan_outstanding = NOT loan_outstanding
    WHERE id = customer AND loan_outstanding <> EXISTS (
        SELECT 1 FROM loans l WHERE l.customer_id = customer AND l.balance_fen > 0
    );
END $$;
CREATE FUNCTION loan_outstanding_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- A new snapshot can only change the marker when its balance says otherwise than the
        -- marker does (a positive balance cannot end an outstanding loan, a repaid one cannot
        -- start one): only then is the customer's book read.
        IF EXISTS (SELECT 1 FROM customers WHERE id = NEW.customer_id
                   AND loan_outstanding <> (NEW.balance_fen > 0)) THEN
            PERFORM loan_outstanding_refresh(NEW.customer_id);
        END IF;
        RETURN NULL;
    END IF;
    PERFORM loan_outstanding_refresh(OLD.customer_id);
    IF TG_OP = 'UPDATE' AND NEW.customer_id <> OLD.customer_id THEN
        PERFORM loan_outstanding_refresh(NEW.customer_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER loan_outstanding_insert AFTER INSERT ON loan_snapshots
    FOR EACH ROW EXECUTE FUNCTION loan_outstanding_keep();
CREATE TRIGGER loan_outstanding_update AFTER UPDATE ON loan_snapshots
    FOR EACH ROW EXECUTE FUNCTION loan_outstanding_keep();
CREATE TRIGGER loan_outstanding_delete AFTER DELETE ON loan_snapshots
    FOR EACH ROW EXECUTE FUNCTION loan_outstanding_keep();
CREATE OR REPLACE FUNCTION rm_loads_move(rm TEXT, customer TEXT, sign INTEGER) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
    SELECT rm, sign * (c.is_key_account OR c.loan_outstanding)::int, sign * c.is_vip::int
    FROM customers c
    WHERE c.id = customer AND (c.is_key_account OR c.loan_outstanding OR c.is_vip);
END $$;
CREATE OR REPLACE FUNCTION rm_loads_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'assignments' THEN
        -- An assignment in force adds its customer to the RM's load; ending, moving or deleting
        -- it takes the customer off again.
        IF TG_OP <> 'INSERT' AND OLD.valid_to IS NULL THEN
            PERFORM rm_loads_move(OLD.rm_id, OLD.customer_id, -1);
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.valid_to IS NULL THEN
            PERFORM rm_loads_move(NEW.rm_id, NEW.customer_id, 1);
        END IF;
    ELSE
        -- A customer becoming (or ceasing to be) a key account, a borrower or a VIP moves the
        -- load of every RM holding it (one assignment in force per customer and RM).
        INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
        SELECT a.rm_id,
            (NEW.is_key_account OR NEW.loan_outstanding)::int - (OLD.is_key_account OR OLD.loan_outstanding)::int,
            NEW.is_vip::int - OLD.is_vip::int
        FROM assignments a WHERE a.customer_id = NEW.id AND a.valid_to IS NULL;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER rm_loads_customer_update AFTER UPDATE OF is_key_account, is_vip, loan_outstanding ON customers
    FOR EACH ROW WHEN ((NEW.is_key_account OR NEW.loan_outstanding) <> (OLD.is_key_account OR OLD.loan_outstanding)
                       OR NEW.is_vip <> OLD.is_vip)
    EXECUTE FUNCTION rm_loads_keep();
