DROP TABLE loan_snapshots;
