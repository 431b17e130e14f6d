//! Outbound HTTP that cannot be aimed inward (design invariant 11): webhooks today, and
//! IdP metadata by URL, OIDC discovery and JWKS as they come.
//!
//! An admin (or a compromised admin key) chooses the URL, so it may name anything:
//! `http://169.254.169.254/…`, `http://localhost:5432`, a name that resolves to
//! `10.0.0.7`, or one whose DNS answer changes between a check and the connection. So:
//! - names are resolved here and every address is checked against [`is_refused`]; the
//!   HTTP client connects only to the addresses that passed (it is given this resolver,
//!   so there is no second lookup a rebinding name could answer differently);
//! - IP-literal hosts, which the client never resolves, are checked before sending;
//! - no proxy from the environment (a proxy would resolve the name itself), no redirects
//!   (a public receiver could redirect inward), a total time limit and a bounded body;
//! - failures are reported as a short code ([`OutboundError::code`]), never the URL or
//!   the lower layers' message, which can carry the URL, its credentials, or what an
//!   internal host answered.
//!
//! `outbound_allowed_cidrs` opens named ranges for on-premises receivers (and the test
//! suite's receivers on 127.0.0.1). Cloud metadata addresses stay refused whatever it says.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

pub use crate::ip_range::IpRange;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Cloud metadata services: refused even inside an allowed range, since reaching one
/// hands out the host's cloud credentials.
const METADATA: &[IpRange] = &[
    IpRange::v4(169, 254, 169, 254, 32), // AWS, GCP, Azure, OpenStack, ...
    IpRange::v4(169, 254, 170, 2, 32),   // AWS ECS task metadata
    IpRange::v4(100, 100, 100, 200, 32), // Alibaba Cloud
    IpRange::v4(168, 63, 129, 16, 32),   // Azure WireServer
    IpRange::v6([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254], 128), // AWS IMDS over IPv6
];

/// Everything that is not a public unicast address (IANA special-purpose registries).
const INTERNAL: &[IpRange] = &[
    IpRange::v4(0, 0, 0, 0, 8),       // "this network", unspecified
    IpRange::v4(10, 0, 0, 0, 8),      // RFC 1918
    IpRange::v4(100, 64, 0, 0, 10),   // CGNAT, RFC 6598
    IpRange::v4(127, 0, 0, 0, 8),     // loopback
    IpRange::v4(169, 254, 0, 0, 16),  // link-local
    IpRange::v4(172, 16, 0, 0, 12),   // RFC 1918
    IpRange::v4(192, 0, 0, 0, 24),    // IETF protocol assignments
    IpRange::v4(192, 0, 2, 0, 24),    // TEST-NET-1
    IpRange::v4(192, 88, 99, 0, 24),  // 6to4 relay anycast
    IpRange::v4(192, 168, 0, 0, 16),  // RFC 1918
    IpRange::v4(198, 18, 0, 0, 15),   // benchmarking
    IpRange::v4(198, 51, 100, 0, 24), // TEST-NET-2
    IpRange::v4(203, 0, 113, 0, 24),  // TEST-NET-3
    IpRange::v4(224, 0, 0, 0, 4),     // multicast
    IpRange::v4(240, 0, 0, 0, 4),     // reserved, broadcast
    IpRange::v6([0; 8], 96),          // unspecified, loopback, IPv4-compatible
    IpRange::v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48), // local-use NAT64
    IpRange::v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64), // discard
    IpRange::v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32), // Teredo
    IpRange::v6([0x2001, 2, 0, 0, 0, 0, 0, 0], 48), // benchmarking
    IpRange::v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation
    IpRange::v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), // documentation (RFC 9637)
    IpRange::v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7), // unique local (ULA)
    IpRange::v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10), // link-local
    IpRange::v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10), // site-local (deprecated)
    IpRange::v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8), // multicast
];

/// The IPv4 address an IPv6 address stands for, if it embeds one: IPv4-mapped
/// (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) and 6to4 (`2002:aabb:ccdd::`). Checking
/// the embedded address keeps `::ffff:127.0.0.1` from passing as "not loopback".
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let bits = u128::from(ip);
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return Some(Ipv4Addr::from((bits & 0xffff_ffff) as u32));
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32));
    }
    None
}

/// Which outbound destinations are allowed.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    allowed: Vec<IpRange>,
}

impl OutboundPolicy {
    /// Public addresses, plus `allowed` ranges (from `outbound_allowed_cidrs`).
    pub fn new(allowed: &[String]) -> Result<OutboundPolicy, String> {
        Ok(OutboundPolicy {
            allowed: allowed
                .iter()
                .map(|c| IpRange::parse(c))
                .collect::<Result<_, _>>()?,
        })
    }

    /// True when a connection to `ip` must not be made.
    pub fn is_refused(&self, ip: IpAddr) -> bool {
        let ips: Vec<IpAddr> = match ip {
            IpAddr::V4(_) => vec![ip],
            IpAddr::V6(v6) => std::iter::once(ip)
                .chain(embedded_v4(v6).map(IpAddr::V4))
                .collect(),
        };
        // A metadata address is refused in any form, allowed range or not.
        if ips
            .iter()
            .any(|ip| METADATA.iter().any(|r| r.contains(*ip)))
        {
            return true;
        }
        // The address that is reached: the embedded IPv4 one for mapped forms.
        let effective = *ips.last().unwrap_or(&ip);
        if self.allowed.iter().any(|r| r.contains(effective)) {
            return false;
        }
        ips.iter()
            .any(|ip| INTERNAL.iter().any(|r| r.contains(*ip)))
    }
}

/// Why an outbound request did not produce a response. [`OutboundError::code`] is what
/// may be stored or shown; the variants carry nothing from the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("the URL is not an absolute http(s) URL with a host")]
    InvalidUrl,
    #[error(
        "the destination address is not allowed (private, loopback, link-local, metadata, ...)"
    )]
    BlockedAddress,
    #[error("the host name did not resolve")]
    ResolveFailed,
    #[error("the connection failed")]
    ConnectFailed,
    #[error("the request timed out")]
    Timeout,
    #[error("the response body is larger than allowed")]
    ResponseTooLarge,
    #[error("the receiver answered HTTP {0}")]
    HttpStatus(u16),
    #[error("the request failed")]
    RequestFailed,
}

impl OutboundError {
    /// The stable short code for logs, delivery records and API answers.
    pub fn code(&self) -> &'static str {
        match self {
            OutboundError::InvalidUrl => "invalid_url",
            OutboundError::BlockedAddress => "blocked_address",
            OutboundError::ResolveFailed => "resolve_failed",
            OutboundError::ConnectFailed => "connect_failed",
            OutboundError::Timeout => "timeout",
            OutboundError::ResponseTooLarge => "response_too_large",
            OutboundError::HttpStatus(_) => "http_status",
            OutboundError::RequestFailed => "request_failed",
        }
    }
}

/// The error our resolver hands the HTTP client, found again in its error chain.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct ResolverRefusal(OutboundError);

/// Resolves with the system resolver (so `/etc/hosts` names like `localhost` count),
/// then keeps only allowed addresses.
struct CheckedResolver {
    policy: Arc<OutboundPolicy>,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| ResolverRefusal(OutboundError::ResolveFailed))?
                .collect();
            if found.is_empty() {
                return Err(ResolverRefusal(OutboundError::ResolveFailed).into());
            }
            // All or nothing: a name that answers with one public and one internal
            // address is refused, not narrowed to the public one (it is not a receiver
            // anyone should configure, and rebinding tricks mix answers).
            if found.iter().any(|a| policy.is_refused(a.ip())) {
                return Err(ResolverRefusal(OutboundError::BlockedAddress).into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// A response, its body read up to the limit.
#[derive(Debug)]
pub struct OutboundResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The one HTTP client for requests to addresses an admin or IdP chose.
#[derive(Clone)]
pub struct OutboundClient {
    client: reqwest::Client,
    policy: Arc<OutboundPolicy>,
    max_response_bytes: usize,
}

impl std::fmt::Debug for OutboundClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundClient")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl OutboundClient {
    /// A client with `policy`, each request bounded by `timeout` in total (connect,
    /// send, read) and `max_response_bytes` of body.
    pub fn new(
        policy: OutboundPolicy,
        timeout: Duration,
        max_response_bytes: usize,
    ) -> Result<OutboundClient, String> {
        let policy = Arc::new(policy);
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .dns_resolver(Arc::new(CheckedResolver {
                policy: policy.clone(),
            }))
            .user_agent(concat!("provisiond/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(OutboundClient {
            client,
            policy,
            max_response_bytes,
        })
    }

    /// Checks a URL without sending anything: its form, and its host when that is an IP
    /// literal (names are checked when resolved, at every request).
    pub fn check_url(&self, url: &str) -> Result<url::Url, OutboundError> {
        let parsed = url::Url::parse(url).map_err(|_| OutboundError::InvalidUrl)?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(OutboundError::InvalidUrl);
        }
        let literal = match parsed.host() {
            None => return Err(OutboundError::InvalidUrl),
            Some(url::Host::Domain(_)) => None,
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        };
        if literal.is_some_and(|ip| self.policy.is_refused(ip)) {
            return Err(OutboundError::BlockedAddress);
        }
        Ok(parsed)
    }

    /// Sends a POST with `headers` and `body` and returns the status; the response body
    /// is not read (a notification's answer carries nothing we use). Any HTTP status is
    /// returned; callers decide what counts as success.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<u16, OutboundError> {
        let url = self.check_url(url)?;
        let mut request = self.client.post(url).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.map_err(classify)?;
        Ok(response.status().as_u16())
    }

    /// Sends a GET (for documents such as metadata or a JWKS).
    pub async fn get(&self, url: &str) -> Result<OutboundResponse, OutboundError> {
        let url = self.check_url(url)?;
        self.finish(self.client.get(url)).await
    }

    async fn finish(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<OutboundResponse, OutboundError> {
        let mut response = request.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        if response
            .content_length()
            .is_some_and(|n| n > self.max_response_bytes as u64)
        {
            return Err(OutboundError::ResponseTooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > self.max_response_bytes {
                return Err(OutboundError::ResponseTooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(OutboundResponse { status, body })
    }
}

/// Maps a client error to its code, finding our resolver's verdict in the error chain.
fn classify(e: reqwest::Error) -> OutboundError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = source {
        if let Some(ResolverRefusal(code)) = err.downcast_ref::<ResolverRefusal>() {
            return *code;
        }
        source = err.source();
    }
    if e.is_timeout() {
        OutboundError::Timeout
    } else if e.is_connect() {
        OutboundError::ConnectFailed
    } else {
        OutboundError::RequestFailed
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn refused(policy: &OutboundPolicy, ip: &str) -> bool {
        policy.is_refused(ip.parse().unwrap())
    }

    #[test]
    fn internal_and_special_addresses_are_refused() {
        let p = OutboundPolicy::default();
        for ip in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.0.1",
            "100.64.0.1",
            "100.100.100.200",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "168.63.129.16",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd00:ec2::254",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
        ] {
            assert!(refused(&p, ip), "{ip} must be refused");
        }
        for ip in [
            "93.184.215.14",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!refused(&p, ip), "{ip} is public");
        }
    }

    #[test]
    fn allowed_ranges_open_internal_addresses_but_never_metadata() {
        let p = OutboundPolicy::new(&[
            "127.0.0.0/8".into(),
            "10.20.0.0/16".into(),
            "169.254.0.0/16".into(),
            "fd00::/8".into(),
        ])
        .unwrap();
        assert!(!refused(&p, "127.0.0.1"));
        assert!(!refused(&p, "::ffff:127.0.0.1"));
        assert!(!refused(&p, "10.20.3.4"));
        assert!(refused(&p, "10.21.0.1"));
        assert!(refused(&p, "::1"), "only the named ranges");
        assert!(refused(&p, "169.254.169.254"));
        assert!(refused(&p, "::ffff:169.254.169.254"));
        assert!(refused(&p, "fd00:ec2::254"));
        assert!(!refused(&p, "169.254.1.1"));
    }

    #[test]
    fn ranges_parse_and_reject_nonsense() {
        assert!(IpRange::parse("10.0.0.0/8").is_ok());
        assert!(IpRange::parse("::1").is_ok());
        assert!(IpRange::parse("10.0.0.0/33").is_err());
        assert!(IpRange::parse("example.com/8").is_err());
        let r = IpRange::parse("0.0.0.0/0").unwrap();
        assert!(r.contains("1.2.3.4".parse().unwrap()));
        assert!(!r.contains("::1".parse().unwrap()));
    }

    #[test]
    fn literal_hosts_are_checked_before_sending() {
        let client =
            OutboundClient::new(OutboundPolicy::default(), Duration::from_secs(1), 1024).unwrap();
        assert_eq!(
            client
                .check_url("http://169.254.169.254/latest")
                .unwrap_err(),
            OutboundError::BlockedAddress
        );
        assert_eq!(
            client
                .check_url("http://[::ffff:7f00:1]:8080/")
                .unwrap_err(),
            OutboundError::BlockedAddress
        );
        assert_eq!(
            client.check_url("ftp://example.com/").unwrap_err(),
            OutboundError::InvalidUrl
        );
        assert!(client.check_url("https://example.com/hook").is_ok());
    }
}
