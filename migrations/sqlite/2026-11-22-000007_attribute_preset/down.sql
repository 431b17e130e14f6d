ALTER TABLE saml_connections DROP COLUMN attribute_preset;
