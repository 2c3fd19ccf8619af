DROP TABLE read_marks;
DROP TABLE job_leases;
