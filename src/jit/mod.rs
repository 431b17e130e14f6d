//! Just-in-Time provisioning: what a verified SAML login does to the organization's
//! users — read the profile from the assertion (`mapping`), then link, create or update
//! the user under the organization's JIT policy (`login`), with roles from groups
//! (`roles`) and invitations for people outside the verified domains (`invitations`).

pub mod invitations;
pub mod login;
pub mod mapping;
pub mod profile;
pub mod roles;
