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
