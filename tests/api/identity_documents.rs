//! Identity documents: format and check-character rules, ownership.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

#[actix_web::test]
async fn valid_documents_are_stored_normalised_and_invalid_ones_say_why() {
    let app = TestApp::spawn().await;
    let me = app.resident("ids@example.mo").await;
    let add = |kind: &str, number: &str| json!({"kind": kind, "number": number, "expires_on": "2031-05-01"});
    for (kind, number, stored) in [
        ("macao_id", "1234567(3)", "1234567(3)"),
        ("macao_id", "52152998", "5215299(8)"),
        ("mainland_travel_permit", "m12345678", "M12345678"),
        ("mainland_id", "11010519491231002x", "11010519491231002X"),
        ("residence_permit", "820000199506150027", "820000199506150027"),
    ] {
        let res = app
            .send_json(Method::POST, "/v1/me/identity-documents", Some(&me.token), &add(kind, number))
            .await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 201, "{kind} {number}: {body}");
        assert_eq!(body["number"], stored);
    }
    for (kind, number, field, code) in [
        ("macao_id", "2234567(3)", "number", "invalid_format"),
        ("macao_id", "1234567(3", "number", "invalid_format"),
        ("mainland_travel_permit", "X12345678", "number", "invalid_format"),
        ("mainland_travel_permit", "H123456789", "number", "invalid_format"),
        ("mainland_id", "110105194912310021", "number", "invalid_check_digit"),
        ("mainland_id", "110105194913310029", "number", "invalid_date"),
        ("mainland_id", "820000199506150027", "number", "invalid_prefix"),
        ("residence_permit", "11010519491231002X", "number", "invalid_prefix"),
        ("residence_permit", "820000199506150028", "number", "invalid_check_digit"),
        ("passport", "K1234567", "kind", "invalid_option"),
    ] {
        let res = app
            .send_json(Method::POST, "/v1/me/identity-documents", Some(&me.token), &add(kind, number))
            .await;
        let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(
            (body["errors"][0]["field"].as_str(), body["errors"][0]["code"].as_str()),
            (Some(field), Some(code)),
            "{kind} {number}"
        );
    }
    let res = app
        .send_json(
            Method::POST,
            "/v1/me/identity-documents",
            Some(&me.token),
            &json!({"kind": "macao_id", "number": "1234567(3)", "expires_on": "2001-01-01"}),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res = app
        .send_json(Method::POST, "/v1/me/identity-documents", Some(&me.token), &add("macao_id", "1234567(3)"))
        .await;
    assert_problem(res, StatusCode::CONFLICT, "already_exists").await;

    let list: Value = app.get_as("/v1/me/identity-documents", &me.token).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 5);
    let other = app.resident("other.ids@example.mo").await;
    let theirs: Value = app.get_as("/v1/me/identity-documents", &other.token).await.json().await.unwrap();
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn a_retried_add_returns_the_first_answer_and_adds_nothing() {
    let app = TestApp::spawn().await;
    let me = app.resident("retry.ids@example.mo").await;
    let add = || {
        app.request(Method::POST, "/v1/me/identity-documents")
            .bearer_auth(&me.token)
            .header("Idempotency-Key", "passport-photo-day")
            .json(&json!({"kind": "mainland_travel_permit", "number": "M12345678"}))
            .send()
    };
    let first = add().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = add().await.unwrap();
    assert_eq!(again.status(), 201, "a replay, not the 409 of a second add");
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let list: Value = app.get_as("/v1/me/identity-documents", &me.token).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}
