-- SCIM 2.0 service provider: directories (one SCIM endpoint of an organization), their
-- bearer tokens (stored hashed), the email index for `emails.value` filters, and
-- displayName uniqueness of groups per organization (case-insensitive).

CREATE TABLE scim_directories (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX scim_directories_org ON scim_directories(organization_id);

CREATE TABLE scim_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    directory_id TEXT NOT NULL REFERENCES scim_directories(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    token_prefix TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX scim_tokens_directory ON scim_tokens(directory_id);

-- Every `emails[].value` of a user, lower-cased: `emails.value eq "…"` is an index lookup.
CREATE TABLE user_emails (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    value_lower TEXT NOT NULL,
    type TEXT,
    is_primary BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (user_id, value_lower)
);
CREATE INDEX user_emails_org_value ON user_emails(organization_id, value_lower);

-- Users' displayName filters compare lower-cased (displayName is caseExact=false).
CREATE INDEX users_org_display_name ON users(organization_id, lower(display_name));

CREATE UNIQUE INDEX groups_org_display_name_unique ON groups(organization_id, display_name_lower);
CREATE INDEX groups_org_external_id ON groups(organization_id, external_id);
