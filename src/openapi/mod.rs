//! The OpenAPI 3.1 document, generated from the handlers and committed as `openapi/openapi.json`.

use actix_web::App;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Response, ResponseBuilder, content::ContentBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::Problem;

mod bounds;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Qin Ao Tong API",
        version = "1.0.0",
        description = "Links Macao residents with the government departments and businesses of Hengqin \
            for immigration, residence and travel requests. Errors are RFC 9457 problem documents with a \
            stable `code`; lists use cursor pagination.",
        license(name = "MIT", identifier = "MIT"),
        contact(name = "Qin Ao Tong platform team", email = "platform@qinaotong.example"),
    ),
    servers((url = "/", description = "This server, in whichever environment serves the document: production, staging or local development")),
    tags(
        (name = "auth", description = "Registration, login, token refresh and logout; OAuth client credentials; public keys."),
        (name = "me", description = "The caller's own account: profile, password, sessions, identity documents, privacy rights."),
        (name = "catalogue", description = "Organisations and services in four languages; public."),
        (name = "applications", description = "A resident's applications, their documents and history."),
        (name = "notifications", description = "What residents are told about their applications."),
        (name = "organisation", description = "Staff and API clients working through their organisation's applications; every access is audited."),
        (name = "webhooks", description = "Signed event deliveries (Standard Webhooks) to API clients' endpoints."),
        (name = "permits", description = "Digital permits issued on approval: residents' QR credentials, online verification, and the signed trust and status lists checkpoints verify offline against."),
        (name = "admin", description = "Platform administration: organisations, services, staff accounts, API clients."),
        (name = "operations", description = "Health, readiness and metrics."),
    ),
    components(schemas(Problem)),
    modifiers(&Security),
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from `login`, `refreshToken` or `issueClientToken`: a JWS signed with \
                         EdDSA (the algorithm is pinned; `none` and others are refused), with `kid`, `iss`, `aud`, \
                         `sub`, `exp`, `nbf` and `iat` checked and a token-type claim, following RFC8725 \
                         (JSON Web Token Best Current Practices). Valid 5 to 15 minutes.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "metrics",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The operator's QAT_METRICS_TOKEN"))
                    .build(),
            ),
        );
    }
}

fn problem_response(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                crate::error::PROBLEM_JSON,
                ContentBuilder::new().schema(Some(utoipa::openapi::Ref::from_schema_name("Problem"))).build(),
            )
            .build(),
    )
}

/// Every create (a POST answering 201) honours `Idempotency-Key`.
fn add_idempotency_key(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    for item in doc.paths.paths.values_mut() {
        let Some(op) = item.post.as_mut() else { continue };
        if !op.responses.responses.contains_key("201")
            || op.operation_id.as_deref() == Some("createApiClient")
        {
            continue;
        }
        let param = ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(utoipa::openapi::Required::False)
            .description(Some(
                "Makes a retry return the first response (kept 24 hours, scoped to the caller); \
                 the same key with another request answers 422, while the first is running 409.",
            ))
            .schema(Some(
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::String)
                    .max_length(Some(255)),
            ))
            .build();
        op.parameters.get_or_insert_with(Vec::new).push(param);
    }
}

/// Every operation can fail with a problem document: add the shared ones an operation did not declare.
fn add_common_responses(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in ops.into_iter().flatten() {
            let responses = &mut op.responses.responses;
            for (code, text) in [
                ("4XX", "The request was refused; see the problem document's `code`."),
                ("5XX", "The server failed or is unavailable; retry after `Retry-After` seconds."),
            ] {
                responses.entry(code.to_owned()).or_insert_with(|| problem_response(text));
            }
        }
    }
}

/// Every `/v1` operation counts against the caller's request budget (`api::middleware::rate_limit`).
fn add_rate_limit(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::header::HeaderBuilder;
    let string = || utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::String);
    let seconds = || {
        use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
            .minimum(Some(0))
            .maximum(Some(i32::MAX))
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        if !path.starts_with("/v1/") {
            continue;
        }
        let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in ops.into_iter().flatten() {
            let mut response = ResponseBuilder::new()
                .description(
                    "Too many requests from this caller (per account or API client, or per address \
                     without a token); retry after `Retry-After` seconds.",
                )
                .content(
                    crate::error::PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(utoipa::openapi::Ref::from_schema_name("Problem")))
                        .build(),
                );
            for (name, description, schema) in [
                ("Retry-After", "Seconds until the budget resets.", seconds()),
                ("RateLimit-Policy", "The budget: `\"default\";q=<requests>;w=<seconds>`.", string()),
                ("RateLimit", "What is left: `\"default\";r=<requests>;t=<seconds>`.", string()),
            ] {
                response = response
                    .header(name, HeaderBuilder::new().schema(schema).description(Some(description)).build());
            }
            op.responses.responses.insert("429".to_owned(), RefOr::T(response.build()));
        }
    }
}

/// The operations as the handlers declare them (the route and audit tables read it); the published
/// document is [`document_json`], which adds what every operation shares at the JSON level.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::api::configure)
        .split_for_parts();
    add_common_responses(&mut doc);
    add_idempotency_key(&mut doc);
    add_rate_limit(&mut doc);
    doc
}

/// The document as served and committed: pretty JSON with a trailing newline. Adds the 401 of every
/// operation that needs a token, the budget headers of every `/v1` answer, the bounds of every value
/// (`bounds`), and the server's audience.
pub fn document_json() -> String {
    let Ok(mut value) = serde_json::to_value(document()) else { return String::new() };
    bounds::add_unauthorized(&mut value);
    bounds::add_rate_limit_headers(&mut value);
    bounds::apply(&mut value);
    if let Some(server) = value.pointer_mut("/servers/0").and_then(serde_json::Value::as_object_mut) {
        server.insert("x-internal".into(), false.into());
    }
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}
