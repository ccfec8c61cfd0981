//! Password reset with a one-time code sent by the development sender.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{STRONG_PASSWORD, TestApp, assert_problem};

/// The last code the development sender wrote for `recipient`.
async fn code_for(app: &TestApp, recipient: &str) -> String {
    let path = app.config.data_dir.join("messages.jsonl");
    for _ in 0..50 {
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Some(line) = text
                .lines()
                .rev()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .find(|m| m["recipient"] == recipient)
        {
            let message = line["text"].as_str().unwrap();
            return message.chars().filter(char::is_ascii_digit).take(8).collect();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no message for {recipient}");
}

#[actix_web::test]
async fn a_code_sets_a_new_password_once_and_ends_every_session() {
    let app = TestApp::spawn().await;
    let old = app.resident("forgetful@example.mo").await;
    let res = app.post_json("/v1/auth/password-reset", &json!({"login": "Forgetful@example.mo"})).await;
    assert_eq!(res.status(), 202);
    let known: Value = res.json().await.unwrap();
    let res = app.post_json("/v1/auth/password-reset", &json!({"login": "nobody@example.mo"})).await;
    assert_eq!(res.status(), 202);
    assert_eq!(res.json::<Value>().await.unwrap(), known, "the same answer for unknown accounts");

    let code = code_for(&app, "forgetful@example.mo").await;
    assert_eq!(code.len(), 8);
    let reset = |code: &str, password: &str| json!({"login": "forgetful@example.mo", "code": code, "password": password});
    let wrong = if code == "00000000" { "11111111" } else { "00000000" };
    let res = app.post_json("/v1/auth/password-reset/confirm", &reset(wrong, "Granite-Orchid-88")).await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "invalid_code");
    let res = app.post_json("/v1/auth/password-reset/confirm", &reset(&code, "password")).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let res = app.post_json("/v1/auth/password-reset/confirm", &reset(&code, "Granite-Orchid-88")).await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.get_as("/v1/me", &old.token).await.status(), 401, "sessions end");
    assert_eq!(app.login("forgetful@example.mo", STRONG_PASSWORD).await.status(), 401);
    app.session("forgetful@example.mo", "Granite-Orchid-88").await;
    // A code works once.
    let res = app.post_json("/v1/auth/password-reset/confirm", &reset(&code, "Another-Lantern-99")).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    // Unknown accounts get the same refusal.
    let res = app
        .post_json(
            "/v1/auth/password-reset/confirm",
            &json!({"login": "nobody@example.mo", "code": code, "password": "Granite-Orchid-88"}),
        )
        .await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "invalid_code");
}

#[actix_web::test]
async fn a_code_dies_after_five_wrong_tries_and_requests_are_throttled() {
    let app = TestApp::spawn_with(|c| c.login_max_failures_per_account = 3).await;
    app.resident("guessed@example.mo").await;
    assert_eq!(
        app.post_json("/v1/auth/password-reset", &json!({"login": "guessed@example.mo"})).await.status(),
        202
    );
    let code = code_for(&app, "guessed@example.mo").await;
    let wrong = if code == "00000000" { "11111111" } else { "00000000" };
    for _ in 0..5 {
        let res = app
            .post_json(
                "/v1/auth/password-reset/confirm",
                &json!({"login": "guessed@example.mo", "code": wrong, "password": "Granite-Orchid-88"}),
            )
            .await;
        assert_eq!(res.status(), 422);
    }
    let res = app
        .post_json(
            "/v1/auth/password-reset/confirm",
            &json!({"login": "guessed@example.mo", "code": code, "password": "Granite-Orchid-88"}),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    for _ in 0..2 {
        assert_eq!(
            app.post_json("/v1/auth/password-reset", &json!({"login": "guessed@example.mo"})).await.status(),
            202
        );
    }
    let res = app.post_json("/v1/auth/password-reset", &json!({"login": "guessed@example.mo"})).await;
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}
