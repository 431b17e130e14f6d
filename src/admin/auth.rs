//! The key-auth extractors under their old path; they live in `crate::auth`.

pub use crate::auth::{bearer_token, AdminAuth, AppAuth, Authenticated};
