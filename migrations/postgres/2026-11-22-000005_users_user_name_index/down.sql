DROP INDEX users_org_user_name_any;
