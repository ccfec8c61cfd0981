//! What every handler can reach: configuration, database, tokens, hashing, metrics and the route table.

use crate::auth::passwords::Hasher;
use crate::auth::tokens::{Revocations, TokenService};
use crate::config::Config;
use crate::db::Db;
use crate::http::RouteTable;
use crate::http::metrics::Metrics;

/// Shared by every worker through `web::Data`.
pub struct AppState {
    pub config: Config,
    pub db: Db,
    pub tokens: TokenService,
    /// Seal and open webhook secrets and stored replies.
    pub data_keys: std::sync::Arc<crate::sealing::DataKeys>,
    pub revocations: Revocations,
    pub hasher: Hasher,
    pub metrics: Metrics,
    /// Request budgets per caller on this instance.
    pub rate_limiter: crate::http::rate_limit::RateLimiter,
    pub routes: RouteTable,
    /// Idempotency keys being processed on this instance right now.
    pub in_flight: std::sync::Mutex<std::collections::HashSet<String>>,
    /// The keys that sign permits, status lists and the trust list.
    pub permit_keys: std::sync::Arc<crate::auth::permit_keys::PermitKeys>,
    /// Outgoing messages per channel and outcome, for `/metrics`.
    pub deliveries: crate::http::delivery_metrics::DeliveryMetrics,
    /// The OpenAPI document, serialised once at start.
    pub openapi_json: String,
}
