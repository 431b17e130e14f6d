//! Prometheus text metrics: request counts and latency histograms by route and status,
//! plus database pool state. Small and dependency-free: a mutex-guarded map is ample for
//! the request rates an identity server sees, and it is taken once per request.
//!
//! Every label value comes from a closed set, so no client can create series (design
//! invariant 10): the route is the matched route *pattern* (`unmatched` for anything
//! else), the method is one of [`METHODS`] or `other`, the status is the code the server
//! itself chose. `/metrics` is public, so SSO failure reasons are the coarse public ones
//! ([`crate::sso::error_page::public_reason`]): which step of verification or decryption
//! failed stays in the log and the `sso.failed` event.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use crate::db::PoolState;

/// Latency bucket upper bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Default)]
struct Series {
    count: u64,
    sum_seconds: f64,
    /// Non-cumulative counts per bucket; the last slot is +Inf.
    buckets: [u64; BUCKETS.len() + 1],
}

/// The methods that get their own label (RFC 9110 §9 and RFC 5789); any other is `other`.
pub const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// The label for a request method: itself when standard, else `other`.
pub fn method_label(method: &str) -> &'static str {
    METHODS
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or("other")
}

/// The route label of a request that matched no route.
pub const UNMATCHED: &str = "unmatched";

#[derive(Debug, Default)]
pub struct Metrics {
    /// Keyed by (method label, route pattern, status): all closed sets.
    series: Mutex<BTreeMap<(&'static str, String, u16), Series>>,
    /// Failed SAML logins by public reason.
    sso_failures: Mutex<BTreeMap<&'static str, u64>>,
    /// Requests answered 429, by endpoint and limit scope (see `crate::rate_limit`).
    rate_limited: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
}

impl Metrics {
    /// Counts one request. `method` is a [`method_label`], `route` a matched route
    /// pattern or [`UNMATCHED`] — never the raw path.
    pub fn observe(&self, method: &'static str, route: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let slot = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        let mut series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let entry = series
            .entry((method, route.to_owned(), status))
            .or_default();
        entry.count += 1;
        entry.sum_seconds += seconds;
        if let Some(bucket) = entry.buckets.get_mut(slot) {
            *bucket += 1;
        }
    }

    /// Counts one failed SAML login under its public reason (the precise `reason` is
    /// folded: `/metrics` is public).
    pub fn sso_failure(&self, reason: &str) {
        let label = crate::sso::error_page::public_reason(reason);
        let mut failures = self.sso_failures.lock().unwrap_or_else(|p| p.into_inner());
        *failures.entry(label).or_default() += 1;
    }

    /// Counts one request refused with 429 by the `scope` limit (`address` or
    /// `connection`) of `endpoint` (`acs`, `authorize`, `token`, `metadata`).
    pub fn rate_limited(&self, endpoint: &'static str, scope: &'static str) {
        let mut limited = self.rate_limited.lock().unwrap_or_else(|p| p.into_inner());
        *limited.entry((endpoint, scope)).or_default() += 1;
    }

    /// Renders the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self, pool: PoolState, backend: &str) -> String {
        let mut out = String::new();
        let series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        out.push_str("# HELP provisiond_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE provisiond_http_requests_total counter\n");
        for ((method, route, status), s) in series.iter() {
            let _ = writeln!(
                out,
                "provisiond_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
                escape(route),
                s.count
            );
        }
        out.push_str("# HELP provisiond_http_request_duration_seconds HTTP request latency.\n");
        out.push_str("# TYPE provisiond_http_request_duration_seconds histogram\n");
        for ((method, route, status), s) in series.iter() {
            let labels = format!(
                "method=\"{method}\",route=\"{}\",status=\"{status}\"",
                escape(route)
            );
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(s.buckets.iter()) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "provisiond_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "provisiond_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "provisiond_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum_seconds
            );
            let _ = writeln!(
                out,
                "provisiond_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        out.push_str("# HELP provisiond_sso_failures_total Failed SAML logins by reason.\n");
        out.push_str("# TYPE provisiond_sso_failures_total counter\n");
        let failures = self.sso_failures.lock().unwrap_or_else(|p| p.into_inner());
        for (reason, n) in failures.iter() {
            let _ = writeln!(
                out,
                "provisiond_sso_failures_total{{reason=\"{reason}\"}} {n}"
            );
        }
        drop(failures);
        out.push_str(
            "# HELP provisiond_rate_limited_total Requests refused with 429 by endpoint and limit.\n",
        );
        out.push_str("# TYPE provisiond_rate_limited_total counter\n");
        let limited = self.rate_limited.lock().unwrap_or_else(|p| p.into_inner());
        for ((endpoint, scope), n) in limited.iter() {
            let _ = writeln!(
                out,
                "provisiond_rate_limited_total{{endpoint=\"{endpoint}\",scope=\"{scope}\"}} {n}"
            );
        }
        let _ = write!(
            out,
            "# HELP provisiond_db_pool_connections Open database connections.\n\
             # TYPE provisiond_db_pool_connections gauge\n\
             provisiond_db_pool_connections{{backend=\"{backend}\"}} {}\n\
             # HELP provisiond_db_pool_idle_connections Idle database connections.\n\
             # TYPE provisiond_db_pool_idle_connections gauge\n\
             provisiond_db_pool_idle_connections{{backend=\"{backend}\"}} {}\n\
             # HELP provisiond_db_pool_max_connections Pool size limit.\n\
             # TYPE provisiond_db_pool_max_connections gauge\n\
             provisiond_db_pool_max_connections{{backend=\"{backend}\"}} {}\n",
            pool.connections, pool.idle, pool.max_size
        );
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
#[expect(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_counts_match() {
        let m = Metrics::default();
        m.observe("GET", "/healthz", 200, Duration::from_millis(2));
        m.observe("GET", "/healthz", 200, Duration::from_millis(200));
        let text = m.render(
            PoolState {
                connections: 1,
                idle: 1,
                max_size: 4,
            },
            "sqlite",
        );
        assert!(text.contains(
            "provisiond_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.0025\"} 1"));
        assert!(text.contains("le=\"0.25\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 2"));
        assert!(text.contains("provisiond_db_pool_max_connections{backend=\"sqlite\"} 4"));
    }

    #[test]
    fn methods_outside_the_standard_list_share_one_label() {
        assert_eq!(method_label("PATCH"), "PATCH");
        assert_eq!(method_label("JUNK"), "other");
        assert_eq!(method_label("get"), "other");
        let m = Metrics::default();
        for i in 0..100 {
            m.observe(
                method_label(&format!("X{i}")),
                UNMATCHED,
                404,
                Duration::ZERO,
            );
        }
        assert_eq!(m.series.lock().unwrap().len(), 1);
    }

    #[test]
    fn sso_failures_are_counted_under_their_public_reason() {
        let m = Metrics::default();
        m.sso_failure("response_signature");
        m.sso_failure("decrypt");
        m.sso_failure("replayed");
        let text = m.render(
            PoolState {
                connections: 0,
                idle: 0,
                max_size: 1,
            },
            "sqlite",
        );
        assert!(text.contains("provisiond_sso_failures_total{reason=\"unverified_response\"} 2"));
        assert!(text.contains("provisiond_sso_failures_total{reason=\"replayed\"} 1"));
        assert!(
            !text.contains("decrypt") && !text.contains("response_signature"),
            "{text}"
        );
    }
}
