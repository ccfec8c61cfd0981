//! HTTP handlers, one module per resource. Handlers parse and authorise; domain code decides.

pub mod access;
pub mod admin;
pub mod admin_catalogue;
pub mod admin_permits;
pub mod applications;
pub mod audit;
pub mod auth;
pub mod catalogue;
pub mod contacts;
pub mod deliveries;
pub mod devices;
pub mod documents;
pub mod extract;
pub mod me;
pub mod middleware;
pub mod notifications;
pub mod oauth;
pub mod ops;
pub mod org;
pub mod pagination;
pub mod password_reset;
pub mod permit_revoke;
pub mod permit_views;
pub mod permits;
pub mod privacy;
pub mod webhooks;

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
        .service(oauth::issue_client_token)
        .service(password_reset::request_password_reset)
        .service(password_reset::reset_password);
    cfg.service(me::get_me)
        .service(me::update_me)
        .service(me::change_password)
        .service(me::list_sessions)
        .service(me::revoke_session)
        .service(contacts::request_contact_change)
        .service(contacts::confirm_contact_change)
        .service(me::add_identity_document)
        .service(me::list_identity_documents)
        .service(privacy::export_my_data)
        .service(privacy::delete_me)
        .service(access::list_my_access_log);
    cfg.service(catalogue::list_organisations)
        .service(catalogue::list_services)
        .service(catalogue::get_service);
    cfg.service(applications::create_application)
        .service(applications::list_my_applications)
        .service(applications::get_application)
        .service(applications::update_application)
        .service(applications::submit_application)
        .service(applications::withdraw_application)
        .service(applications::list_application_events)
        .service(documents::upload_document)
        .service(documents::list_documents)
        .service(documents::download_document);
    cfg.service(org::list_org_applications)
        .service(org::get_org_application)
        .service(org::assign_application)
        .service(org::transition_application)
        .service(org::add_application_note)
        .service(org::download_org_document)
        .service(org::list_org_staff);
    cfg.service(webhooks::create_webhook_endpoint)
        .service(webhooks::list_webhook_endpoints)
        .service(webhooks::delete_webhook_endpoint)
        .service(webhooks::rotate_webhook_secret)
        .service(webhooks::list_webhook_deliveries)
        .service(webhooks::redeliver_webhook);
    // The literal paths first: `trust-list` is not a permit id.
    cfg.service(permits::get_permit_trust_list)
        .service(permits::verify_permit)
        .service(permits::list_my_permits)
        .service(permits::get_permit)
        .service(permits::get_permit_status_list)
        .service(permit_revoke::revoke_permit);
    cfg.service(notifications::list_notifications).service(notifications::mark_notification_read);
    cfg.service(devices::register_device)
        .service(devices::list_my_devices)
        .service(devices::delete_device)
        .service(devices::get_notification_preferences)
        .service(devices::update_notification_preferences);
    cfg.service(admin::create_staff_account)
        .service(admin::create_api_client)
        .service(admin_catalogue::create_organisation)
        .service(admin_catalogue::create_service)
        .service(admin_catalogue::create_service_version)
        .service(admin_catalogue::publish_service_version)
        .service(access::list_audit_events)
        .service(admin::disable_staff_account)
        .service(admin::revoke_api_client)
        .service(admin::rotate_api_client_secret)
        .service(admin_permits::withdraw_permit_key)
        .service(deliveries::list_message_deliveries);
}
