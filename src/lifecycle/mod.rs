//! What apps read and do about lifecycle: the ordered event feed, webhooks (endpoints and
//! the delivery worker), for admins the audit trail; users, their state actions, manual
//! roles and reconciliation (`users`, `user_actions`), and the inactivity policy
//! (`inactivity`).

pub mod delivery;
pub mod feed;
pub mod http;
pub mod inactivity;
pub mod payloads;
pub mod transitions;
pub mod user_actions;
pub mod users;
pub mod users_http;
pub mod webhooks;
