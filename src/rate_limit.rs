//! Rate limits on the anonymous SSO endpoints — ACS, authorize, token (before its key is
//! checked) and SP metadata — per client address and per connection, as token buckets:
//! `*_per_minute` refill, `*_burst` capacity (settings `rate_limit_*`). A request that
//! finds an empty bucket is answered 429 with `Retry-After` (seconds until a token is
//! back) before any handler runs, and counted in `provisiond_rate_limited_total`.
//!
//! What is counted: every request takes a token from its address's bucket and from its
//! connection's; an outcome an attacker cannot produce cheaply gives them back — a
//! *verified* ACS login (a 3xx: to the app with a code, or a policy refusal) and a
//! successful code exchange (2xx, so a valid app key and code). A busy app backend
//! exchanging codes, or a whole office behind one NAT signing in, therefore does not use
//! up its budget; forged posts, guessed keys and expired codes do. Authorize and
//! metadata always count (a started login writes a pending request).
//!
//! The client address is the TCP peer, or the `X-Forwarded-For` client when the peer is a
//! trusted proxy (`crate::client_addr`). The connection key is the ACS/metadata path's
//! connection id, or authorize's `connection`/`organization`/`domain` parameter — both
//! invented by clients at will, so the buckets live in fixed-capacity
//! [`BoundedMap`]s: a full set drops its fullest bucket (a new one would start full, so
//! nothing is lost), and a drained bucket — a client being limited — outlives any number
//! of fresh keys sprayed to push it out.

use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};
use serde_json::json;

use crate::app::AppState;
use crate::bounded::BoundedMap;
use crate::client_addr::{client_ip, limit_key, IpRange};
use crate::config::Config;
use crate::observe::RequestId;
use crate::sso::error_page;

/// Most client addresses tracked (about 50 bytes each).
pub const ADDRESS_CAPACITY: usize = 16_384;
/// Most connection keys tracked.
pub const CONNECTION_CAPACITY: usize = 4_096;

/// One token bucket: `tokens` as of `at`.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A table of token buckets with one rate and burst.
#[derive(Debug)]
pub struct Buckets {
    map: BoundedMap<Bucket>,
    per_sec: f64,
    burst: f64,
}

impl Buckets {
    /// `None` when `per_minute` is 0 (no limit).
    pub fn new(per_minute: u32, burst: u32, capacity: usize) -> Option<Buckets> {
        (per_minute > 0).then(|| Buckets {
            map: BoundedMap::new(capacity),
            per_sec: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
        })
    }

    fn level(&self, b: &Bucket, now: Instant) -> f64 {
        let refill = now.saturating_duration_since(b.at).as_secs_f64() * self.per_sec;
        (b.tokens + refill).min(self.burst)
    }

    /// Takes a token for `key`, or says how long until one is back.
    pub fn take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        self.map.upsert(
            key,
            || Bucket {
                tokens: self.burst,
                at: now,
            },
            // Lowest goes first: the fullest bucket carries no information.
            |b| ((self.burst - self.level(b, now)).max(0.0) * 1000.0) as u64,
            |b| {
                let level = self.level(b, now);
                b.at = now;
                if level >= 1.0 {
                    b.tokens = level - 1.0;
                    Ok(())
                } else {
                    b.tokens = level;
                    Err(Duration::from_secs_f64((1.0 - level) / self.per_sec))
                }
            },
        )
    }

    /// Returns the token a request took (its outcome showed it was legitimate).
    pub fn give_back(&self, key: &str, now: Instant) {
        self.map.update(key, |b| {
            b.tokens = (self.level(b, now) + 1.0).min(self.burst);
            b.at = now;
        });
    }

    /// Buckets held now (for tests).
    pub fn tracked(&self) -> usize {
        self.map.len()
    }
}

/// The process's limits, shared by every worker.
#[derive(Debug)]
pub struct RateLimiter {
    address: Option<Buckets>,
    connection: Option<Buckets>,
    trusted_proxies: Vec<IpRange>,
}

impl RateLimiter {
    pub fn from_config(config: &Config) -> RateLimiter {
        RateLimiter {
            address: Buckets::new(
                config.rate_limit_address_per_minute,
                config.rate_limit_address_burst,
                ADDRESS_CAPACITY,
            ),
            connection: Buckets::new(
                config.rate_limit_connection_per_minute,
                config.rate_limit_connection_burst,
                CONNECTION_CAPACITY,
            ),
            // Validated when the config was loaded; an entry that fails here is skipped.
            trusted_proxies: config
                .trusted_proxies
                .iter()
                .filter_map(|p| IpRange::parse(p).ok())
                .collect(),
        }
    }
}

/// The limited endpoints, by the operation id of the matched route pattern (the table in
/// `http::routes` names their paths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Acs,
    Authorize,
    Token,
    Metadata,
}

impl Endpoint {
    /// The endpoint at a matched route pattern, whatever the request's method (as the
    /// pattern is matched before routing).
    fn of(pattern: &str) -> Option<Endpoint> {
        crate::http::routes::operations_at(pattern).find_map(|op| match op {
            "saml_acs" => Some(Endpoint::Acs),
            "authorize" => Some(Endpoint::Authorize),
            "exchange_code" => Some(Endpoint::Token),
            "get_sp_metadata" => Some(Endpoint::Metadata),
            _ => None,
        })
    }

    /// The metric label.
    fn label(self) -> &'static str {
        match self {
            Endpoint::Acs => "acs",
            Endpoint::Authorize => "authorize",
            Endpoint::Token => "token",
            Endpoint::Metadata => "metadata",
        }
    }

    /// Whether this outcome gives the request's tokens back (see the module).
    fn refunds(self, status: StatusCode) -> bool {
        match self {
            Endpoint::Acs => status.is_redirection(),
            Endpoint::Token => status.is_success(),
            Endpoint::Authorize | Endpoint::Metadata => false,
        }
    }

    /// Browsers get a page, programs JSON.
    fn for_people(self) -> bool {
        matches!(self, Endpoint::Acs | Endpoint::Authorize)
    }

    fn connection_key(self, req: &ServiceRequest) -> Option<String> {
        match self {
            // Decoded, so `%61bc` and `abc` (the same connection to the router) share a
            // bucket.
            Endpoint::Acs | Endpoint::Metadata => req
                .path()
                .rsplit('/')
                .next()
                .map(|id| format!("connection:{}", percent_decode(id))),
            // Lower-cased: slugs and domains name the same target in any case.
            Endpoint::Authorize => url::form_urlencoded::parse(req.query_string().as_bytes())
                .find(|(k, _)| matches!(k.as_ref(), "connection" | "organization" | "domain"))
                .map(|(k, v)| format!("{k}:{}", v.to_lowercase())),
            Endpoint::Token => None,
        }
    }
}

/// `%XX` escapes decoded (invalid ones kept as they are), for keys only.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn address_key(req: &ServiceRequest, trusted: &[IpRange]) -> Option<String> {
    let peer = req.peer_addr()?.ip();
    let forwarded: Vec<&str> = if trusted.is_empty() {
        Vec::new()
    } else {
        req.headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .collect()
    };
    Some(limit_key(client_ip(peer, &forwarded, trusted)))
}

/// The middleware: limits the anonymous SSO endpoints, passes everything else through.
pub async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limiter = req.app_data::<web::Data<RateLimiter>>().cloned();
    let endpoint = req.match_pattern().as_deref().and_then(Endpoint::of);
    let (Some(limiter), Some(endpoint)) = (limiter, endpoint) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let now = Instant::now();
    let address = limiter
        .address
        .as_ref()
        .and_then(|b| Some((b, address_key(&req, &limiter.trusted_proxies)?)));
    let connection = limiter
        .connection
        .as_ref()
        .and_then(|b| Some((b, endpoint.connection_key(&req)?)));
    let mut taken: Vec<(&Buckets, String)> = Vec::with_capacity(2);
    for (scope, entry) in [("address", address), ("connection", connection)] {
        let Some((buckets, key)) = entry else {
            continue;
        };
        if let Err(wait) = buckets.take(&key, now) {
            if let Some(app) = req.app_data::<web::Data<AppState>>() {
                app.metrics.rate_limited(endpoint.label(), scope);
            }
            let response = too_many(&req, endpoint, wait);
            return Ok(req.into_response(response));
        }
        taken.push((buckets, key));
    }
    let res = next.call(req).await?;
    if endpoint.refunds(res.status()) {
        let now = Instant::now();
        for (buckets, key) in &taken {
            buckets.give_back(key, now);
        }
    }
    Ok(res.map_into_boxed_body())
}

/// The 429 answer: a page for browsers, the JSON error shape for programs.
fn too_many(req: &ServiceRequest, endpoint: Endpoint, wait: Duration) -> HttpResponse {
    // Whole seconds, rounded up, at least 1 (RFC 9110 §10.2.3).
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    let mut res = HttpResponse::TooManyRequests();
    res.insert_header((header::RETRY_AFTER, secs.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if endpoint.for_people() {
        let reference = req.extensions().get::<RequestId>().map(|r| r.0.clone());
        res.content_type("text/html; charset=utf-8")
            .body(error_page::html(
                "There were too many sign-in attempts from your network or for your organization just now.",
                &format!("Wait {secs} seconds and try again."),
                reference.as_deref(),
            ))
    } else {
        res.json(json!({
            "error": "rate_limited",
            "message": format!("too many requests; retry after {secs} seconds"),
        }))
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_limited_endpoints_are_found_by_their_route_pattern() {
        for (pattern, endpoint) in [
            ("/sso/saml/acs/{connection}", Endpoint::Acs),
            ("/sso/authorize", Endpoint::Authorize),
            ("/sso/token", Endpoint::Token),
            ("/sso/saml/metadata/{connection}", Endpoint::Metadata),
        ] {
            assert_eq!(Endpoint::of(pattern), Some(endpoint), "{pattern}");
        }
        assert_eq!(Endpoint::of("/admin/v1/organizations"), None);
    }

    #[test]
    fn a_bucket_empties_then_refills_at_its_rate() {
        let b = Buckets::new(60, 3, 64).unwrap(); // one per second
        let t0 = Instant::now();
        for _ in 0..3 {
            b.take("a", t0).unwrap();
        }
        let wait = b.take("a", t0).unwrap_err();
        assert!(
            wait <= Duration::from_secs(1) && wait > Duration::ZERO,
            "{wait:?}"
        );
        // Another key is not affected.
        b.take("b", t0).unwrap();
        // A second later one token is back, not more.
        b.take("a", t0 + Duration::from_secs(1)).unwrap();
        assert!(b.take("a", t0 + Duration::from_secs(1)).is_err());
        // A given-back token can be taken again.
        b.give_back("a", t0 + Duration::from_secs(1));
        b.take("a", t0 + Duration::from_secs(1)).unwrap();
    }

    #[test]
    fn sprayed_keys_stay_bounded_and_do_not_free_a_limited_client() {
        let b = Buckets::new(60, 2, 256).unwrap();
        let t0 = Instant::now();
        b.take("attacker", t0).unwrap();
        b.take("attacker", t0).unwrap();
        assert!(b.take("attacker", t0).is_err());
        for i in 0..50_000 {
            let _ = b.take(&format!("invented-{i}"), t0);
        }
        assert!(b.tracked() <= 256, "{}", b.tracked());
        assert!(
            b.take("attacker", t0).is_err(),
            "the spray evicted the limited bucket"
        );
    }

    #[test]
    fn connection_keys_are_decoded() {
        assert_eq!(percent_decode("%61bc-%2"), "abc-%2");
        assert_eq!(percent_decode("a%zz%"), "a%zz%");
    }

    #[test]
    fn zero_per_minute_means_no_limit() {
        assert!(Buckets::new(0, 10, 16).is_none());
    }
}
