DROP INDEX users_org_id;
ALTER TABLE organizations DROP COLUMN inactivity_deprovision_days;
ALTER TABLE events DROP COLUMN user_seq;
ALTER TABLE users DROP COLUMN event_seq;
ALTER TABLE users DROP COLUMN state_reason;
ALTER TABLE users DROP COLUMN state_changed_by;
ALTER TABLE users DROP COLUMN state_changed_at;
