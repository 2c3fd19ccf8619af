DROP TABLE incidents;
DROP TABLE complaints;
