DROP TABLE field_check_evidence;
DROP TABLE required_checks;
DROP TABLE field_checks;
