-- Identities deleted by up.sql (duplicates on one user and connection) are not restored.
ALTER TABLE saml_authn_requests DROP COLUMN browser_binding_hash;
DROP INDEX identities_one_saml_per_user;
