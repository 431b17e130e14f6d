-- Indexes for lookups the first migrations missed (found by bench/scim_load.sh at 100k users).
--
-- A full index on (organization, lower-cased userName). The unique index covers only
-- users that are not deprovisioned, so lookups of deprovisioned records by userName
-- (done on every SCIM create, to report a re-creation) scanned the organization's users:
-- creates grew linearly slower with the directory's size.
CREATE INDEX users_org_user_name_any ON users(organization_id, user_name_lower);

-- The default SCIM list order (creation, then id) per organization: without these every
-- page sorted the whole organization.
CREATE INDEX users_org_created ON users(organization_id, created_at, id);
CREATE INDEX groups_org_created ON groups(organization_id, created_at, id);
