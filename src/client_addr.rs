//! Who is asking: the client address that rate limits count against. The TCP peer by
//! default; `X-Forwarded-For` only when the peer is one of the configured trusted proxies,
//! read from the right (the hop the proxy itself appended) past every trusted hop, so a
//! client can prepend whatever it likes without choosing its own address.
//!
//! IPv6 clients are counted per /64: one host usually holds a whole /64 and can pick any
//! address in it. Pure (no I/O); the middleware in `rate_limit` calls it.

use std::net::IpAddr;

pub use crate::ip_range::IpRange;

/// IPv4-mapped IPv6 (`::ffff:a.b.c.d`, what a dual-stack socket reports) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The client address of a request from `peer` with these `X-Forwarded-For` values
/// (each header line, in order). Without trusted proxies, or from an untrusted peer, the
/// peer itself.
pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpRange]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(canonical(ip)));
    let mut client = canonical(peer);
    if !is_trusted(client) {
        return client;
    }
    // Right to left: each trusted hop vouches for the address on its left. The walk
    // stops at the first untrusted address (the client) or at anything unparsable (then
    // the last trusted hop is the best we know).
    let hops = forwarded_for
        .iter()
        .rev()
        .flat_map(|line| line.rsplit(','))
        .map(str::trim);
    for hop in hops {
        match parse_hop(hop) {
            Some(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    break;
                }
            }
            None => break,
        }
    }
    client
}

/// One `X-Forwarded-For` element: an address, optionally `[v6]:port` or `v4:port`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|s| canonical(s.ip()))
}

/// The rate-limit key of a client address: IPv4 as is, IPv6 by its /64.
pub fn limit_key(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_ranges() {
        let net = IpRange::parse("10.1.0.0/16").unwrap();
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(net.contains(canonical(ip("::ffff:10.1.0.9"))));
        assert!(IpRange::parse("::1").unwrap().contains(ip("::1")));
        assert!(IpRange::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(IpRange::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(IpRange::parse("10.0.0.0/33").is_err());
        assert!(IpRange::parse("proxy.internal").is_err());
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let proxies = [IpRange::parse("10.0.0.0/8").unwrap()];
        // Untrusted peer: its header is ignored.
        assert_eq!(
            client_ip(ip("203.0.113.9"), &["198.51.100.1"], &proxies),
            ip("203.0.113.9")
        );
        // Trusted peer: the rightmost untrusted hop, whatever the client prepended.
        assert_eq!(
            client_ip(
                ip("10.0.0.2"),
                &["1.2.3.4, 198.51.100.7, 10.0.0.5"],
                &proxies
            ),
            ip("198.51.100.7")
        );
        // Several header lines read as one list.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &["1.2.3.4", "198.51.100.7:4711"], &proxies),
            ip("198.51.100.7")
        );
        // Nothing usable: the proxy itself.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &["garbage"], &proxies),
            ip("10.0.0.2")
        );
        assert_eq!(client_ip(ip("10.0.0.2"), &[], &proxies), ip("10.0.0.2"));
        // No trusted proxies configured: always the peer.
        assert_eq!(client_ip(ip("10.0.0.2"), &["1.2.3.4"], &[]), ip("10.0.0.2"));
    }

    #[test]
    fn ipv6_clients_count_per_64() {
        assert_eq!(
            limit_key(ip("2001:db8:1:2:aaaa::1")),
            limit_key(ip("2001:db8:1:2::ffff"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(limit_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
    }
}
