DROP TABLE redirect_uris;
DROP TABLE invitations;
DROP TABLE sso_codes;
