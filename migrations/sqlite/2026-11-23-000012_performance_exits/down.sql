DROP TABLE exit_case_events;
DROP TABLE exit_cases;
DROP TABLE performance_scores;
DROP TABLE performance_metrics;
