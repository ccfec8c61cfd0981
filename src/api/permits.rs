//! Permits over HTTP: residents' own permits, and the public operations every checkpoint and partner
//! uses (online verification, the trust list, the status lists). Rules live in `app::permits`.

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::pagination::{Page, PageParams, page, time_key};
use crate::api::permit_views::{PermitJwks, PermitView, TrustListView, VerifyPermit, VerifyResult};
use crate::app::caller::Resident;
use crate::app::permits;
use crate::error::{ApiResult, Problem};
use crate::http::json::Json;
use crate::state::AppState;

/// List the caller's permits
///
/// Newest first, each with its current credential (the QR payload).
#[utoipa::path(
    tag = "permits",
    operation_id = "listMyPermits",
    security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, description = "A page of permits.", body = Page<PermitView>))
)]
#[get("/permits")]
pub async fn list_my_permits(
    caller: Resident,
    state: web::Data<AppState>,
    q: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let (limit, after) = (q.limit()?, q.time_cursor()?);
    let rows = permits::list_mine(&state.db, caller, after, limit + 1).await?;
    let body =
        page(rows, limit, |(p, _)| (time_key(p.created_at), p.id.clone()), |r| PermitView::new(r, false));
    Ok(HttpResponse::Ok().json(body))
}

/// Get one of the caller's permits
///
/// With the QR payload and the QR code as SVG for printing.
#[utoipa::path(
    tag = "permits",
    operation_id = "getPermit",
    security(("bearer" = [])),
    params(("permit_id" = String, Path, description = "Permit id")),
    responses(
        (status = 200, description = "The permit.", body = PermitView),
        (status = 404, description = "No such permit of the caller.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/permits/{permit_id}")]
pub async fn get_permit(
    caller: Resident,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let row = permits::get_mine(&state.db, caller, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(PermitView::new(row, true)))
}

/// Verify a scanned permit online
///
/// Outside `/permits/` so that no permit id can ever be mistaken for it. The same checks a checkpoint makes offline (shape, algorithm, key, signature, the key's signing window, validity with five minutes of clock tolerance), against the current keys and the current revocation status. Always 200 with a `result`; the payload is never logged.
#[utoipa::path(
    tag = "permits",
    operation_id = "verifyPermit",
    request_body = VerifyPermit,
    responses(
        (status = 200, description = "The verdict, with the claims once the signature verified.", body = VerifyResult),
        (status = 422, description = "No `qr` in the body.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/permit-verifications")]
pub async fn verify_permit(state: web::Data<AppState>, body: Json<VerifyPermit>) -> ApiResult<HttpResponse> {
    let checked = permits::verify(&state.db, state.permit_keys.clone(), body.0.qr).await?;
    Ok(HttpResponse::Ok().json(VerifyResult::from(checked)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrustListQuery {
    /// `jwks` for the keys as a JSON Web Key Set; omitted, the signed trust list.
    pub format: Option<String>,
}

/// Get the permit trust list
///
/// The keys that sign permits, each with its signing window, signed by the root key and valid until `expires_at`. `?format=jwks` gives the same keys as a JWKS. Public and cacheable.
#[utoipa::path(
    tag = "permits",
    operation_id = "getPermitTrustList",
    params(TrustListQuery),
    responses(
        (status = 200, description = "The trust list (or, with `format=jwks`, a `PermitJwks`).", body = TrustListView,
            headers(("Cache-Control" = String, description = "How long it may be kept"))),
        (status = 422, description = "Unknown format.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/permits/trust-list")]
pub async fn get_permit_trust_list(
    state: web::Data<AppState>,
    q: web::Query<TrustListQuery>,
) -> ApiResult<HttpResponse> {
    let jwks = match q.format.as_deref() {
        None | Some("cose") => false,
        Some("jwks") => true,
        Some(_) => {
            return Err(crate::error::ApiError::field(
                "format",
                "invalid_option",
                "format must be cose or jwks",
            ));
        }
    };
    let list = permits::trust_list(&state.db, state.permit_keys.clone()).await?;
    let mut res = HttpResponse::Ok();
    res.insert_header(("Cache-Control", "public, max-age=3600"));
    Ok(if jwks { res.json(PermitJwks::from(&list)) } else { res.json(TrustListView::from(&list)) })
}

/// Get a permit status list
///
/// A Token Status List (one bit per permit, zlib-compressed) in a CWT signed by a permit signing key, built from the current revocations. Verifiers keep it for its `ttl`, as `Cache-Control` says.
#[utoipa::path(
    tag = "permits",
    operation_id = "getPermitStatusList",
    params(("list_id" = String, Path, description = "Status list number, the last segment of a permit's status URI")),
    responses(
        (status = 200, description = "The signed status list.", content((Vec<u8> = "application/statuslist+cwt")),
            headers(("Cache-Control" = String, description = "public, max-age of the list's ttl"))),
        (status = 404, description = "No such status list.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/sl/{list_id}")]
pub async fn get_permit_status_list(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    // Lists are numbered, but only numbers this server gave out name one; anything else is not found.
    let list = path.parse::<i32>().map_err(|_| crate::error::ApiError::not_found())?;
    let (token, signed) = permits::status_list(&state.db, state.permit_keys.clone(), list).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", format!("public, max-age={}", token.ttl)))
        .content_type(crate::domain::permit::status_list::TYP)
        .body(signed))
}
