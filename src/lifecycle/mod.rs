//! What apps read about lifecycle: the ordered event feed (and, for admins, the audit trail).

pub mod feed;
