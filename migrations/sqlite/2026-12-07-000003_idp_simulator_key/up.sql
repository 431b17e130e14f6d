-- The development IdP simulator's signing key pair (PROVISIOND_DEV_IDP_SIMULATOR):
-- generated once, at first need, and kept so the certificate pinned on a connection
-- created from the simulator's metadata stays valid across restarts and replicas.
-- One row at most: `id` is always 'simulator', so two replicas generating at once
-- conflict and both keep the winner's pair.
CREATE TABLE idp_simulator_keys (
    id TEXT PRIMARY KEY NOT NULL CHECK (id = 'simulator'),
    private_key_pem TEXT NOT NULL,
    certificate_pem TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
