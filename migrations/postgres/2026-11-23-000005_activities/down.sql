DROP TABLE rm_activities;
