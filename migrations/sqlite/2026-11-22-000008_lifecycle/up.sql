-- The app-facing lifecycle API: who changed a user's state, when and why; a per-user
-- event sequence (apps detect reordering per user); the inactivity policy's second step.

-- The last state change of a user. NULL on users whose state never changed since
-- creation (the API then reports created_at).
ALTER TABLE users ADD COLUMN state_changed_at TIMESTAMP;
-- The actor label (`scim_directory:<id>`, `app_key:<id>`, `system:inactivity`, ...).
ALTER TABLE users ADD COLUMN state_changed_by TEXT;
-- Free text from the app, or `inactivity` when the policy suspended the user.
ALTER TABLE users ADD COLUMN state_reason TEXT;
-- The last per-user sequence number handed to an event about this user; bumped in the
-- transaction that appends the event, so it increases in commit order.
ALTER TABLE users ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;

-- The per-user sequence of an event whose subject is a user (NULL for other subjects).
ALTER TABLE events ADD COLUMN user_seq BIGINT;

-- Deprovision users this many days after the inactivity policy suspended them (NULL = never).
ALTER TABLE organizations ADD COLUMN inactivity_deprovision_days INTEGER;

-- The lifecycle list walks an organization's users in id order (the cursor is an id).
CREATE INDEX users_org_id ON users(organization_id, id);
