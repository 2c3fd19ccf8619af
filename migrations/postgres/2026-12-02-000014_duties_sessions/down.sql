DROP TABLE audit_checkpoints;
ALTER TABLE audit_events DROP COLUMN snapshot_salt;
DROP TABLE login_throttle;
DROP TABLE revoked_tokens;
ALTER TABLE users DROP COLUMN security_stamp;
DROP INDEX users_one_per_rm;
DROP TABLE role_grants;
