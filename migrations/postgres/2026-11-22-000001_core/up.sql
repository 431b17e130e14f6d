-- Core schema: tenants, their domains and roles, keys, users and identities, groups,
-- role assignments, the ordered event log and the audit trail (PostgreSQL dialect).
-- Ids are UUID text; timestamps are UTC; JSON is stored as text.

CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    jit_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    sync_attributes_on_login BOOLEAN NOT NULL DEFAULT TRUE,
    default_role TEXT NOT NULL DEFAULT 'member',
    max_seats INTEGER,
    allow_privileged_from_idp BOOLEAN NOT NULL DEFAULT FALSE,
    inactivity_suspend_days INTEGER,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE organization_domains (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    domain TEXT NOT NULL UNIQUE,
    verification_token TEXT NOT NULL,
    verified_at TIMESTAMP,
    verification_method TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX organization_domains_org ON organization_domains(organization_id);

CREATE TABLE roles (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    privileged BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (organization_id, key)
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('admin', 'app')),
    key_hash TEXT NOT NULL UNIQUE,
    key_prefix TEXT NOT NULL,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_name TEXT NOT NULL,
    user_name_lower TEXT NOT NULL,
    external_id TEXT,
    email TEXT,
    email_lower TEXT,
    given_name TEXT,
    family_name TEXT,
    display_name TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    state TEXT NOT NULL CHECK (state IN ('invited', 'active', 'suspended', 'deprovisioned')),
    provisioned_by TEXT NOT NULL CHECK (provisioned_by IN ('jit', 'scim', 'invite', 'admin')),
    attributes TEXT NOT NULL DEFAULT '{}',
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP,
    deprovisioned_at TIMESTAMP
);
-- userName is unique per organization, case-insensitively, among users that still exist
-- for the IdP: a deprovisioned record stays for audit and does not block a re-create.
CREATE UNIQUE INDEX users_org_user_name ON users(organization_id, user_name_lower)
    WHERE state <> 'deprovisioned';
CREATE INDEX users_org_email ON users(organization_id, email_lower);
CREATE INDEX users_org_external_id ON users(organization_id, external_id);
CREATE INDEX users_org_updated ON users(organization_id, updated_at);

CREATE TABLE identities (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    source_kind TEXT NOT NULL CHECK (source_kind IN ('saml', 'scim', 'email')),
    source_id TEXT NOT NULL,
    external_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (source_id, external_id)
);
CREATE INDEX identities_user ON identities(user_id);

CREATE TABLE groups (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    display_name_lower TEXT NOT NULL,
    external_id TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX groups_org_name ON groups(organization_id, display_name_lower);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members(user_id);

CREATE TABLE role_assignments (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    source TEXT NOT NULL CHECK (source IN ('default', 'idp', 'manual')),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, role_id)
);

-- The event log. `seq` comes from event_counter, incremented in the same transaction as
-- the insert, so sequence order is commit order on both backends (see docs/architecture.md).
CREATE TABLE event_counter (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO event_counter (id, value) VALUES (1, 0);

CREATE TABLE events (
    seq BIGINT PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT,
    event_type TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX events_org_seq ON events(organization_id, seq);

CREATE TABLE audit_entries (
    id TEXT PRIMARY KEY NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    organization_id TEXT,
    request_id TEXT,
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_entries_created ON audit_entries(created_at);
