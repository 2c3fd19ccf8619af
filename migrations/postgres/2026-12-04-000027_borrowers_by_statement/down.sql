DROP TRIGGER borrowers_snapshot_insert ON loan_snapshots;
DROP TRIGGER borrowers_snapshot_update ON loan_snapshots;
DROP TRIGGER borrowers_snapshot_delete ON loan_snapshots;
DROP FUNCTION borrowers_keep();
DROP TRIGGER rm_loads_borrower_insert ON borrowers;
DROP TRIGGER rm_loads_borrower_delete ON borrowers;
DROP FUNCTION rm_loads_borrower();

CREATE FUNCTION borrowers_refresh(customer TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM loans l WHERE l.customer_id = customer AND l.balance_fen > 0) THEN
        INSERT INTO borrowers(customer_id) VALUES (customer) ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM borrowers WHERE customer_id = customer;
    END IF;
END $$;
CREATE FUNCTION borrowers_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF (NEW.balance_fen > 0) <> EXISTS (SELECT 1 FROM borrowers WHERE customer_id = NEW.customer_id) THEN
            PERFORM borrowers_refresh(NEW.customer_id);
        END IF;
        RETURN NULL;
    END IF;
    PERFORM borrowers_refresh(OLD.customer_id);
    IF TG_OP = 'UPDATE' AND NEW.customer_id <> OLD.customer_id THEN
        PERFORM borrowers_refresh(NEW.customer_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER borrowers_snapshot_insert AFTER INSERT ON loan_snapshots
    FOR EACH ROW EXECUTE FUNCTION borrowers_keep();
CREATE TRIGGER borrowers_snapshot_update AFTER UPDATE ON loan_snapshots
    FOR EACH ROW EXECUTE FUNCTION borrowers_keep();
CREATE TRIGGER borrowers_snapshot_delete AFTER DELETE ON loan_snapshots
    FOR EACH ROW EXECUTE FUNCTION borrowers_keep();

CREATE FUNCTION rm_loads_borrower() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
        SELECT a.rm_id, 1, 0 FROM assignments a JOIN customers c ON c.id = a.customer_id
        WHERE a.customer_id = NEW.customer_id AND a.valid_to IS NULL AND NOT c.is_key_account;
    ELSE
        INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
        SELECT a.rm_id, -1, 0 FROM assignments a JOIN customers c ON c.id = a.customer_id
        WHERE a.customer_id = OLD.customer_id AND a.valid_to IS NULL AND NOT c.is_key_account;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER rm_loads_borrower_insert AFTER INSERT ON borrowers
    FOR EACH ROW EXECUTE FUNCTION rm_loads_borrower();
CREATE TRIGGER rm_loads_borrower_delete AFTER DELETE ON borrowers
    FOR EACH ROW EXECUTE FUNCTION rm_loads_borrower();
