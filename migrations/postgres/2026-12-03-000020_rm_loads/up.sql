-- A-3: each RM's load (key accounts, VIP customers) kept by the database with every change that
-- moves it, whatever the path: the RM list's cap bars and the assignment commands read one row
-- instead of recounting the RM's customers and their loans.

-- A-3 (002 "贷款户"): a customer with a loan outstanding counts as a key account. Kept from the
-- newest snapshot of each of its loans (the `loans` view).
ALTER TABLE customers ADD COLUMN loan_outstanding BOOLEAN NOT NULL DEFAULT false;
UPDATE customers SET loan_outstanding = true
WHERE id IN (SELECT customer_id FROM loans WHERE balance_fen > 0);

CREATE FUNCTION loan_outstanding_refresh(customer TEXT) RETURNS void LANGUAGE sql AS $$
    UPDATE customers SET loan_outstanding = NOT loan_outstanding
    WHERE id = customer AND loan_outstanding <> EXISTS (
        SELECT 1 FROM loans l WHERE l.customer_id = customer AND l.balance_fen > 0
    );
$$;
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

-- The loads: `rm_loads` holds them as of the last fold, `rm_load_changes` what every change added
-- or took off since (only changes that move a load: an ordinary customer adds nothing). A read adds
-- the two; the server folds the changes into the totals every few seconds (src/db/kept.rs). Changes
-- are appended, never a total updated in place: a transaction that assigns a million customers would
-- otherwise update each RM's row hundreds of times, and every such update leaves a row version the
-- next one must walk past until the transaction ends.
CREATE TABLE rm_loads (
    rm_id TEXT PRIMARY KEY NOT NULL,
    key_accounts INTEGER NOT NULL CHECK (key_accounts >= 0),
    vip_customers INTEGER NOT NULL CHECK (vip_customers >= 0)
);
CREATE TABLE rm_load_changes (
    id BIGSERIAL PRIMARY KEY,
    rm_id TEXT NOT NULL,
    key_accounts INTEGER NOT NULL,
    vip_customers INTEGER NOT NULL
);
CREATE INDEX rm_load_changes_rm ON rm_load_changes(rm_id);
INSERT INTO rm_loads(rm_id, key_accounts, vip_customers)
SELECT a.rm_id, sum((c.is_key_account OR c.loan_outstanding)::int), sum(c.is_vip::int)
FROM assignments a JOIN customers c ON c.id = a.customer_id
WHERE a.valid_to IS NULL AND (c.is_key_account OR c.loan_outstanding OR c.is_vip)
GROUP BY a.rm_id;

-- Adds (sign 1) or takes off (sign -1) one customer from an RM's load.
CREATE FUNCTION rm_loads_move(rm TEXT, customer TEXT, sign INTEGER) RETURNS void LANGUAGE sql AS $$
    INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
    SELECT rm, sign * (c.is_key_account OR c.loan_outstanding)::int, sign * c.is_vip::int
    FROM customers c
    WHERE c.id = customer AND (c.is_key_account OR c.loan_outstanding OR c.is_vip);
$$;
CREATE FUNCTION rm_loads_keep() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER rm_loads_assignment_insert AFTER INSERT ON assignments
    FOR EACH ROW WHEN (NEW.valid_to IS NULL) EXECUTE FUNCTION rm_loads_keep();
CREATE TRIGGER rm_loads_assignment_update AFTER UPDATE OF valid_to, rm_id, customer_id ON assignments
    FOR EACH ROW EXECUTE FUNCTION rm_loads_keep();
CREATE TRIGGER rm_loads_assignment_delete AFTER DELETE ON assignments
    FOR EACH ROW WHEN (OLD.valid_to IS NULL) EXECUTE FUNCTION rm_loads_keep();
CREATE TRIGGER rm_loads_customer_update AFTER UPDATE OF is_key_account, is_vip, loan_outstanding ON customers
    FOR EACH ROW WHEN ((NEW.is_key_account OR NEW.loan_outstanding) <> (OLD.is_key_account OR OLD.loan_outstanding)
                       OR NEW.is_vip <> OLD.is_vip)
    EXECUTE FUNCTION rm_loads_keep();
