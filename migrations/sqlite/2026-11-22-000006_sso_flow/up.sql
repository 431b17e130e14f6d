-- The login flow's state: one-time codes handed to the app after an ACS success,
-- invitations (an invited user may log in by JIT although their email domain is not
-- verified), and the redirect URIs an admin allowed through the API (on top of
-- PROVISIOND_ALLOWED_REDIRECT_URIS).

-- A one-time code: stored as its SHA-256 (the code itself is a bearer secret), bound to
-- the redirect URI it was sent to, single use (`consumed_at`), short-lived.
CREATE TABLE sso_codes (
    code_hash TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL REFERENCES saml_connections(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    -- What the exchange returns beyond the stored user: is_new_user, attributes, session.
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    consumed_at TIMESTAMP
);
CREATE INDEX sso_codes_expires ON sso_codes(expires_at);

-- An invitation is a user record in state 'invited' plus this row, which says until when
-- the invitation admits that email and whether it was used or revoked.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email_lower TEXT NOT NULL,
    role_id TEXT REFERENCES roles(id) ON DELETE SET NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX invitations_org_email ON invitations(organization_id, email_lower);
CREATE INDEX invitations_user ON invitations(user_id);

CREATE TABLE redirect_uris (
    id TEXT PRIMARY KEY NOT NULL,
    uri TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
