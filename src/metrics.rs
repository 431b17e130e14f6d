//! Prometheus text metrics: request counts and latency histograms by route and status,
//! plus database pool state. Small and dependency-free: a mutex-guarded map is ample for
//! the request rates an identity server sees, and it is taken once per request.

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

#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(String, String, u16), Series>>,
    /// Failed SAML logins by reason (`SsoError::kind`, `Refusal::kind`, …).
    sso_failures: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let slot = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        let mut series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let entry = series
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default();
        entry.count += 1;
        entry.sum_seconds += seconds;
        if let Some(bucket) = entry.buckets.get_mut(slot) {
            *bucket += 1;
        }
    }

    /// Counts one failed SAML login.
    pub fn sso_failure(&self, reason: &'static str) {
        let mut failures = self.sso_failures.lock().unwrap_or_else(|p| p.into_inner());
        *failures.entry(reason).or_default() += 1;
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
}
