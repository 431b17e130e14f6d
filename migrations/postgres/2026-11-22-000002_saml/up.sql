-- SAML connections (one per IdP per organization), their pinned IdP signing
-- certificates (several at once for rollover), SP key pairs, pending AuthnRequests and
-- the assertion replay cache. Every piece of login state lives here so replicas share it.

CREATE TABLE saml_connections (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    idp_entity_id TEXT NOT NULL,
    idp_sso_redirect_url TEXT,
    idp_sso_post_url TEXT,
    attribute_mapping TEXT NOT NULL DEFAULT '{}',
    group_role_mapping TEXT NOT NULL DEFAULT '{}',
    allow_idp_initiated BOOLEAN NOT NULL DEFAULT FALSE,
    default_redirect_uri TEXT,
    require_signed_assertion BOOLEAN NOT NULL DEFAULT FALSE,
    allow_sha1 BOOLEAN NOT NULL DEFAULT FALSE,
    sign_authn_requests BOOLEAN NOT NULL DEFAULT FALSE,
    clock_skew_secs INTEGER NOT NULL DEFAULT 180,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (organization_id, idp_entity_id)
);

CREATE TABLE saml_connection_certificates (
    id TEXT PRIMARY KEY NOT NULL,
    connection_id TEXT NOT NULL REFERENCES saml_connections(id) ON DELETE CASCADE,
    certificate_pem TEXT NOT NULL,
    fingerprint_sha256 TEXT NOT NULL,
    not_after TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (connection_id, fingerprint_sha256)
);

-- `scope` is 'server' for the one server-wide pair, or a connection id for an override.
CREATE TABLE sp_keys (
    id TEXT PRIMARY KEY NOT NULL,
    scope TEXT NOT NULL UNIQUE,
    connection_id TEXT REFERENCES saml_connections(id) ON DELETE CASCADE,
    private_key_pem TEXT NOT NULL,
    certificate_pem TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE saml_authn_requests (
    id TEXT PRIMARY KEY NOT NULL,
    connection_id TEXT NOT NULL REFERENCES saml_connections(id) ON DELETE CASCADE,
    relay_state TEXT,
    redirect_uri TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    consumed_at TIMESTAMP
);
CREATE INDEX saml_authn_requests_expires ON saml_authn_requests(expires_at);

-- Keyed by connection too: an assertion is bound to one connection (audience, recipient),
-- and one tenant's IdP must not be able to pre-empt another tenant's assertion ids.
CREATE TABLE saml_replay_cache (
    connection_id TEXT NOT NULL REFERENCES saml_connections(id) ON DELETE CASCADE,
    assertion_id TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (connection_id, assertion_id)
);
CREATE INDEX saml_replay_cache_expires ON saml_replay_cache(expires_at);
