//! Every event type provisiond emits: the `type` of each feed event and webhook delivery
//! (docs/lifecycle.md, "Event types and payloads", is tested against this list).

use super::string_enum;

string_enum! {
    /// The type of an event.
    pub enum EventType {
        UserCreated = "user.created",
        UserUpdated = "user.updated",
        UserSuspended = "user.suspended",
        UserReactivated = "user.reactivated",
        UserDeprovisioned = "user.deprovisioned",
        UserLogin = "user.login",
        IdentityLinked = "identity.linked",
        RoleAssigned = "role.assigned",
        RoleUnassigned = "role.unassigned",
        GroupCreated = "group.created",
        GroupUpdated = "group.updated",
        GroupDeleted = "group.deleted",
        GroupMemberAdded = "group.member_added",
        GroupMemberRemoved = "group.member_removed",
        SsoFailed = "sso.failed",
        InvitationCreated = "invitation.created",
        InvitationAccepted = "invitation.accepted",
        InvitationRevoked = "invitation.revoked",
        OrganizationCreated = "organization.created",
        OrganizationUpdated = "organization.updated",
        OrganizationDeleted = "organization.deleted",
        DomainAdded = "domain.added",
        DomainVerified = "domain.verified",
        DomainDeleted = "domain.deleted",
        RoleCreated = "role.created",
        RoleUpdated = "role.updated",
        RoleDeleted = "role.deleted",
        ApiKeyCreated = "api_key.created",
        ApiKeyRevoked = "api_key.revoked",
        ScimDirectoryCreated = "scim_directory.created",
        ScimTokenCreated = "scim_token.created",
        ScimTokenRevoked = "scim_token.revoked",
        ConnectionCreated = "connection.created",
        ConnectionUpdated = "connection.updated",
        ConnectionDeleted = "connection.deleted",
        RedirectUriAdded = "redirect_uri.added",
        RedirectUriRemoved = "redirect_uri.removed",
        WebhookEndpointCreated = "webhook_endpoint.created",
        WebhookEndpointUpdated = "webhook_endpoint.updated",
        WebhookEndpointDeleted = "webhook_endpoint.deleted",
        WebhookEndpointSecretRotated = "webhook_endpoint.secret_rotated",
        WebhookDeliveryRequeued = "webhook_delivery.requeued",
    }
}

impl EventType {
    /// The `user.*` types: one owner writes them (`lifecycle::transitions`).
    pub fn is_user_lifecycle(self) -> bool {
        self.as_str().starts_with("user.")
    }
}

#[cfg(test)]
mod tests {
    use super::EventType;
    use std::collections::BTreeSet;

    /// The types named in the first column of docs/lifecycle.md's event catalogue.
    fn catalogue() -> BTreeSet<String> {
        let doc = include_str!("../../docs/lifecycle.md");
        let start = doc
            .find("### Event types and payloads")
            .unwrap_or(doc.len());
        let section = &doc[start..];
        let end = section.find("\n### Changes").unwrap_or(section.len());
        section[..end]
            .lines()
            .filter(|l| l.starts_with("| `"))
            .filter_map(|l| l.split('|').nth(1))
            .flat_map(|cell| {
                cell.split('`')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn the_event_catalogue_lists_every_event_type_and_nothing_else() {
        let code: BTreeSet<String> = EventType::ALL
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect();
        let docs = catalogue();
        let missing: Vec<_> = code.difference(&docs).collect();
        let extra: Vec<_> = docs.difference(&code).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "docs/lifecycle.md's catalogue lacks {missing:?} and lists unknown {extra:?}"
        );
    }
}
