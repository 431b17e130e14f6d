-- Which XML Encryption data-encryption family a SAML connection's SP key accepts
-- (src/saml/encryption.rs `DataEncryption`): 'aes-gcm' (default) or 'aes-cbc', never
-- both for one key (backwards-compatibility attack on XML Encryption). The admin API
-- allows 'aes-cbc' only with the connection's own SP key pair. Validated by the API
-- rather than a CHECK constraint, like attribute_preset.
ALTER TABLE saml_connections ADD COLUMN data_encryption TEXT NOT NULL DEFAULT 'aes-gcm';
