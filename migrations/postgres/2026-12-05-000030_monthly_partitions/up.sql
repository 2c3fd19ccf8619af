-- Tables that grow without bound are partitioned by month (issue 23): audit events by the instant
-- they occurred, loan snapshots by their as-of date. Each table keeps a DEFAULT partition, so a row
-- of a month whose partition does not exist yet is never refused; the scheduler creates the
-- partitions of the coming months ahead (rmdesk_month_partition), moving any rows of that month out
-- of the default partition first.

-- Creates the partition of `parent` for the month of `day` unless it exists; true when made.
CREATE FUNCTION rmdesk_month_partition(parent TEXT, day DATE) RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
DECLARE
    first DATE := date_trunc('month', day)::date;
    next DATE := (date_trunc('month', day) + INTERVAL '1 month')::date;
    part TEXT := format('%s_%s', parent, to_char(day, 'YYYY_MM'));
    key TEXT := CASE parent WHEN 'audit_events' THEN 'occurred_at' WHEN 'loan_snapshots' THEN 'as_of' END;
BEGIN
    IF key IS NULL THEN
        RAISE EXCEPTION 'rmdesk_month_partition: % is not partitioned by month', parent;
    END IF;
    IF to_regclass(part) IS NOT NULL THEN
        RETURN FALSE;
    END IF;
    -- Two servers creating the same month: the second finds it made.
    PERFORM pg_advisory_xact_lock(hashtext('rmdesk_month_partition'));
    IF to_regclass(part) IS NOT NULL THEN
        RETURN FALSE;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, parent);
    EXECUTE format(
        'WITH moved AS (DELETE FROM %I WHERE %I >= $1 AND %I < $2 RETURNING *) INSERT INTO %I SELECT * FROM moved',
        parent || '_default', key, key, part) USING first, next;
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, part, first, next);
    RETURN TRUE;
END $$;

-- Audit events: the primary key takes the partition key (PostgreSQL requires it); `seq` stays
-- unique because it is only ever the chain head's next number, taken under the head's row lock.
ALTER TABLE audit_events RENAME TO audit_events_unpartitioned;
ALTER INDEX audit_events_entity RENAME TO audit_events_unpartitioned_entity;
ALTER INDEX audit_events_scope RENAME TO audit_events_unpartitioned_scope;
ALTER INDEX audit_events_pkey RENAME TO audit_events_unpartitioned_pkey;
CREATE TABLE audit_events (LIKE audit_events_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (occurred_at);
ALTER TABLE audit_events ADD PRIMARY KEY (seq, occurred_at);
CREATE INDEX audit_events_entity ON audit_events(entity, entity_id);
CREATE INDEX audit_events_scope ON audit_events(org_path, seq);
CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT;
SELECT rmdesk_month_partition('audit_events', m)
    FROM (SELECT DISTINCT date_trunc('month', occurred_at)::date AS m FROM audit_events_unpartitioned) months;
INSERT INTO audit_events SELECT * FROM audit_events_unpartitioned;
DROP TABLE audit_events_unpartitioned;

-- Loan snapshots: the key (loan_no, as_of) already holds the month. The statement-level triggers
-- that keep `borrowers` and the A-3 loads move to the partitioned table.
DROP TRIGGER borrowers_snapshot_insert ON loan_snapshots;
DROP TRIGGER borrowers_snapshot_update ON loan_snapshots;
DROP TRIGGER borrowers_snapshot_delete ON loan_snapshots;
DROP VIEW loans;
ALTER TABLE loan_snapshots RENAME TO loan_snapshots_unpartitioned;
ALTER INDEX loan_snapshots_customer RENAME TO loan_snapshots_unpartitioned_customer;
ALTER INDEX loan_snapshots_rm RENAME TO loan_snapshots_unpartitioned_rm;
ALTER INDEX loan_snapshots_pkey RENAME TO loan_snapshots_unpartitioned_pkey;
CREATE TABLE loan_snapshots (LIKE loan_snapshots_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (as_of);
ALTER TABLE loan_snapshots ADD PRIMARY KEY (loan_no, as_of);
CREATE INDEX loan_snapshots_customer ON loan_snapshots(customer_id);
CREATE INDEX loan_snapshots_rm ON loan_snapshots(rm_id);
CREATE TABLE loan_snapshots_default PARTITION OF loan_snapshots DEFAULT;
SELECT rmdesk_month_partition('loan_snapshots', m)
    FROM (SELECT DISTINCT date_trunc('month', as_of)::date AS m FROM loan_snapshots_unpartitioned) months;
INSERT INTO loan_snapshots SELECT * FROM loan_snapshots_unpartitioned;
DROP TABLE loan_snapshots_unpartitioned;
-- R-1: each loan's latest snapshot, as before (migration 000013).
CREATE VIEW loans AS SELECT s.loan_no, s.customer_id, s.rm_id, s.balance_fen, s.originated_on,
    s.classification, s.interest_due_fen, s.interest_paid_fen, s.days_past_due, s.as_of, s.matures_on
    FROM loan_snapshots s
    WHERE NOT EXISTS (SELECT 1 FROM loan_snapshots n WHERE n.loan_no = s.loan_no AND n.as_of > s.as_of);
CREATE TRIGGER borrowers_snapshot_insert AFTER INSERT ON loan_snapshots
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION borrowers_keep();
CREATE TRIGGER borrowers_snapshot_update AFTER UPDATE ON loan_snapshots
    REFERENCING OLD TABLE AS removed NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION borrowers_keep();
CREATE TRIGGER borrowers_snapshot_delete AFTER DELETE ON loan_snapshots
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION borrowers_keep();
