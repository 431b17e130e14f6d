-- Webhook endpoints and their deliveries. The event log is the transactional outbox:
-- every change commits its event in its own transaction; the delivery worker turns
-- events after each endpoint's cursor into delivery rows and sends them.

CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- NULL: events of every organization.
    organization_id TEXT REFERENCES organizations(id) ON DELETE CASCADE,
    -- JSON array of event types; empty: every type.
    event_types TEXT NOT NULL DEFAULT '[]',
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at TIMESTAMP,
    enabled BOOLEAN NOT NULL DEFAULT 1,
    -- Last event seq turned into deliveries for this endpoint.
    cursor_seq BIGINT NOT NULL,
    -- Which worker holds the endpoint, until when (several replicas share the work).
    lease_owner TEXT,
    lease_expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_seq BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_status_code INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    UNIQUE (endpoint_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(endpoint_id, status, next_attempt_at);
