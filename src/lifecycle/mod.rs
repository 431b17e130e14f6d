//! What apps read about lifecycle: the ordered event feed, webhooks (endpoints and the
//! delivery worker), and for admins the audit trail.

pub mod delivery;
pub mod feed;
pub mod http;
pub mod webhooks;
