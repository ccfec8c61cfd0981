//! Request counters and latency histograms by route and status, rendered in Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

type Key = (String, String, u16);

/// In-process metrics; one instance shared by every worker.
#[derive(Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<Key, Series>>,
}

impl Metrics {
    /// Records one finished request. `route` is the matched pattern (never the raw path, so ids do not
    /// explode the number of series).
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        // Any other method is one label, so made-up methods cannot grow the series without bound.
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS" | "CONNECT" | "TRACE" => method,
            _ => "OTHER",
        };
        let Ok(mut map) = self.series.lock() else { return };
        let s = map.entry((method.to_owned(), route.to_owned(), status)).or_default();
        s.count += 1;
        s.sum += seconds;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                s.buckets[i] += 1;
            }
        }
    }

    /// The Prometheus exposition, with the pool gauges appended.
    pub fn render(&self, pool_in_use: u32, pool_idle: u32) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP qat_http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE qat_http_requests_total counter\n");
        let map = match self.series.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        for ((method, route, status), s) in map.iter() {
            let _ = writeln!(
                out,
                "qat_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
                escape(route),
                s.count
            );
        }
        out.push_str("# HELP qat_http_request_duration_seconds HTTP request latency.\n");
        out.push_str("# TYPE qat_http_request_duration_seconds histogram\n");
        for ((method, route, status), s) in map.iter() {
            let labels = format!("method=\"{method}\",route=\"{}\",status=\"{status}\"", escape(route));
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "qat_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ =
                writeln!(out, "qat_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", s.count);
            let _ = writeln!(out, "qat_http_request_duration_seconds_sum{{{labels}}} {}", s.sum);
            let _ = writeln!(out, "qat_http_request_duration_seconds_count{{{labels}}} {}", s.count);
        }
        drop(map);
        out.push_str("# HELP qat_db_pool_connections Database pool connections by state.\n");
        out.push_str("# TYPE qat_db_pool_connections gauge\n");
        let _ = writeln!(out, "qat_db_pool_connections{{state=\"in_use\"}} {pool_in_use}");
        let _ = writeln!(out, "qat_db_pool_connections{{state=\"idle\"}} {pool_idle}");
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_counts_each_request_in_every_bucket_at_or_above_its_latency() {
        let m = Metrics::default();
        m.observe("GET", "/v1/services", 200, 0.003);
        m.observe("GET", "/v1/services", 200, 0.7);
        let text = m.render(1, 3);
        assert!(
            text.contains("qat_http_requests_total{method=\"GET\",route=\"/v1/services\",status=\"200\"} 2")
        );
        assert!(text.contains("le=\"0.0025\"} 0"));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"1\"} 2"));
        assert!(text.contains("qat_db_pool_connections{state=\"idle\"} 3"));
    }
}
