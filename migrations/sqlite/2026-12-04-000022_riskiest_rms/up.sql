-- R-4 (issue 22): each RM's overdue-interest ratio at its latest evaluation, in basis points, kept by
-- the database from the books: the ratio rounded to four places, half to even, as the domain's
-- `portfolio::indicator` rounds it (a test checks the two agree). The overview reads the 50
-- riskiest RMs of a subtree from an index in ratio order, and pools the units' band counts in the
-- database, instead of reading every RM's books.
ALTER TABLE rm_indicators ADD COLUMN overdue_ratio_bp INTEGER GENERATED ALWAYS AS (
    CASE WHEN loan_customers = 0 THEN 0 ELSE (overdue_customers * 10000) / loan_customers
        + CASE WHEN 2 * ((overdue_customers * 10000) % loan_customers) > loan_customers
                 OR (2 * ((overdue_customers * 10000) % loan_customers) = loan_customers
                     AND ((overdue_customers * 10000) / loan_customers) % 2 = 1)
               THEN 1 ELSE 0 END END
) VIRTUAL;
CREATE INDEX rm_indicators_riskiest ON rm_indicators(overdue_ratio_bp DESC, rm_id, org_path);
DROP INDEX rm_indicators_scope;
CREATE INDEX rm_indicators_scope ON rm_indicators(org_path, loan_customers, overdue_customers, overdue_ratio_bp, rm_id);
