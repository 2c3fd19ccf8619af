DROP INDEX rm_indicators_scope;
DROP INDEX rm_indicators_riskiest;
ALTER TABLE rm_indicators DROP COLUMN overdue_ratio_bp;
CREATE INDEX rm_indicators_scope ON rm_indicators(org_path, loan_customers, overdue_customers, rm_id);
