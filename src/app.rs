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

/// Absolute URLs of this server's own endpoints that it hands out (SP metadata and ACS in
/// metadata and AuthnRequests, the SCIM base URL, the simulator's pages). Their paths come
/// from the route table (`http::routes::links`), the one place paths are named; this only
/// joins them to the public URL and fills the one `{…}` parameter.
#[derive(Debug, Clone)]
pub struct Links {
    base: String,
    patterns: LinkPatterns,
}

/// The path patterns [`Links`] is built from, as the route table writes them.
#[derive(Debug, Clone)]
pub struct LinkPatterns {
    pub saml_acs: &'static str,
    pub saml_metadata: &'static str,
    pub token: &'static str,
    pub scim_base: &'static str,
    pub dev_idp_sso: &'static str,
    pub dev_callback: &'static str,
}

impl Links {
    pub fn new(public_url: &str, patterns: LinkPatterns) -> Self {
        Links {
            base: public_url.trim_end_matches('/').to_owned(),
            patterns,
        }
    }

    fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `pattern` with its one `{…}` parameter replaced by `value`.
    fn filled(&self, pattern: &str, value: &str) -> String {
        match (pattern.find('{'), pattern.find('}')) {
            (Some(open), Some(close)) if open < close => self.absolute(&format!(
                "{}{value}{}",
                &pattern[..open],
                &pattern[close + 1..]
            )),
            _ => self.absolute(pattern),
        }
    }

    /// The ACS of one SAML connection.
    pub fn saml_acs(&self, connection_id: &str) -> String {
        self.filled(self.patterns.saml_acs, connection_id)
    }

    /// What every ACS URL of this server starts with (up to the connection id).
    pub fn saml_acs_prefix(&self) -> String {
        let p = self.patterns.saml_acs;
        self.absolute(&p[..p.find('{').unwrap_or(p.len())])
    }

    /// The SP metadata of one SAML connection (also its SP entity ID).
    pub fn saml_metadata(&self, connection_id: &str) -> String {
        self.filled(self.patterns.saml_metadata, connection_id)
    }

    /// The code exchange an app's backend calls.
    pub fn token(&self) -> String {
        self.absolute(self.patterns.token)
    }

    /// The SCIM 2.0 base URL (`meta.location`, `Location`, a directory's `base_url`).
    pub fn scim_base(&self) -> String {
        self.absolute(self.patterns.scim_base)
    }

    /// The development IdP simulator's SSO URL.
    pub fn dev_idp_sso(&self) -> String {
        self.absolute(self.patterns.dev_idp_sso)
    }

    /// The simulator's demo callback page.
    pub fn dev_callback(&self) -> String {
        self.absolute(self.patterns.dev_callback)
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
    /// This server's own URLs, from the route table.
    pub links: Arc<Links>,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
