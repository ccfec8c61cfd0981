//! HTTP handlers, one module per resource. Handlers parse and authorise; domain code decides.

pub mod admin;
pub mod auth;
pub mod me;
pub mod oauth;
pub mod ops;
pub mod pagination;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every documented operation. The OpenAPI document is generated from exactly this list.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(ops::healthz).service(ops::readyz).service(ops::metrics);
    cfg.service(utoipa_actix_web::scope("/v1").configure(v1));
}

fn v1(cfg: &mut ServiceConfig) {
    cfg.service(auth::register_resident)
        .service(auth::login)
        .service(auth::refresh_token)
        .service(auth::logout)
        .service(auth::get_jwks)
        .service(oauth::issue_client_token);
    cfg.service(me::get_me)
        .service(me::update_me)
        .service(me::change_password)
        .service(me::list_sessions)
        .service(me::revoke_session)
        .service(me::add_identity_document)
        .service(me::list_identity_documents);
    cfg.service(admin::create_staff_account).service(admin::create_api_client);
}
