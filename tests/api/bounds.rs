//! The bounds the OpenAPI document publishes on body strings and arrays are the ones the server
//! enforces: one character or item more is refused with 422, before anything else reads the body.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

#[actix_web::test]
async fn a_body_string_or_array_beyond_the_published_bound_is_refused() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let max =
        doc["components"]["schemas"]["RegisterRequest"]["properties"]["full_name"]["maxLength"].as_u64();
    assert_eq!(max, Some(qinaotong::http::json_bounds::MAX_STRING_CHARS as u64));
    let register = |name: String| json!({"email": "long@example.mo", "password": "Lotus-Bridge-2026", "full_name": name});
    let res = app.post_json("/v1/auth/register", &register("澳".repeat(16_385))).await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "too_long");

    let admin = app.admin().await;
    let holidays = vec!["2026-12-25"; qinaotong::http::json_bounds::MAX_ITEMS + 1];
    let res = app
        .send_json(
            reqwest::Method::POST,
            "/v1/admin/organisations",
            Some(&admin.token),
            &json!({"holidays": holidays}),
        )
        .await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "too_many_items");
}
