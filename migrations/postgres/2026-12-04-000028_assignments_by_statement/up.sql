-- A-3, A-6 (issue 22): what an assignment change moves (the RMs' key-account and VIP loads, the
-- second-RM queue) is kept once per statement over the rows it changed (transition tables), not
-- once per row: a go-live history of 360,000 assignment rows fired up to three PL/pgSQL calls and
-- a load change per row (11.3 s before the kept tables, 18.7 s per row). The statements are planned
-- on each call (EXECUTE), so that a single change and a whole file each get the plan their size
-- needs. An UPDATE trigger with transition tables cannot name its columns: it runs on every
-- update of assignments, and a change that moves nothing nets to nothing.
DROP TRIGGER rm_loads_assignment_insert ON assignments;
DROP TRIGGER rm_loads_assignment_update ON assignments;
DROP TRIGGER rm_loads_assignment_delete ON assignments;
DROP TRIGGER second_rm_queue_assignment_insert ON assignments;
DROP TRIGGER second_rm_queue_assignment_update ON assignments;
DROP TRIGGER second_rm_queue_assignment_delete ON assignments;

CREATE FUNCTION assignments_keep() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved TEXT;
    touched TEXT;
BEGIN
    -- The assignments in force the statement added (+1) and took away (-1).
    moved := CASE TG_OP
        WHEN 'INSERT' THEN
            'SELECT rm_id, customer_id, 1 AS sign FROM added WHERE valid_to IS NULL'
        WHEN 'UPDATE' THEN
            'SELECT rm_id, customer_id, 1 AS sign FROM added WHERE valid_to IS NULL '
            'UNION ALL SELECT rm_id, customer_id, -1 FROM removed WHERE valid_to IS NULL'
        ELSE
            'SELECT rm_id, customer_id, -1 AS sign FROM removed WHERE valid_to IS NULL'
        END;
    -- A-3: each RM's load moves by its key accounts (by marker or loan outstanding) and VIPs.
    EXECUTE format(
        'INSERT INTO rm_load_changes(rm_id, key_accounts, vip_customers) '
        'SELECT m.rm_id, sum(m.sign * k.key_account::int), sum(m.sign * c.is_vip::int) '
        'FROM (%s) m JOIN customers c ON c.id = m.customer_id, '
        'LATERAL (SELECT c.is_key_account OR EXISTS '
        '(SELECT 1 FROM borrowers b WHERE b.customer_id = c.id) AS key_account) k '
        'WHERE k.key_account OR c.is_vip GROUP BY m.rm_id '
        'HAVING sum(m.sign * k.key_account::int) <> 0 OR sum(m.sign * c.is_vip::int) <> 0',
        moved);
    -- A-6: a customer that needs a second RM is on the queue while it has fewer than two RMs.
    touched := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT customer_id FROM added WHERE valid_to IS NULL'
        WHEN 'UPDATE' THEN 'SELECT customer_id FROM added UNION SELECT customer_id FROM removed'
        ELSE 'SELECT customer_id FROM removed'
        END;
    EXECUTE format(
        'DELETE FROM second_rm_queue q USING (%s) t WHERE q.customer_id = t.customer_id', touched);
    EXECUTE format(
        'INSERT INTO second_rm_queue(customer_id, org_path, since) '
        'SELECT c.id, c.org_path, c.needs_second_rm_since FROM customers c '
        'WHERE c.id IN (%s) AND c.needs_second_rm_since IS NOT NULL '
        'AND (SELECT count(*) FROM assignments a WHERE a.customer_id = c.id AND a.valid_to IS NULL) < 2',
        touched);
    RETURN NULL;
END $$;
CREATE TRIGGER assignments_keep_insert AFTER INSERT ON assignments
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION assignments_keep();
CREATE TRIGGER assignments_keep_update AFTER UPDATE ON assignments
    REFERENCING OLD TABLE AS removed NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION assignments_keep();
CREATE TRIGGER assignments_keep_delete AFTER DELETE ON assignments
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION assignments_keep();
