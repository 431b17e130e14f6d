//! Anyone can POST to an ACS URL, so Responses that fail verification must not be able to
//! flood the event log (and the webhooks fed from it). Their `sso.failed` event is
//! recorded at most once per connection and reason per [`WINDOW`] in each process; the
//! next recorded event says how many were left out meanwhile. Every failure is still
//! logged and counted in `/metrics`. Refusals of *verified* logins are not throttled: only
//! the IdP can produce them.
//!
//! The connection id comes from the URL, so anyone can invent them: the windows live in a
//! [`BoundedMap`] of fixed capacity, and each call costs one small set scan however many
//! ids were sprayed. When a set is full, an expired window goes first, then the window
//! with the fewest left-out failures — a connection under a flood keeps its window, so
//! spraying invented ids cannot reopen it (a fresh sprayed entry has left out nothing).

use std::time::{Duration, Instant};

use crate::bounded::BoundedMap;

/// At most one recorded event per connection and reason in this window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Most (connection, reason) windows tracked per process.
pub const CAPACITY: usize = 4096;

#[derive(Debug, Default)]
struct Slot {
    last_recorded: Option<Instant>,
    suppressed: u64,
}

#[derive(Debug)]
pub struct FailureThrottle {
    slots: BoundedMap<Slot>,
}

impl Default for FailureThrottle {
    fn default() -> Self {
        FailureThrottle {
            slots: BoundedMap::new(CAPACITY),
        }
    }
}

impl FailureThrottle {
    /// `Some(n)` when this failure's event should be recorded (`n` events were left out
    /// since the last one), `None` when it is left out.
    pub fn admit(&self, connection_id: &str, reason: &'static str, now: Instant) -> Option<u64> {
        let key = format!("{reason}\u{0}{connection_id}");
        let live = |s: &Slot| {
            s.last_recorded
                .is_some_and(|t| now.saturating_duration_since(t) < WINDOW)
        };
        self.slots.upsert(
            &key,
            Slot::default,
            |s| {
                if live(s) {
                    s.suppressed.saturating_add(1)
                } else {
                    0
                }
            },
            |slot| {
                if live(slot) {
                    slot.suppressed += 1;
                    None
                } else {
                    slot.last_recorded = Some(now);
                    Some(std::mem::take(&mut slot.suppressed))
                }
            },
        )
    }

    /// Windows tracked now (for tests).
    pub fn tracked(&self) -> usize {
        self.slots.len()
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

    #[test]
    fn invented_connection_ids_stay_bounded_and_do_not_reopen_a_flooded_window() {
        let t = FailureThrottle::default();
        let t0 = Instant::now();
        assert_eq!(t.admit("real", "xml", t0), Some(0));
        assert_eq!(t.admit("real", "xml", t0), None);
        for i in 0..100_000 {
            t.admit(&format!("invented-{i}"), "xml", t0);
        }
        assert!(t.tracked() <= CAPACITY, "{}", t.tracked());
        // The flooded connection's window survived the spray: still left out.
        assert_eq!(t.admit("real", "xml", t0 + Duration::from_secs(1)), None);
        assert_eq!(t.admit("real", "xml", t0 + WINDOW), Some(2));
    }
}
