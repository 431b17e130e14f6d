-- Login hardening (issue 12, points 4 and 5), one migration because both belong to the
-- same release step of the SAML login:
--
-- 1. One SAML identity per user per connection. Until now a NameID whose user was
--    deprovisioned could be moved onto a live user who already had another NameID on the
--    connection, leaving that user with two. Such pairs are resolved before the index is
--    created: the identity that was linked to this very user (an `identity.linked` event
--    names the user and the NameID) is kept, else the oldest; the others are deleted.
--    A deleted NameID is not lost to its owner: its next login links again through the
--    normal checks, which now refuse a user who already has a NameID on the connection
--    (`identity_conflict`, an `sso.failed` event an admin can act on).
DELETE FROM identities WHERE id IN (
    SELECT id FROM (
        SELECT i.id AS id,
               ROW_NUMBER() OVER (
                   PARTITION BY i.source_id, i.user_id
                   ORDER BY
                       CASE WHEN EXISTS (
                           SELECT 1 FROM events e
                           WHERE e.event_type = 'identity.linked'
                             AND e.subject_id = i.user_id
                             AND (CASE WHEN json_valid(e.data)
                                       THEN json_extract(e.data, '$.identity.source_id') END) = i.source_id
                             AND (CASE WHEN json_valid(e.data)
                                       THEN json_extract(e.data, '$.identity.external_id') END) = i.external_id
                       ) THEN 0 ELSE 1 END,
                       i.created_at,
                       i.id
               ) AS pos
        FROM identities i
        WHERE i.source_kind = 'saml'
          -- Only users with several (normally none), so the events are read for those
          -- alone; the lookup uses identities_user.
          AND EXISTS (
              SELECT 1 FROM identities d
              WHERE d.user_id = i.user_id
                AND d.source_id = i.source_id
                AND d.source_kind = 'saml'
                AND d.id <> i.id
          )
    ) ranked
    WHERE ranked.pos > 1
);
CREATE UNIQUE INDEX identities_one_saml_per_user
    ON identities(source_id, user_id) WHERE source_kind = 'saml';

-- 2. Login CSRF: a pending AuthnRequest is bound to the browser that started it. Only the
--    SHA-256 (hex) of the random value in that browser's cookie is stored. NULL for
--    requests started before this migration (the ACS refuses to complete those: they
--    expire within minutes).
ALTER TABLE saml_authn_requests ADD COLUMN browser_binding_hash TEXT;
