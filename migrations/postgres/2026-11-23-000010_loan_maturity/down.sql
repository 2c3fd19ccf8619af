ALTER TABLE loan_snapshots DROP COLUMN matures_on;
ALTER TABLE loans DROP COLUMN matures_on;
