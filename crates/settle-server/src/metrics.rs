//! Prometheus metrics in the text exposition format: requests by route, method and status,
//! their durations as a histogram per route, and the background jobs' runs and failures.
//!
//! A handful of counters under one mutex: a request holds it for a few map updates, far less
//! than the microseconds a request costs anyway.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the duration buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (bound, count) in BUCKETS.iter().zip(self.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }
}

#[derive(Debug, Default)]
struct Counters {
    requests: BTreeMap<(String, String, u16), u64>,
    durations: BTreeMap<String, Histogram>,
    job_runs: BTreeMap<(String, &'static str), u64>,
}

#[derive(Debug, Default)]
pub struct Metrics {
    counters: Mutex<Counters>,
}

/// Escapes a label value as the exposition format asks.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    pub fn record_request(&self, route: &str, method: &str, status: u16, took: Duration) {
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        *counters
            .requests
            .entry((route.to_string(), method.to_string(), status))
            .or_default() += 1;
        counters
            .durations
            .entry(route.to_string())
            .or_default()
            .observe(took.as_secs_f64());
    }

    pub fn record_job(&self, job: &str, succeeded: bool) {
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let outcome = if succeeded { "ok" } else { "failed" };
        *counters
            .job_runs
            .entry((job.to_string(), outcome))
            .or_default() += 1;
    }

    /// The text Prometheus scrapes.
    pub fn render(&self, uptime: Duration) -> String {
        let counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        out.push_str("# HELP settle_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE settle_http_requests_total counter\n");
        for ((route, method, status), count) in &counters.requests {
            let _ = writeln!(
                out,
                "settle_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {count}",
                label(route),
                label(method)
            );
        }
        out.push_str("# HELP settle_http_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE settle_http_request_duration_seconds histogram\n");
        for (route, histogram) in &counters.durations {
            let route = label(route);
            for (bound, count) in BUCKETS.iter().zip(histogram.counts) {
                let _ = writeln!(
                    out,
                    "settle_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "settle_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "settle_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "settle_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                histogram.count
            );
        }
        out.push_str("# HELP settle_job_runs_total Background job rounds, by outcome.\n");
        out.push_str("# TYPE settle_job_runs_total counter\n");
        for ((job, outcome), count) in &counters.job_runs {
            let _ = writeln!(
                out,
                "settle_job_runs_total{{job=\"{}\",outcome=\"{outcome}\"}} {count}",
                label(job)
            );
        }
        out.push_str("# HELP settle_uptime_seconds Seconds since the server started.\n");
        out.push_str("# TYPE settle_uptime_seconds gauge\n");
        let _ = writeln!(out, "settle_uptime_seconds {}", uptime.as_secs());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_counts_add_up() {
        let metrics = Metrics::default();
        metrics.record_request("/api/v1/customers", "GET", 200, Duration::from_millis(3));
        metrics.record_request("/api/v1/customers", "GET", 200, Duration::from_millis(30));
        metrics.record_request("/api/v1/customers", "GET", 404, Duration::from_millis(1));
        metrics.record_job("matching", false);
        let text = metrics.render(Duration::from_secs(5));
        assert!(text.contains(
            "settle_http_requests_total{route=\"/api/v1/customers\",method=\"GET\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.005\"} 2"), "{text}");
        assert!(text.contains("le=\"0.05\"} 3"), "{text}");
        assert!(text.contains("le=\"+Inf\"} 3"), "{text}");
        assert!(text.contains("settle_job_runs_total{job=\"matching\",outcome=\"failed\"} 1"));
        assert!(text.contains("settle_uptime_seconds 5"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
