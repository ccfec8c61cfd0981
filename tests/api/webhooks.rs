//! Webhooks delivered to a real HTTP receiver: signatures, retries, ordering, 410, redelivery, SSRF guard.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{TestApp, assert_problem, spawn_demo};

#[derive(Clone, Debug)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

async fn hook(req: HttpRequest, body: web::Bytes, r: web::Data<Receiver>) -> HttpResponse {
    let h = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    r.got.lock().unwrap().push(Received {
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp"),
        signature: h("webhook-signature"),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let status = r.answers.lock().unwrap().pop_front().unwrap_or(200);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

/// A receiver on a random loopback port, answering the queued statuses then 200.
fn start_receiver() -> (Receiver, String) {
    let receiver = Receiver::default();
    let data = web::Data::new(receiver.clone());
    let server =
        HttpServer::new(move || App::new().app_data(data.clone()).route("/hook", web::post().to(hook)))
            .workers(1)
            .bind("127.0.0.1:0")
            .unwrap();
    let url = format!("http://127.0.0.1:{}/hook", server.addrs()[0].port());
    actix_web::rt::spawn(server.run());
    (receiver, url)
}

async fn wait_for(receiver: &Receiver, count: usize) -> Vec<Received> {
    crate::helpers::eventually(&format!("{count} deliveries"), || {
        let got = receiver.got.lock().unwrap().clone();
        async move { (got.len() >= count).then_some(got) }
    })
    .await
}

fn verify(secret: &str, r: &Received) -> bool {
    let key = base64::engine::general_purpose::STANDARD.decode(secret.trim_start_matches("whsec_")).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    let expected =
        format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()));
    r.signature == expected
}

async fn client_of(app: &TestApp, org: &str) -> String {
    app.api_client_token(org, &["applications:read", "applications:write", "webhooks:manage"]).await
}

#[actix_web::test]
async fn events_arrive_signed_in_order_and_failures_are_retried_and_visible() {
    let app = TestApp::spawn_with(|c| {
        c.demo_data = true;
        c.webhook_allow_private = true;
        c.webhook_poll_interval = Duration::from_millis(50);
        c.webhook_retry_base = Duration::from_millis(100);
        c.webhook_max_attempts = 3;
    })
    .await;
    let (receiver, url) = start_receiver();
    let org = app.org_id("hq-entry-exit").await;
    let token = client_of(&app, &org).await;
    let res = app.send_json(Method::POST, "/v1/webhooks/endpoints", Some(&token), &json!({"url": url})).await;
    assert_eq!(res.status(), 201);
    let endpoint: Value = res.json().await.unwrap();
    let (endpoint_id, secret) =
        (endpoint["id"].as_str().unwrap().to_owned(), endpoint["secret"].as_str().unwrap().to_owned());
    assert!(secret.starts_with("whsec_"));
    assert_eq!(endpoint["event_types"].as_array().unwrap().len(), 7, "every type, permits included");
    let listed: Value = app.get_as("/v1/webhooks/endpoints", &token).await.json().await.unwrap();
    assert!(listed["items"][0].get("secret").is_none(), "secrets are shown only once");

    // The resident submits; the first delivery fails with 500 and is retried.
    receiver.answers.lock().unwrap().push_back(500);
    let resident = app.demo_resident().await;
    let (app_id, _) = app.submit_demo_booking(&resident.token).await;
    // While the first event is still being retried, the next change of the same application waits behind it.
    let url_app = format!("/v1/org/applications/{app_id}");
    let etag = app.get_as(&url_app, &token).await.headers()["etag"].to_str().unwrap().to_owned();
    let res = app
        .request(Method::POST, &format!("{url_app}/transition"))
        .bearer_auth(&token)
        .header("If-Match", etag)
        .json(&json!({"action": "start_review"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let got = wait_for(&receiver, 3).await;
    let types: Vec<String> = got
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        types,
        ["application.submitted", "application.submitted", "application.status_changed"],
        "retry first, then the next event"
    );
    assert_eq!(got[0].id, got[1].id, "a retry carries the same webhook-id");
    for r in &got {
        assert!(verify(&secret, r), "bad signature on {r:?}");
        let age = chrono::Utc::now().timestamp() - r.timestamp.parse::<i64>().unwrap();
        assert!((0..60).contains(&age));
        assert!(
            !r.body.contains("陳大文") && !r.body.contains("1234567"),
            "no personal data in payloads: {}",
            r.body
        );
        assert_eq!(
            serde_json::from_str::<Value>(&r.body).unwrap()["data"]["application_id"],
            app_id.as_str()
        );
    }

    // The receiver has answered the third attempt; the worker records it right after.
    let path = format!("/v1/webhooks/endpoints/{endpoint_id}/deliveries");
    let deliveries: Value = crate::helpers::eventually("the third attempt recorded", || async {
        let page: Value = app.get_as(&path, &token).await.json().await.unwrap();
        (page["items"].as_array().unwrap().len() >= 3).then_some(page)
    })
    .await;
    let items = deliveries["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "one item per attempt");
    let first = items
        .iter()
        .find(|i| i["attempt"] == 1 && i["response_status"] == 500)
        .expect("the failed attempt is recorded");
    assert_eq!(first["status"], "pending");
    assert!(first["next_attempt_at"].is_string());
    assert!(items.iter().any(|i| i["attempt"] == 2 && i["status"] == "delivered"));

    // Redelivery sends the same event again.
    let event_id = got[0].id.clone();
    let res = app
        .send_json(
            Method::POST,
            &format!("/v1/webhooks/endpoints/{endpoint_id}/redeliver"),
            Some(&token),
            &json!({"event_id": event_id}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let got = wait_for(&receiver, 4).await;
    assert_eq!(got[3].id, event_id);
    let res = app
        .send_json(
            Method::POST,
            &format!("/v1/webhooks/endpoints/{endpoint_id}/redeliver"),
            Some(&token),
            &json!({"event_id": "unknown"}),
        )
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;

    // 410 Gone disables the endpoint.
    receiver.answers.lock().unwrap().push_back(410);
    let res = app
        .send_json(Method::POST, &format!("{url_app}/notes"), Some(&token), &json!({"text": "checked"}))
        .await;
    assert_eq!(res.status(), 201);
    wait_for(&receiver, 5).await;
    crate::helpers::eventually("410 Gone disables the endpoint", || async {
        let listed: Value = app.get_as("/v1/webhooks/endpoints", &token).await.json().await.unwrap();
        (listed["items"][0]["status"] == "disabled").then_some(())
    })
    .await;

    let res = app
        .request(Method::POST, &format!("/v1/webhooks/endpoints/{endpoint_id}/rotate-secret"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let rotated: Value = res.json().await.unwrap();
    assert_ne!(rotated["secret"], secret.as_str());
    let res = app
        .request(Method::DELETE, &format!("/v1/webhooks/endpoints/{endpoint_id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = app
        .request(Method::DELETE, &format!("/v1/webhooks/endpoints/{endpoint_id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[actix_web::test]
async fn internal_addresses_and_other_callers_are_refused() {
    let app = spawn_demo().await;
    let org = app.org_id("hq-entry-exit").await;
    let token = client_of(&app, &org).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://10.0.0.8/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest",
        "http://localhost/hook",
        "ftp://example.com/x",
    ] {
        let res =
            app.send_json(Method::POST, "/v1/webhooks/endpoints", Some(&token), &json!({"url": url})).await;
        let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], "url", "{url}");
    }
    let res = app
        .send_json(
            Method::POST,
            "/v1/webhooks/endpoints",
            Some(&token),
            &json!({"url": "http://127.0.0.1/x", "event_types": ["application.exploded"]}),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let officer = app.officer().await;
    assert_problem(
        app.get_as("/v1/webhooks/endpoints", &officer.token).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

#[actix_web::test]
async fn two_instances_never_send_the_same_attempt_twice() {
    let app = TestApp::spawn_with(|c| {
        c.demo_data = true;
        c.webhook_allow_private = true;
        c.webhook_poll_interval = Duration::from_millis(20);
    })
    .await;
    let other = app.sibling().await;
    let (receiver, url) = start_receiver();
    let org = app.org_id("hq-entry-exit").await;
    let token = client_of(&app, &org).await;
    assert_eq!(
        app.send_json(Method::POST, "/v1/webhooks/endpoints", Some(&token), &json!({"url": url}))
            .await
            .status(),
        201
    );
    let resident = app.demo_resident().await;
    let mut notes = 0;
    for i in 0..4 {
        let (id, _) = app.submit_demo_booking(&resident.token).await;
        for j in 0..3 {
            let target = if (i + j) % 2 == 0 { &app } else { &other };
            let res = target
                .send_json(
                    Method::POST,
                    &format!("/v1/org/applications/{id}/notes"),
                    Some(&token),
                    &json!({"text": format!("note {j}")}),
                )
                .await;
            assert_eq!(res.status(), 201);
            notes += 1;
        }
    }
    let expected = 4 + notes;
    wait_for(&receiver, expected).await;
    // Nothing can signal that no more deliveries will come: give a duplicate time to arrive.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got_after = receiver.got.lock().unwrap().clone();
    assert_eq!(got_after.len(), expected, "no duplicate deliveries");
    let mut ids: Vec<&str> = got_after.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), expected, "each event exactly once");
}

#[actix_web::test]
async fn a_replayed_create_answers_from_the_first_answer_without_checking_the_url_again() {
    let app = TestApp::spawn_with(|c| {
        c.demo_data = true;
        c.webhook_allow_private = true;
    })
    .await;
    // Behind the same load balancer, an instance that no longer lets webhooks reach loopback addresses.
    let strict = app.sibling_with(|c| c.webhook_allow_private = false).await;
    let org = app.org_id("hq-entry-exit").await;
    let token = client_of(&app, &org).await;
    let body = json!({"url": "http://127.0.0.1:9/hook", "event_types": ["application.submitted"]});
    let create = |on: &TestApp| {
        on.request(Method::POST, "/v1/webhooks/endpoints")
            .bearer_auth(&token)
            .header("Idempotency-Key", "hook-1")
            .json(&body)
            .send()
    };
    let first = create(&app).await.unwrap();
    assert_eq!(first.status(), 201);
    let location = first.headers()["location"].clone();
    let first: Value = first.json().await.unwrap();

    // The retry is answered from the stored answer before any address check: it would fail now.
    let again = create(&strict).await.unwrap();
    assert_eq!(again.status(), 201, "{:?}", again.text().await);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], location);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let listed: Value = strict.get_as("/v1/webhooks/endpoints", &token).await.json().await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "the replay created nothing");

    // Without the key the same request is checked, and refused there.
    let res = strict.send_json(Method::POST, "/v1/webhooks/endpoints", Some(&token), &body).await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "forbidden_address");
}

#[actix_web::test]
async fn the_caller_then_the_endpoint_then_its_state_come_before_the_request() {
    let app = TestApp::spawn_with(|c| {
        c.demo_data = true;
        c.webhook_allow_private = true;
    })
    .await;
    let org = app.org_id("hq-entry-exit").await;
    let token = client_of(&app, &org).await;
    let reader = app.api_client_token(&org, &["applications:read"]).await;
    let officer = app.officer().await;
    let broken = |path: &str, token: &str| {
        app.request(Method::POST, path)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body("[oops")
            .send()
    };

    // Who may call is decided before the body is read.
    for t in [&officer.token, &reader] {
        let res = broken("/v1/webhooks/endpoints", t).await.unwrap();
        assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let res = broken("/v1/webhooks/endpoints", &token).await.unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST, "malformed_request").await;

    // Redelivery: an unknown endpoint is not found whatever the body says.
    let res = broken("/v1/webhooks/endpoints/missing/redeliver", &token).await.unwrap();
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .send_json(
            Method::POST,
            "/v1/webhooks/endpoints",
            Some(&token),
            &json!({"url": "http://127.0.0.1:9/x"}),
        )
        .await;
    let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let redeliver = format!("/v1/webhooks/endpoints/{id}/redeliver");
    // Only then is the body read.
    let res = broken(&redeliver, &token).await.unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST, "malformed_request").await;
    // A disabled endpoint refuses redelivery with its own code, before the body.
    let endpoint = id.clone();
    app.db(move |c| {
        qinaotong::store::webhooks::disable_endpoint(c, &endpoint, "gone", chrono::Utc::now().naive_utc())
    })
    .await
    .unwrap();
    let res = broken(&redeliver, &token).await.unwrap();
    assert_problem(res, StatusCode::CONFLICT, "endpoint_disabled").await;
    let res = app.send_json(Method::POST, &redeliver, Some(&token), &json!({"event_id": "x"})).await;
    assert_problem(res, StatusCode::CONFLICT, "endpoint_disabled").await;

    // Deliveries: an unknown endpoint is not found before the page parameters are looked at.
    for query in ["limit=0", "cursor=garbage"] {
        let res = app.get_as(&format!("/v1/webhooks/endpoints/missing/deliveries?{query}"), &token).await;
        assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    }
    let res = app.get_as(&format!("/v1/webhooks/endpoints/{id}/deliveries?limit=0"), &token).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res = app.get_as(&format!("/v1/webhooks/endpoints/{id}/deliveries?cursor=garbage"), &token).await;
    assert_problem(res, StatusCode::BAD_REQUEST, "malformed_request").await;
}

#[actix_web::test]
async fn every_webhook_request_is_audited_allowed_or_refused() {
    let app = TestApp::spawn_with(|c| {
        c.demo_data = true;
        c.webhook_allow_private = true;
    })
    .await;
    let org = app.org_id("hq-entry-exit").await;
    let token = client_of(&app, &org).await;
    let officer = app.officer().await;
    let before = app.audit_actions().await.len();

    let res = app
        .send_json(
            Method::POST,
            "/v1/webhooks/endpoints",
            Some(&token),
            &json!({"url": "http://127.0.0.1:9/x"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let res = app
        .send_json(
            Method::POST,
            "/v1/webhooks/endpoints",
            Some(&token),
            &json!({"url": "ftp://example.com/x"}),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(app.get_as("/v1/webhooks/endpoints", &token).await.status(), 200);
    assert_eq!(app.get_as("/v1/webhooks/endpoints", &officer.token).await.status(), 403);
    let deliveries = format!("/v1/webhooks/endpoints/{id}/deliveries");
    assert_eq!(app.get_as(&deliveries, &token).await.status(), 200);
    let redeliver = format!("/v1/webhooks/endpoints/{id}/redeliver");
    let res = app.send_json(Method::POST, &redeliver, Some(&token), &json!({"event_id": "never-sent"})).await;
    assert_eq!(res.status(), 404);
    let rotate = format!("/v1/webhooks/endpoints/{id}/rotate-secret");
    assert_eq!(app.request(Method::POST, &rotate).bearer_auth(&token).send().await.unwrap().status(), 200);
    let delete = format!("/v1/webhooks/endpoints/{id}");
    assert_eq!(app.request(Method::DELETE, &delete).bearer_auth(&token).send().await.unwrap().status(), 204);
    assert_eq!(app.request(Method::DELETE, &delete).bearer_auth(&token).send().await.unwrap().status(), 404);

    let actions = app.audit_actions().await;
    let webhook_actions: Vec<(String, i32)> =
        actions[before..].iter().filter(|(a, _)| a.starts_with("webhook.")).cloned().collect();
    assert_eq!(
        webhook_actions,
        [
            ("webhook.create", 201),
            ("webhook.create", 422),
            ("webhook.list", 200),
            ("webhook.list", 403),
            ("webhook.list_deliveries", 200),
            ("webhook.redeliver", 404),
            ("webhook.rotate_secret", 200),
            ("webhook.delete", 204),
            ("webhook.delete", 404),
        ]
        .map(|(a, r)| (a.to_owned(), r))
    );
    let targets = app
        .db(|c| {
            use diesel::prelude::*;
            use qinaotong::db::schema::audit_events::dsl as a;
            a::audit_events
                .filter(a::action.like("webhook.%"))
                .filter(a::result.lt(400))
                .select((a::action, a::target_type, a::target_id))
                .load::<(String, Option<String>, Option<String>)>(c)
                .unwrap()
        })
        .await;
    for (action, kind, target) in targets.into_iter().filter(|(a, _, _)| a != "webhook.list") {
        assert_eq!(kind.as_deref(), Some("webhook_endpoint"), "{action}");
        assert_eq!(target.as_deref(), Some(id.as_str()), "{action}");
    }
}
