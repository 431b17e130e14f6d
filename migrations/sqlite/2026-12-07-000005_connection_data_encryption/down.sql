ALTER TABLE saml_connections DROP COLUMN data_encryption;
