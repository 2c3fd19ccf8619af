DROP TABLE customer_tier_changes;
DROP TABLE approvals;
DROP INDEX assignments_one_active_per_rm;
DROP INDEX assignments_one_active_primary;
