//! Anyone can POST to an ACS URL, so Responses that fail verification must not be able to
//! flood the event log (and the webhooks fed from it). Their `sso.failed` event is
//! recorded at most once per connection and reason per [`WINDOW`] in each process; the
//! next recorded event says how many were left out meanwhile. Every failure is still
//! logged and counted in `/metrics`. Refusals of *verified* logins are not throttled: only
//! the IdP can produce them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most one recorded event per connection and reason in this window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Beyond this many tracked (connection, reason) pairs, expired ones are dropped.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Default)]
struct Slot {
    last_recorded: Option<Instant>,
    suppressed: u64,
}

#[derive(Debug, Default)]
pub struct FailureThrottle {
    slots: Mutex<HashMap<(String, &'static str), Slot>>,
}

impl FailureThrottle {
    /// `Some(n)` when this failure's event should be recorded (`n` events were left out
    /// since the last one), `None` when it is left out.
    pub fn admit(&self, connection_id: &str, reason: &'static str, now: Instant) -> Option<u64> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if slots.len() >= MAX_TRACKED {
            slots.retain(|_, s| {
                s.last_recorded
                    .is_some_and(|t| now.duration_since(t) < WINDOW)
            });
        }
        let slot = slots.entry((connection_id.to_owned(), reason)).or_default();
        match slot.last_recorded {
            Some(t) if now.duration_since(t) < WINDOW => {
                slot.suppressed += 1;
                None
            }
            _ => {
                slot.last_recorded = Some(now);
                Some(std::mem::take(&mut slot.suppressed))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_event_per_window_then_the_count_of_the_rest() {
        let t = FailureThrottle::default();
        let t0 = Instant::now();
        assert_eq!(t.admit("c1", "xml", t0), Some(0));
        assert_eq!(t.admit("c1", "xml", t0 + Duration::from_secs(1)), None);
        assert_eq!(t.admit("c1", "xml", t0 + Duration::from_secs(2)), None);
        // Another reason or connection has its own window.
        assert_eq!(t.admit("c1", "replayed", t0), Some(0));
        assert_eq!(t.admit("c2", "xml", t0), Some(0));
        assert_eq!(t.admit("c1", "xml", t0 + WINDOW), Some(2));
    }
}
