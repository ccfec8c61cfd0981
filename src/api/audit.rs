//! Which operations are audited, and the middleware that makes sure each of their requests leaves one
//! audit row, allowed or refused. Use cases add the subject (the resident whose data it is) and write
//! the row inside their transaction for changes; this layer writes every row they did not commit.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};

use crate::audit::AuditTrail;
use crate::http::{Operation, RequestId};
use crate::state::AppState;

/// What the trail records for an operation: its action and what its target is.
struct Spec {
    action: &'static str,
    target: Target,
}

enum Target {
    /// The object named by this path parameter, of this type.
    Path(&'static str, &'static str),
    /// The list filters (the query string).
    Query,
    /// Nothing beyond the actor (an organisation-wide listing with no filters).
    None,
}

/// The audit table: every organisation-side, API-client and admin operation, and the resident
/// operations that touch personal data or credentials. Authentication events (logins, refreshes,
/// client tokens) are written by their use cases, which know the account involved.
fn spec(operation_id: &str) -> Option<Spec> {
    use Target::*;
    let (action, target) = match operation_id {
        "listOrgApplications" => ("application.list", Query),
        "getOrgApplication" => ("application.read", Path("application", "application_id")),
        "assignApplication" => ("application.assign", Path("application", "application_id")),
        "transitionApplication" => ("application.transition", Path("application", "application_id")),
        "addApplicationNote" => ("application.note", Path("application", "application_id")),
        "downloadOrgDocument" => ("document.download", Path("document", "document_id")),
        "listOrgStaff" => ("staff.list", None),
        "revokePermit" => ("permit.revoke", Path("permit", "permit_id")),
        // The created endpoint's id is known only inside the use case, which sets it as the target.
        "createWebhookEndpoint" => ("webhook.create", None),
        "listWebhookEndpoints" => ("webhook.list", None),
        "deleteWebhookEndpoint" => ("webhook.delete", Path("webhook_endpoint", "endpoint_id")),
        "rotateWebhookSecret" => ("webhook.rotate_secret", Path("webhook_endpoint", "endpoint_id")),
        "listWebhookDeliveries" => ("webhook.list_deliveries", Path("webhook_endpoint", "endpoint_id")),
        "redeliverWebhook" => ("webhook.redeliver", Path("webhook_endpoint", "endpoint_id")),
        // Creates name what they created once it exists (`AuditTrail::set_target`).
        "createOrganisation" => ("organisation.create", None),
        "createService" => ("service.create", None),
        "createServiceVersion" => ("service.version_create", Path("service", "service_id")),
        "publishServiceVersion" => ("service.version_publish", Path("service", "service_id")),
        "createStaffAccount" => ("staff.create", None),
        "disableStaffAccount" => ("staff.disable", Path("account", "account_id")),
        "createApiClient" => ("api_client.create", None),
        "revokeApiClient" => ("api_client.revoke", Path("api_client", "client_ref")),
        "rotateApiClientSecret" => ("api_client.rotate_secret", Path("api_client", "client_ref")),
        "listAuditEvents" => ("audit.list", Query),
        "withdrawPermitKey" => ("permit_key.withdraw", Path("permit_key", "kid")),
        "listMessageDeliveries" => ("message.list_deliveries", Path("account", "account_id")),
        // A person's own account; the use cases name the account or document they touch.
        "updateMe" => ("account.update", None),
        // Contact changes name the verification they make or confirm; wrong passwords and wrong codes
        // rename the action (`auth.contact_change_password_failed`, `account.contact_verification_failed`).
        "requestContactChange" => ("account.contact_change_request", None),
        "confirmContactChange" => ("account.contact_change_confirm", None),
        "revokeSession" => ("auth.session_revoke", Path("session", "session_id")),
        "addIdentityDocument" => ("identity_document.add", None),
        "exportMyData" => ("account.export", None),
        "deleteMe" => ("account.delete", None),
        // Push devices and where messages go; the use cases name the device and the resident.
        "registerDevice" => ("device.register", None),
        "deleteDevice" => ("device.delete", Path("device", "device_id")),
        "updateNotificationPreferences" => ("account.notification_preferences_update", None),
        _ => return Option::None,
    };
    Some(Spec { action, target })
}

fn target_of(spec: &Spec, op: &Operation, query: &str) -> Option<(String, String)> {
    match spec.target {
        Target::Path(kind, param) => op.param(param).map(|id| (kind.to_owned(), id.to_owned())),
        Target::Query => Some(("query".to_owned(), query.chars().take(500).collect())),
        Target::None => None,
    }
}

/// Opens the trail of an audited request before the handler runs and writes what is left after it.
/// A malformed `X-Audit-Reason` is refused here, before anything else happens.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let op = state.as_ref().and_then(|s| s.routes.operation(req.method().as_str(), req.path()));
    let trail = match (&op, op.as_ref().and_then(|o| spec(&o.id))) {
        (Some(op), Some(spec)) => {
            let reason = match crate::context::decode_reason(req.request()) {
                Ok(r) => r,
                Err(e) => {
                    let res = e.error_response();
                    return Ok(req.into_response(res));
                }
            };
            let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
            let target = target_of(&spec, op, req.query_string());
            Some(AuditTrail::open(spec.action, request_id, reason, target))
        }
        _ => None,
    };
    if let Some(t) = &trail {
        req.extensions_mut().insert(t.clone());
    }
    if let Some(op) = op {
        req.extensions_mut().insert(op);
    }
    let read = req.method() == actix_web::http::Method::GET;
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status().as_u16();
    // A successful read's row commits without waiting for its WAL flush: reads are the bulk of the
    // trail, and a flush per read would bound throughput by the disk. The row is committed before the
    // answer leaves, so a clean shutdown loses none; a crash of PostgreSQL can lose the last fraction
    // of a second of read rows (wal_writer_delay), never a change's or a refusal's.
    let relaxed = read && status < 400;
    if let (Some(trail), Some(state)) = (trail, state)
        && let Some(audit) = trail.pending(status)
        && let Err(e) = state
            .db
            .write(move |conn| {
                if relaxed {
                    crate::db::relax_durability(conn)?;
                }
                Ok(audit.write(conn)?)
            })
            .await
    {
        tracing::error!(error = %e, "could not write the audit row of a request");
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_audited_operation_is_documented() {
        let doc = crate::openapi::document();
        let ids: Vec<String> = doc
            .paths
            .paths
            .values()
            .flat_map(|item| {
                [&item.get, &item.post, &item.put, &item.patch, &item.delete]
                    .into_iter()
                    .filter_map(|o| o.as_ref().and_then(|o| o.operation_id.clone()))
            })
            .collect();
        for id in &ids {
            if let Some(Spec { target: Target::Path(_, param), .. }) = spec(id) {
                let path = doc
                    .paths
                    .paths
                    .iter()
                    .find(|(_, item)| {
                        [&item.get, &item.post, &item.put, &item.patch, &item.delete]
                            .into_iter()
                            .any(|o| o.as_ref().and_then(|o| o.operation_id.as_deref()) == Some(id))
                    })
                    .map(|(p, _)| p.clone())
                    .unwrap_or_default();
                assert!(path.contains(&format!("{{{param}}}")), "{id}: {path} has no {{{param}}}");
            }
        }
        for op in [
            "listOrgApplications",
            "transitionApplication",
            "downloadOrgDocument",
            "listOrgStaff",
            "createWebhookEndpoint",
            "listWebhookEndpoints",
            "deleteWebhookEndpoint",
            "rotateWebhookSecret",
            "listWebhookDeliveries",
            "redeliverWebhook",
        ] {
            assert!(ids.iter().any(|i| i == op) && spec(op).is_some(), "{op}");
        }
        // Every admin operation is audited, refusals included.
        for op in [
            "createOrganisation",
            "createService",
            "createServiceVersion",
            "publishServiceVersion",
            "createStaffAccount",
            "disableStaffAccount",
            "createApiClient",
            "revokeApiClient",
            "rotateApiClientSecret",
            "listAuditEvents",
        ] {
            assert!(ids.iter().any(|i| i == op) && spec(op).is_some(), "{op}");
        }
    }
}
