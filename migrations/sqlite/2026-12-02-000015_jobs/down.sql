DROP INDEX required_checks_open_due;
DROP TABLE required_check_notices;
DROP TABLE job_calendar;
DROP TABLE job_runs;
