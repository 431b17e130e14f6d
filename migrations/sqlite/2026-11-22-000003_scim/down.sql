DROP INDEX groups_org_external_id;
DROP INDEX groups_org_display_name_unique;
DROP INDEX users_org_display_name;
DROP TABLE user_emails;
DROP TABLE scim_tokens;
DROP TABLE scim_directories;
