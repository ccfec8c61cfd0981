//! HTTP handlers, one module per resource. Handlers parse and authorise; domain code decides.

pub mod ops;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every documented operation. The OpenAPI document is generated from exactly this list.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(ops::healthz).service(ops::readyz).service(ops::metrics);
    cfg.service(utoipa_actix_web::scope("/v1").configure(v1));
}

fn v1(_cfg: &mut ServiceConfig) {}
