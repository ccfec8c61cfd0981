//! Quotas: open drafts and stored bytes per resident, parts per upload, webhook endpoints and
//! redeliveries per API client. Each refusal has its own code and leaves nothing behind.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PDF, TestApp, assert_problem, eventually};

async fn draft(app: &TestApp, token: &str, service: &str) -> reqwest::Response {
    app.create_application(token, service, json!({})).await
}

#[actix_web::test]
async fn residents_have_a_draft_limit_and_a_storage_quota() {
    let app = TestApp::spawn_with(|c| {
        c.max_open_drafts_per_resident = 2;
        c.max_stored_bytes_per_resident = (2 * PDF.len()) as u64;
    })
    .await;
    let admin = app.admin().await;
    let (_, service) = app.test_service(&admin, "quotas").await;
    let me = app.resident("quota@example.mo").await;
    let first = draft(&app, &me.token, &service).await.json::<Value>().await.unwrap();
    let id = first["id"].as_str().unwrap().to_owned();
    assert_eq!(draft(&app, &me.token, &service).await.status(), 201);
    let res = draft(&app, &me.token, &service).await;
    let body = assert_problem(res, StatusCode::CONFLICT, "draft_limit_reached").await;
    assert!(body["detail"].as_str().unwrap().contains('2'), "{body}");
    // Another resident has their own allowance.
    let other = app.resident("quota-other@example.mo").await;
    assert_eq!(draft(&app, &other.token, &service).await.status(), 201);

    // Two PDFs fill the storage quota exactly; a third byte does not fit.
    for _ in 0..2 {
        assert_eq!(app.upload(&me.token, &id, "photo", "p.pdf", PDF.to_vec()).await.status(), 201);
    }
    let res = app.upload(&me.token, &id, "photo", "p.pdf", PDF.to_vec()).await;
    assert_problem(res, StatusCode::CONFLICT, "storage_quota_exceeded").await;
    let list: Value =
        app.get_as(&format!("/v1/applications/{id}/documents"), &me.token).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let stored = std::fs::read_dir(app.config.data_dir.join("documents"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .count();
    assert_eq!(stored, 2, "a refused upload leaves no file");
}

#[actix_web::test]
async fn an_upload_with_more_parts_than_kind_and_file_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, service) = app.test_service(&admin, "parts").await;
    let me = app.resident("parts@example.mo").await;
    let id = draft(&app, &me.token, &service).await.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut form = reqwest::multipart::Form::new()
        .text("kind", "photo")
        .part("file", reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("p.pdf"));
    for _ in 0..50 {
        form = form.text("kind", "photo");
    }
    let res = app
        .request(Method::POST, &format!("/v1/applications/{id}/documents"))
        .bearer_auth(&me.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::PAYLOAD_TOO_LARGE, "too_many_parts").await;
    let list: Value =
        app.get_as(&format!("/v1/applications/{id}/documents"), &me.token).await.json().await.unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[actix_web::test]
async fn clients_have_an_endpoint_limit_and_a_redelivery_rate() {
    let app = TestApp::spawn_with(|c| {
        c.demo_data = true;
        c.webhook_allow_private = true;
        c.webhook_poll_interval = Duration::from_millis(50);
        c.max_webhook_endpoints_per_client = 1;
        c.max_redeliveries_per_minute = 2;
    })
    .await;
    let org = app.org_id("hq-entry-exit").await;
    let token = app.api_client_token(&org, &["applications:read", "webhooks:manage"]).await;
    let endpoints = "/v1/webhooks/endpoints";
    let res =
        app.send_json(Method::POST, endpoints, Some(&token), &json!({"url": "http://127.0.0.1:9/x"})).await;
    assert_eq!(res.status(), 201);
    let endpoint = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let res =
        app.send_json(Method::POST, endpoints, Some(&token), &json!({"url": "http://127.0.0.1:9/y"})).await;
    assert_problem(res, StatusCode::CONFLICT, "endpoint_limit_reached").await;
    let listed: Value = app.get_as(endpoints, &token).await.json().await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    // Another client of the same organisation has its own limit.
    let other = app.api_client_token(&org, &["webhooks:manage"]).await;
    let res =
        app.send_json(Method::POST, endpoints, Some(&other), &json!({"url": "http://127.0.0.1:9/z"})).await;
    assert_eq!(res.status(), 201);

    // An event is sent (and fails) so that there is something to redeliver.
    let resident = app.demo_resident().await;
    app.submit_demo_booking(&resident.token).await;
    let deliveries = format!("/v1/webhooks/endpoints/{endpoint}/deliveries");
    let event_id = eventually("a delivery attempt", || {
        let (app, token, deliveries) = (&app, &token, &deliveries);
        async move {
            let page: Value = app.get_as(deliveries, token).await.json().await.ok()?;
            page["items"][0]["event_id"].as_str().map(str::to_owned)
        }
    })
    .await;
    let redeliver = format!("/v1/webhooks/endpoints/{endpoint}/redeliver");
    // Refused redeliveries do not count.
    let res = app.send_json(Method::POST, &redeliver, Some(&token), &json!({"event_id": "unknown"})).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    for _ in 0..2 {
        let res = app.send_json(Method::POST, &redeliver, Some(&token), &json!({"event_id": event_id})).await;
        assert_eq!(res.status(), 202);
    }
    let res = app.send_json(Method::POST, &redeliver, Some(&token), &json!({"event_id": event_id})).await;
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body = assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert!(body["detail"].as_str().unwrap().contains("redeliveries"), "{body}");
}
