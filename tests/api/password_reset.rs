//! Password reset with a one-time code: the server runs as a process and the code is read from the
//! development sender's log line, the only place it is written.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{STRONG_PASSWORD, assert_problem};
use crate::process::Process;

struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http.post(format!("{}{path}", self.base)).json(&body).send().await.unwrap()
    }

    /// Registers a resident and proves the email with the code sent to it: reset codes go only to
    /// proven contacts (contacts.rs).
    async fn register(&self, process: &Process, email: &str) {
        let res = self
            .post(
                "/v1/auth/register",
                json!({"email": email, "password": STRONG_PASSWORD, "full_name": "Ho Ka Yan"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let created: Value = res.json().await.unwrap();
        let verification = created["verifications"][0]["verification_id"].clone();
        let code = code_for(process, email, 1).await;
        let session: Value = self.login(email, STRONG_PASSWORD).await.json().await.unwrap();
        let res = self
            .http
            .post(format!("{}/v1/me/contact-changes/confirm", self.base))
            .bearer_auth(session["access_token"].as_str().unwrap())
            .json(&json!({"verification_id": verification, "code": code}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }

    async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post("/v1/auth/login", json!({"login": email, "password": password})).await
    }
}

/// The `nth` code (from 1) the development sender logged for `recipient`: the first is the one
/// registration sent.
async fn code_for(process: &Process, recipient: &str, nth: usize) -> String {
    crate::helpers::eventually(&format!("message {nth} logged for {recipient}"), || async {
        let log = process.log();
        let mut sent = log.iter().filter(|l| l["recipient"] == recipient && l["text"].is_string());
        let text = sent.nth(nth - 1)?["text"].as_str()?.to_owned();
        Some(text.chars().filter(char::is_ascii_digit).take(8).collect())
    })
    .await
}

#[actix_web::test]
async fn a_code_sets_a_new_password_once_and_ends_every_session() {
    let process = Process::start(&[("QAT_DEMO_DATA", "false")]).await;
    let c = Client { base: process.base.clone(), http: reqwest::Client::new() };
    c.register(&process, "forgetful@example.mo").await;
    let old: Value = c.login("forgetful@example.mo", STRONG_PASSWORD).await.json().await.unwrap();
    let res = c.post("/v1/auth/password-reset", json!({"login": "Forgetful@example.mo"})).await;
    assert_eq!(res.status(), 202);
    let known: Value = res.json().await.unwrap();
    let res = c.post("/v1/auth/password-reset", json!({"login": "nobody@example.mo"})).await;
    assert_eq!(res.status(), 202);
    assert_eq!(res.json::<Value>().await.unwrap(), known, "the same answer for unknown accounts");

    let code = code_for(&process, "forgetful@example.mo", 2).await;
    assert_eq!(code.len(), 8);
    let lines_with_code = process.log().iter().filter(|l| l.to_string().contains(&code)).count();
    assert_eq!(lines_with_code, 1, "the code appears in exactly one log line");
    let reset = |code: &str, password: &str| json!({"login": "forgetful@example.mo", "code": code, "password": password});
    let wrong = if code == "00000000" { "11111111" } else { "00000000" };
    let res = c.post("/v1/auth/password-reset/confirm", reset(wrong, "Granite-Orchid-88")).await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "invalid_code");
    let res = c.post("/v1/auth/password-reset/confirm", reset(&code, "password")).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let res = c.post("/v1/auth/password-reset/confirm", reset(&code, "Granite-Orchid-88")).await;
    assert_eq!(res.status(), 204);
    let me = c
        .http
        .get(format!("{}/v1/me", c.base))
        .bearer_auth(old["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401, "sessions end");
    assert_eq!(c.login("forgetful@example.mo", STRONG_PASSWORD).await.status(), 401);
    assert_eq!(c.login("forgetful@example.mo", "Granite-Orchid-88").await.status(), 200);
    // A code works once, and unknown accounts get the same refusal.
    let res = c.post("/v1/auth/password-reset/confirm", reset(&code, "Another-Lantern-99")).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res = c
        .post(
            "/v1/auth/password-reset/confirm",
            json!({"login": "nobody@example.mo", "code": code, "password": "Granite-Orchid-88"}),
        )
        .await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "invalid_code");
}

#[actix_web::test]
async fn a_code_dies_after_five_wrong_tries_and_requests_are_throttled() {
    let process =
        Process::start(&[("QAT_DEMO_DATA", "false"), ("QAT_LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")]).await;
    let c = Client { base: process.base.clone(), http: reqwest::Client::new() };
    c.register(&process, "guessed@example.mo").await;
    assert_eq!(c.post("/v1/auth/password-reset", json!({"login": "guessed@example.mo"})).await.status(), 202);
    let code = code_for(&process, "guessed@example.mo", 2).await;
    let wrong = if code == "00000000" { "11111111" } else { "00000000" };
    let guesses = (0..5).map(|_| {
        c.post(
            "/v1/auth/password-reset/confirm",
            json!({"login": "guessed@example.mo", "code": wrong, "password": "Granite-Orchid-88"}),
        )
    });
    for res in futures_util::future::join_all(guesses).await {
        assert_eq!(res.status(), 422);
    }
    let res = c
        .post(
            "/v1/auth/password-reset/confirm",
            json!({"login": "guessed@example.mo", "code": code, "password": "Granite-Orchid-88"}),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    for _ in 0..2 {
        assert_eq!(
            c.post("/v1/auth/password-reset", json!({"login": "guessed@example.mo"})).await.status(),
            202
        );
    }
    let res = c.post("/v1/auth/password-reset", json!({"login": "guessed@example.mo"})).await;
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}
