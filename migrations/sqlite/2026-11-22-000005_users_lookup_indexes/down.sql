DROP INDEX groups_org_created;
DROP INDEX users_org_created;
DROP INDEX users_org_user_name_any;
