-- Back to plain tables, the rows kept.
DROP TRIGGER borrowers_snapshot_insert ON loan_snapshots;
DROP TRIGGER borrowers_snapshot_update ON loan_snapshots;
DROP TRIGGER borrowers_snapshot_delete ON loan_snapshots;
DROP VIEW loans;
ALTER TABLE loan_snapshots RENAME TO loan_snapshots_partitioned;
CREATE TABLE loan_snapshots (LIKE loan_snapshots_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
INSERT INTO loan_snapshots SELECT * FROM loan_snapshots_partitioned;
DROP TABLE loan_snapshots_partitioned;
ALTER TABLE loan_snapshots ADD PRIMARY KEY (loan_no, as_of);
CREATE INDEX loan_snapshots_customer ON loan_snapshots(customer_id);
CREATE INDEX loan_snapshots_rm ON loan_snapshots(rm_id);
CREATE VIEW loans AS SELECT s.loan_no, s.customer_id, s.rm_id, s.balance_fen, s.originated_on,
    s.classification, s.interest_due_fen, s.interest_paid_fen, s.days_past_due, s.as_of, s.matures_on
    FROM loan_snapshots s
    WHERE NOT EXISTS (SELECT 1 FROM loan_snapshots n WHERE n.loan_no = s.loan_no AND n.as_of > s.as_of);
CREATE TRIGGER borrowers_snapshot_insert AFTER INSERT ON loan_snapshots
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION borrowers_keep();
CREATE TRIGGER borrowers_snapshot_update AFTER UPDATE ON loan_snapshots
    REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION borrowers_keep();
CREATE TRIGGER borrowers_snapshot_delete AFTER DELETE ON loan_snapshots
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION borrowers_keep();

ALTER TABLE audit_events RENAME TO audit_events_partitioned;
CREATE TABLE audit_events (LIKE audit_events_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
INSERT INTO audit_events SELECT * FROM audit_events_partitioned;
DROP TABLE audit_events_partitioned;
ALTER TABLE audit_events ADD PRIMARY KEY (seq);
CREATE INDEX audit_events_entity ON audit_events(entity, entity_id);
CREATE INDEX audit_events_scope ON audit_events(org_path, seq);

DROP FUNCTION rmdesk_month_partition(TEXT, DATE);
