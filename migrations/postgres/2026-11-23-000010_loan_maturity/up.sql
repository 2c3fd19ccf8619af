-- R-6: the date a loan falls due, when the source system gives it.
ALTER TABLE loans ADD COLUMN matures_on DATE;
ALTER TABLE loan_snapshots ADD COLUMN matures_on DATE;
