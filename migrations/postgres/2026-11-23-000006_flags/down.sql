DROP TABLE flag_events;
DROP TABLE flags;
