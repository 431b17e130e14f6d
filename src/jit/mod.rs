//! Just-in-Time provisioning: what a verified SAML login does to the organization's
//! users — read the profile from the assertion (`mapping`), then link, create or update
//! the user under the organization's JIT policy.

pub mod mapping;
