ALTER TABLE required_checks DROP COLUMN reason_params;
ALTER TABLE required_checks DROP COLUMN reason_code;
ALTER TABLE exit_cases DROP COLUMN reason_params;
ALTER TABLE exit_cases DROP COLUMN reason_code;
ALTER TABLE flags DROP COLUMN reason_params;
ALTER TABLE flags DROP COLUMN reason_code;
