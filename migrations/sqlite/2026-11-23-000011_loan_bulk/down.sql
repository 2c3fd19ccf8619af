CREATE INDEX loan_snapshots_as_of ON loan_snapshots(as_of, rm_id);
