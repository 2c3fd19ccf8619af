-- The helpers the row triggers of the kept tables call were SQL functions: PostgreSQL plans a SQL
-- function's statements again on every call that is not inlined, and a trigger's `PERFORM` never
-- is, so each loan snapshot, assignment and customer change re-planned them (a month's loan file of
-- 300,000 rows took 93 s instead of 11 s). PL/pgSQL keeps a statement's plan for the session.
CREATE OR REPLACE FUNCTION loan_outstanding_refresh(customer TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE customers SET loan_outstanding = NOT loan_outstanding
    WHERE id = customer AND loan_outstanding <> EXISTS (
        SELECT 1 FROM loans l WHERE l.customer_id = customer AND l.balance_fen > 0
    );
END $$;

CREATE OR REPLACE FUNCTION rm_loads_move(rm TEXT, customer TEXT, sign INTEGER) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers)
    SELECT rm, sign * (c.is_key_account OR c.loan_outstanding)::int, sign * c.is_vip::int
    FROM customers c
    WHERE c.id = customer AND (c.is_key_account OR c.loan_outstanding OR c.is_vip);
END $$;

CREATE OR REPLACE FUNCTION second_rm_queue_refresh(customer TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM second_rm_queue WHERE customer_id = customer;
    INSERT INTO second_rm_queue(customer_id, org_path, since)
    SELECT c.id, c.org_path, c.needs_second_rm_since FROM customers c
    WHERE c.id = customer AND c.needs_second_rm_since IS NOT NULL
      AND (SELECT count(*) FROM assignments a WHERE a.customer_id = c.id AND a.valid_to IS NULL) < 2;
END $$;
