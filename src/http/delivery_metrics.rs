//! Counters of outgoing messages per channel and outcome, rendered in Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// The channels and outcomes always shown, so dashboards see zeros instead of missing series.
const CHANNELS: [&str; 3] = ["email", "sms", "push"];
/// `sent`: delivered to the provider; `failed`: an attempt failed; `retried`: a failed attempt was
/// scheduled again; `dead`: given up (out of attempts, refused for good, or the token is unregistered).
pub const OUTCOMES: [&str; 4] = ["sent", "failed", "retried", "dead"];

#[derive(Default)]
pub struct DeliveryMetrics {
    counts: Mutex<BTreeMap<(String, &'static str), u64>>,
}

impl DeliveryMetrics {
    pub fn count(&self, channel: &str, outcome: &'static str) {
        let mut map = match self.counts.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        *map.entry((channel.to_owned(), outcome)).or_default() += 1;
    }

    pub fn get(&self, channel: &str, outcome: &'static str) -> u64 {
        let map = match self.counts.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.get(&(channel.to_owned(), outcome)).copied().unwrap_or(0)
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP qat_messages_total Outgoing messages by channel and outcome, on this instance.\n",
        );
        out.push_str("# TYPE qat_messages_total counter\n");
        for channel in CHANNELS {
            for outcome in OUTCOMES {
                let n = self.get(channel, outcome);
                let _ =
                    writeln!(out, "qat_messages_total{{channel=\"{channel}\",outcome=\"{outcome}\"}} {n}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_and_outcome_is_rendered() {
        let m = DeliveryMetrics::default();
        m.count("push", "retried");
        m.count("push", "retried");
        let text = m.render();
        assert!(text.contains("qat_messages_total{channel=\"push\",outcome=\"retried\"} 2"));
        assert!(text.contains("qat_messages_total{channel=\"sms\",outcome=\"dead\"} 0"));
    }
}
