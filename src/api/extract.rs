//! Extractors that run before any body is read: the typed caller (401, then 403), `If-Match`, the
//! request's audit trail and its idempotent-create record. Handlers list the caller first, so the
//! status precedence of the contract (401, 403, then everything else) holds by construction.

use std::future::{Ready, ready};

use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};

use crate::app::caller::{Admin, Caller, OrgReader, OrgWriter, Person, Resident, Supervisor, WebhookClient};
use crate::app::precondition::IfMatch;
use crate::audit::AuditTrail;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The verified caller of this request, authenticated once and kept in the request's extensions.
/// (The rate limiter may have authenticated it already.)
fn principal(req: &HttpRequest) -> ApiResult<Principal> {
    let known = req.extensions().get::<Principal>().cloned();
    let p = match known {
        Some(p) => p,
        None => {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal("application state missing"))?;
            let p = crate::auth::principal::authenticate(req, &state.tokens, &state.revocations)?;
            req.extensions_mut().insert(p.clone());
            p
        }
    };
    if let Some(trail) = req.extensions().get::<AuditTrail>() {
        trail.set_actor(&p);
    }
    Ok(p)
}

fn caller<T: Caller>(req: &HttpRequest) -> ApiResult<T> {
    T::from_principal(&principal(req)?)
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Ready<ApiResult<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(principal(req))
    }
}

macro_rules! caller_extractors {
    ($($t:ty),*) => {$(
        impl FromRequest for $t {
            type Error = ApiError;
            type Future = Ready<ApiResult<Self>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                ready(caller::<$t>(req))
            }
        }
    )*};
}

caller_extractors!(Resident, Person, Admin, Supervisor, OrgReader, OrgWriter, WebhookClient);

/// The request's `If-Match` precondition.
pub fn if_match(req: &HttpRequest) -> IfMatch {
    IfMatch::parse(req.headers().get_all(header::IF_MATCH).filter_map(|v| v.to_str().ok()))
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<ApiResult<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(if_match(req)))
    }
}

impl FromRequest for AuditTrail {
    type Error = ApiError;
    type Future = Ready<ApiResult<Self>>;

    /// The trail the audit middleware opened; an operation missing from the audit table is a bug that
    /// tests catch, not something to answer quietly.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<AuditTrail>()
                .cloned()
                .ok_or_else(|| ApiError::internal("operation is not in the audit table")),
        )
    }
}

impl FromRequest for crate::idempotency::Create {
    type Error = ApiError;
    type Future = Ready<ApiResult<Self>>;

    /// Listed after the caller and the JSON body. The key is looked up when the create runs, once the
    /// body has been read and parsed (extractors are polled together, so it may not be yet here).
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(crate::idempotency::Create::of_json_request(req.clone())))
    }
}
