//! API clients: creation by an admin and the OAuth 2.0 client credentials grant.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_demo};

async fn token_request(
    app: &TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let mut req = app.request(Method::POST, "/v1/oauth/token").form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    assert_eq!(res.headers()["cache-control"], "no-store");
    (status, res.json().await.unwrap())
}

#[actix_web::test]
async fn an_admin_creates_a_client_that_gets_tokens_with_narrowed_scopes() {
    let app = spawn_demo().await;
    let admin = app.admin().await;
    let org = app.org_id("hq-lianhai-bank").await;
    let res = app
        .send_json(Method::POST, "/v1/admin/api-clients", Some(&admin.token),
            &json!({"organisation_id": org, "name": "Core banking", "scopes": ["applications:read", "webhooks:manage"]}))
        .await;
    assert_eq!(res.status(), 201);
    let client: Value = res.json().await.unwrap();
    let id = client["client_id"].as_str().unwrap().to_owned();
    let secret = client["client_secret"].as_str().unwrap().to_owned();
    // Only a hash is kept.
    let stored: String = {
        use diesel::prelude::*;
        use qinaotong::db::schema::api_clients::dsl as c;
        let id = id.clone();
        app.db(move |conn| {
            c::api_clients.filter(c::client_id.eq(id)).select(c::secret_hash).first(conn).unwrap()
        })
        .await
    };
    assert!(!stored.contains(&secret));

    let (status, body) = token_request(
        &app,
        &[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", &secret)],
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "applications:read webhooks:manage");
    let (status, body) = token_request(
        &app,
        &[("grant_type", "client_credentials"), ("scope", "applications:read")],
        Some((&id, &secret)),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["scope"], "applications:read");
    let token = body["access_token"].as_str().unwrap().to_owned();
    // A client is not a person: person-only operations are forbidden, not unauthorised.
    assert_problem(app.get_as("/v1/me", &token).await, StatusCode::FORBIDDEN, "forbidden").await;

    let (status, body) = token_request(
        &app,
        &[("grant_type", "client_credentials"), ("scope", "applications:write")],
        Some((&id, &secret)),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_scope")));
    let (status, body) =
        token_request(&app, &[("grant_type", "client_credentials")], Some((&id, "wrong"))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    let (status, body) =
        token_request(&app, &[("grant_type", "client_credentials")], Some(("qac_nobody", "x"))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    let (status, body) = token_request(&app, &[("grant_type", "password")], Some((&id, &secret))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("unsupported_grant_type")));
    let (status, body) = token_request(&app, &[], Some((&id, &secret))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));
    let res = app.post_json("/v1/oauth/token", &json!({"grant_type": "client_credentials"})).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_request");
    let actions = app.audit_actions().await;
    assert!(actions.iter().any(|(a, r)| a == "auth.client_token_failed" && *r == 401));
    assert!(actions.iter().any(|(a, _)| a == "api_client.create"));
}

#[actix_web::test]
async fn client_creation_checks_scopes_and_organisation() {
    let app = spawn_demo().await;
    let admin = app.admin().await;
    let org = app.org_id("hq-lianhai-bank").await;
    let res = app
        .send_json(
            Method::POST,
            "/v1/admin/api-clients",
            Some(&admin.token),
            &json!({"organisation_id": org, "name": "x", "scopes": ["root"]}),
        )
        .await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "scopes[0]");
    let res = app
        .send_json(
            Method::POST,
            "/v1/admin/api-clients",
            Some(&admin.token),
            &json!({"organisation_id": "nope", "name": "x", "scopes": ["applications:read"]}),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}
