-- R-1 bulk imports. Loans and their snapshots are facts from the core-banking system: every writer
-- (POST /loans, /loans/batch) checks the customer and the originating RM against the registry, in
-- scope, in the same transaction, and customers and RMs are never deleted. Per-row foreign-key checks
-- on these two tables (a KEY SHARE lock on the parent row each) cost more than the rest of a
-- million-row import, so they go. The (as_of, rm_id) index served a query that is gone.
ALTER TABLE loans DROP CONSTRAINT IF EXISTS loans_customer_id_fkey;
ALTER TABLE loans DROP CONSTRAINT IF EXISTS loans_rm_id_fkey;
ALTER TABLE loan_snapshots DROP CONSTRAINT IF EXISTS loan_snapshots_customer_id_fkey;
ALTER TABLE loan_snapshots DROP CONSTRAINT IF EXISTS loan_snapshots_rm_id_fkey;
DROP INDEX IF EXISTS loan_snapshots_as_of;
