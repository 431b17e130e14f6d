//! The shared application state: database, settings, clock, id source, DNS resolver and
//! metrics. Domain rooms receive it; nothing here depends on actix.

use std::sync::Arc;

use chrono::{DateTime, Timelike, Utc};

use crate::config::Config;
use crate::db::Database;
use crate::dns::TxtResolver;
use crate::metrics::Metrics;

/// Where "now" comes from: logic takes time from here so tests can pin it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    /// Truncated to microseconds: PostgreSQL keeps no more, and both backends must return
    /// the timestamps they were given.
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        now.with_nanosecond(now.nanosecond() / 1000 * 1000)
            .unwrap_or(now)
    }
}

/// Where ids and secrets come from.
pub trait IdSource: Send + Sync {
    /// A new resource id (UUID v7: time-ordered, so indexes stay compact).
    fn id(&self) -> String;
    /// `bytes` of cryptographic randomness, base64url without padding.
    fn secret(&self, bytes: usize) -> String;
}

/// Ids from the system's cryptographic random source.
#[derive(Debug, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn id(&self) -> String {
        uuid::Uuid::now_v7().to_string()
    }

    fn secret(&self, bytes: usize) -> String {
        use base64::Engine;
        let mut buf = vec![0u8; bytes];
        // `uuid`'s v4 source is the OS RNG; openssl's is equally suitable. Failure of the
        // OS RNG is unrecoverable and falls back to OsRng-backed uuids, never to zeros.
        if openssl::rand::rand_bytes(&mut buf).is_err() {
            for chunk in buf.chunks_mut(16) {
                let fill = uuid::Uuid::new_v4().into_bytes();
                chunk.copy_from_slice(&fill[..chunk.len()]);
            }
        }
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
    }
}

/// Everything a request handler or background task needs.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    pub dns: Arc<dyn TxtResolver>,
    pub metrics: Arc<Metrics>,
    /// Keeps unverified ACS posts from flooding the event log (see the module).
    pub sso_failures: Arc<crate::sso::failure_throttle::FailureThrottle>,
    /// The keys that seal and open stored secrets.
    pub secrets: Arc<crate::secrets::SecretKeys>,
    /// The HTTP client for every request to an address an admin or IdP chose.
    pub outbound: crate::outbound::OutboundClient,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
