//! Prometheus metrics at `/metrics`: reviews by endpoint and outcome, their latency, and how
//! often a verdict came from the cache.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReviewLabels {
    /// `validate` or `mutate`.
    pub endpoint: &'static str,
    /// `allowed`, `denied`, `skipped` or `malformed`.
    pub outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LookupLabels {
    pub cached: bool,
}

pub struct Metrics {
    registry: Registry,
    reviews: Family<ReviewLabels, Counter>,
    latency: Histogram,
    lookups: Family<LookupLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("kabuto_admission");
        let reviews = Family::<ReviewLabels, Counter>::default();
        let latency = Histogram::new(exponential_buckets(0.0001, 2.0, 18));
        let lookups = Family::<LookupLabels, Counter>::default();
        registry.register(
            "reviews",
            "AdmissionReviews answered, by endpoint and outcome",
            reviews.clone(),
        );
        registry.register(
            "review_duration_seconds",
            "Time to answer an AdmissionReview",
            latency.clone(),
        );
        registry.register(
            "verdict_lookups",
            "Image verdicts looked up, from the cache or the source",
            lookups.clone(),
        );
        Metrics {
            registry,
            reviews,
            latency,
            lookups,
        }
    }

    pub fn review(&self, endpoint: &'static str, outcome: &'static str, seconds: f64) {
        self.reviews
            .get_or_create(&ReviewLabels { endpoint, outcome })
            .inc();
        self.latency.observe(seconds);
    }

    pub fn verdict_lookup(&self, cached: bool) {
        self.lookups.get_or_create(&LookupLabels { cached }).inc();
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
