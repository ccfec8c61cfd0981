//! Who may call is decided before anything else is read: 401, then 403, then not found, then
//! preconditions, then the body. Every organisation-side request is audited, refused ones included.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_demo};

#[actix_web::test]
async fn the_caller_is_judged_before_the_body_and_the_object() {
    let app = spawn_demo().await;
    let resident = app.demo_resident().await;
    let (id, _) = app.submit_demo_booking(&resident.token).await;
    let officer = app.officer().await;
    let transition = format!("/v1/org/applications/{id}/transition");
    let broken = |token: &str, etag: Option<&str>| {
        let mut req = app
            .request(Method::POST, &transition)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body("[oops");
        if let Some(e) = etag {
            req = req.header("If-Match", e);
        }
        req.send()
    };

    // A resident with a broken body is the wrong kind of caller first.
    assert_problem(broken(&resident.token, None).await.unwrap(), StatusCode::FORBIDDEN, "forbidden").await;
    // No token at all: 401, whatever the body.
    let res = app.request(Method::POST, &transition).body("[oops").send().await.unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // Staff with a broken body and no If-Match: the precondition comes first.
    let res = broken(&officer.token, None).await.unwrap();
    assert_problem(res, StatusCode::PRECONDITION_REQUIRED, "precondition_required").await;
    // A stale If-Match beats the broken body too.
    let res = broken(&officer.token, Some("\"999\"")).await.unwrap();
    assert_problem(res, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    // Only then is the body read.
    let res = broken(&officer.token, Some("*")).await.unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST, "malformed_request").await;
    // A missing application is not found before its body or precondition is looked at.
    let res = app
        .request(Method::POST, "/v1/org/applications/missing/transition")
        .bearer_auth(&officer.token)
        .header("content-type", "application/json")
        .body("[oops")
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[actix_web::test]
async fn organisation_requests_are_audited_allowed_or_refused_and_lists_hold_no_form_data() {
    let app = spawn_demo().await;
    let resident = app.demo_resident().await;
    let (id, _) = app.submit_demo_booking(&resident.token).await;
    let officer = app.officer().await;
    let supervisor = app.supervisor().await;
    let before = app.audit_actions().await.len();

    let queue: Value = app.get_as("/v1/org/applications", &officer.token).await.json().await.unwrap();
    let entry = queue["items"].as_array().unwrap().iter().find(|a| a["id"] == id.as_str()).unwrap().clone();
    assert!(entry.get("form_data").is_none(), "queue entries carry no personal form data: {entry}");
    assert_eq!(entry["status"], "submitted");
    assert_problem(app.get_as("/v1/org/staff", &officer.token).await, StatusCode::FORBIDDEN, "forbidden")
        .await;
    assert_eq!(app.get_as("/v1/org/staff", &supervisor.token).await.status(), 200);
    let res = app.send_json(Method::GET, "/v1/org/applications", Some(&resident.token), &json!({})).await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app.get_as("/v1/org/applications/missing", &officer.token).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;

    let actions = app.audit_actions().await;
    assert_eq!(
        actions[before..].to_vec(),
        vec![
            ("application.list".to_owned(), 200),
            ("staff.list".to_owned(), 403),
            ("staff.list".to_owned(), 200),
            ("application.list".to_owned(), 403),
            ("application.read".to_owned(), 404),
        ]
    );
}

#[actix_web::test]
async fn read_audits_are_committed_before_the_answer_and_survive_a_clean_stop() {
    let app = spawn_demo().await;
    let resident = app.demo_resident().await;
    let (id, _) = app.submit_demo_booking(&resident.token).await;
    let officer = app.officer().await;
    let before = app.audit_actions().await.len();
    for _ in 0..20 {
        let res = app.get_as(&format!("/v1/org/applications/{id}"), &officer.token).await;
        assert_eq!(res.status(), 200);
    }
    app.stop().await;
    let reads = app.audit_actions().await[before..]
        .iter()
        .filter(|(a, r)| a == "application.read" && *r == 200)
        .count();
    assert_eq!(reads, 20, "every answered read has its audit row after a clean stop");
}
