//! Who acts: the kind half of an event's `actor` (`kind:id`) and an audit entry's.

use super::string_enum;

string_enum! {
    /// The kind of whoever made a change.
    pub enum ActorKind {
        AdminKey = "admin_key",
        AppKey = "app_key",
        ScimDirectory = "scim_directory",
        SamlConnection = "saml_connection",
        /// provisiond itself (`system:provisiond`, `system:inactivity`).
        System = "system",
        /// The command line (`provisiond admin-key`, …).
        Cli = "cli",
    }
}
