-- Which IdP's default attribute names a SAML connection expects (src/jit/mapping.rs
-- `Preset`: default, okta, entra, google, onelogin). The per-field `attribute_mapping`
-- overrides still win. Validated by the admin API rather than a CHECK constraint, so a
-- new preset needs no table rebuild on SQLite.
ALTER TABLE saml_connections ADD COLUMN attribute_preset TEXT NOT NULL DEFAULT 'default';
