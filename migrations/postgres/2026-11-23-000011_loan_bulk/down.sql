CREATE INDEX loan_snapshots_as_of ON loan_snapshots(as_of, rm_id);
ALTER TABLE loans ADD FOREIGN KEY (customer_id) REFERENCES customers(id);
ALTER TABLE loans ADD FOREIGN KEY (rm_id) REFERENCES rms(id);
ALTER TABLE loan_snapshots ADD FOREIGN KEY (customer_id) REFERENCES customers(id);
ALTER TABLE loan_snapshots ADD FOREIGN KEY (rm_id) REFERENCES rms(id);
