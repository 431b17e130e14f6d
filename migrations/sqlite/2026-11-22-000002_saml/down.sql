DROP TABLE saml_replay_cache;
DROP TABLE saml_authn_requests;
DROP TABLE sp_keys;
DROP TABLE saml_connection_certificates;
DROP TABLE saml_connections;
