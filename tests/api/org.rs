//! The organisation side: queues, review, requests for information, decisions, notes, audit.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, etag_of, spawn_demo};

async fn post(app: &TestApp, token: &str, path: &str, etag: Option<&str>, body: Value) -> reqwest::Response {
    let mut req = app.request(Method::POST, path).bearer_auth(token).json(&body);
    if let Some(e) = etag {
        req = req.header("If-Match", e);
    }
    req.send().await.unwrap()
}

#[actix_web::test]
async fn an_officer_reviews_asks_for_information_and_approves() {
    let app = spawn_demo().await;
    let resident = app.demo_resident().await;
    let (id, org) = app.submit_demo_booking(&resident.token).await;
    assert_eq!(org, app.org_id("hq-entry-exit").await, "the booking belongs to the entry-exit centre");
    let officer = app.officer().await;
    let other_org = app.other_officer().await;
    let url = format!("/v1/org/applications/{id}");

    let queue: Value = app
        .get_as("/v1/org/applications?status=submitted,in_review&assignee=none", &officer.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(queue["items"].as_array().unwrap().iter().any(|a| a["id"] == id.as_str()));
    let theirs: Value = app.get_as("/v1/org/applications", &other_org.token).await.json().await.unwrap();
    assert!(theirs["items"].as_array().unwrap().is_empty(), "another organisation sees nothing");
    let foreign =
        assert_problem(app.get_as(&url, &other_org.token).await, StatusCode::NOT_FOUND, "not_found").await;
    let missing = assert_problem(
        app.get_as("/v1/org/applications/nope", &other_org.token).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(foreign, missing);

    let reason =
        percent_encoding::utf8_percent_encode("核對通關協助預約", percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    let res = app
        .request(Method::GET, &url)
        .bearer_auth(&officer.token)
        .header("X-Audit-Reason", &reason)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let etag = etag_of(&res);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["form_data"]["macao_id"], "1234567(3)");

    let t = format!("{url}/transition");
    assert_problem(
        post(&app, &officer.token, &t, None, json!({"action": "start_review"})).await,
        StatusCode::PRECONDITION_REQUIRED,
        "precondition_required",
    )
    .await;
    assert_problem(
        post(&app, &officer.token, &t, Some("\"999\""), json!({"action": "start_review"})).await,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    )
    .await;
    assert_problem(
        post(&app, &officer.token, &t, Some(&etag), json!({"action": "approve"})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
    assert_problem(
        post(&app, &officer.token, &t, Some(&etag), json!({"action": "withdraw"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;

    let res = post(&app, &officer.token, &t, Some(&etag), json!({"action": "start_review"})).await;
    assert_eq!(res.status(), 200);
    let etag = etag_of(&res);
    let reviewing: Value = res.json().await.unwrap();
    assert_eq!(reviewing["status"], "in_review");
    let me: Value = app.get_as("/v1/me", &officer.token).await.json().await.unwrap();
    assert_eq!(reviewing["assignee_id"], me["id"], "start_review assigns an unassigned application");
    let due_before = reviewing["due_at"].as_str().unwrap().to_owned();

    let res = post(&app, &officer.token, &t, Some(&etag), json!({"action": "request_info"})).await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "comment");
    let res = post(
        &app,
        &officer.token,
        &t,
        Some(&etag),
        json!({"action": "request_info", "comment": "請補充同行人數。"}),
    )
    .await;
    assert_eq!(res.status(), 200);

    // The resident sees the request with its comment, updates the form and resubmits.
    let notes: Value = app.get_as("/v1/notifications", &resident.token).await.json().await.unwrap();
    assert!(notes["items"][0]["body"].as_str().unwrap().contains("請補充同行人數。"));
    let mine = app.get_as(&format!("/v1/applications/{id}"), &resident.token).await;
    let resident_etag = etag_of(&mine);
    let res = app.request(Method::PATCH, &format!("/v1/applications/{id}")).bearer_auth(&resident.token).header("If-Match", &resident_etag)
        .json(&json!({"form_data": {"full_name": "陳大文", "macao_id": "1234567(3)", "travel_date": "2026-12-21", "companions": 2}})).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .request(Method::POST, &format!("/v1/applications/{id}/submit"))
        .bearer_auth(&resident.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let resubmitted: Value = res.json().await.unwrap();
    assert_eq!(resubmitted["status"], "submitted");
    assert!(
        resubmitted["due_at"].as_str().unwrap() >= due_before.as_str(),
        "the clock does not run while waiting for the resident"
    );

    let etag = etag_of(&app.get_as(&url, &officer.token).await);
    let res = post(&app, &officer.token, &t, Some(&etag), json!({"action": "start_review"})).await;
    let etag = etag_of(&res);
    let res =
        post(&app, &officer.token, &t, Some(&etag), json!({"action": "approve", "comment": "已批准"})).await;
    assert_eq!(res.status(), 200);
    let approved: Value = res.json().await.unwrap();
    assert_eq!(approved["status"], "approved");
    assert!(approved["decided_at"].is_string());
    let res = app
        .request(Method::POST, &format!("/v1/applications/{id}/withdraw"))
        .bearer_auth(&resident.token)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::CONFLICT, "invalid_transition").await;

    let events: Value =
        app.get_as(&format!("/v1/applications/{id}/events"), &resident.token).await.json().await.unwrap();
    let actions: Vec<&str> =
        events["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["create", "submit", "start_review", "request_info", "resubmit", "start_review", "approve"]
    );

    use diesel::prelude::*;
    use qinaotong::db::schema::audit_events::dsl as a;
    let reads: Vec<(String, Option<String>, i32)> = app
        .db(|c| {
            a::audit_events
                .filter(a::action.like("application.%"))
                .order(a::created_at.asc())
                .select((a::action, a::reason, a::result))
                .load(c)
                .unwrap()
        })
        .await;
    assert!(reads.contains(&("application.read".into(), Some("核對通關協助預約".into()), 200)), "{reads:?}");
    assert!(
        reads.iter().any(|(action, _, result)| action == "application.read" && *result == 404),
        "404s are audited too"
    );
    assert!(reads.iter().any(|(action, _, result)| action == "application.transition" && *result == 428));
    assert!(
        reads
            .iter()
            .filter(|(action, _, result)| action == "application.transition" && *result == 200)
            .count()
            >= 4
    );
}

#[actix_web::test]
async fn assignment_notes_and_who_may_do_what() {
    let app = spawn_demo().await;
    let resident = app.demo_resident().await;
    let (id, _) = app.submit_demo_booking(&resident.token).await;
    let officer = app.officer().await;
    let supervisor = app.supervisor().await;
    let url = format!("/v1/org/applications/{id}");

    let staff: Value = app.get_as("/v1/org/staff", &supervisor.token).await.json().await.unwrap();
    let officer_id =
        staff["items"].as_array().unwrap().iter().find(|s| s["role"] == "officer").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    assert_problem(app.get_as("/v1/org/staff", &officer.token).await, StatusCode::FORBIDDEN, "forbidden")
        .await;

    let supervisor_id =
        staff["items"].as_array().unwrap().iter().find(|s| s["role"] == "supervisor").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let res =
        post(&app, &officer.token, &format!("{url}/assign"), None, json!({"assignee_id": supervisor_id}))
            .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res =
        post(&app, &supervisor.token, &format!("{url}/assign"), None, json!({"assignee_id": "someone-else"}))
            .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res =
        post(&app, &supervisor.token, &format!("{url}/assign"), None, json!({"assignee_id": supervisor_id}))
            .await;
    assert_eq!(res.status(), 200);
    // Assigned to the supervisor: the officer may neither take it over nor act on it.
    let res = post(&app, &officer.token, &format!("{url}/assign"), None, json!({})).await;
    assert_problem(res, StatusCode::FORBIDDEN, "assigned_to_other").await;
    let etag = etag_of(&app.get_as(&url, &officer.token).await);
    let res = post(
        &app,
        &officer.token,
        &format!("{url}/transition"),
        Some(&etag),
        json!({"action": "start_review"}),
    )
    .await;
    assert_problem(res, StatusCode::FORBIDDEN, "assigned_to_other").await;
    let res = post(
        &app,
        &supervisor.token,
        &format!("{url}/assign"),
        Some(&etag),
        json!({"assignee_id": officer_id}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let assigned: Value = res.json().await.unwrap();
    assert_eq!(assigned["assignee_id"], officer_id.as_str());

    let version = assigned["version"].clone();
    let res = post(
        &app,
        &officer.token,
        &format!("{url}/notes"),
        None,
        json!({"text": "Called the resident to confirm the date."}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let current: Value = app.get_as(&url, &officer.token).await.json().await.unwrap();
    assert_eq!(current["version"], version, "notes do not change the version");
    let events: Value =
        app.get_as(&format!("/v1/applications/{id}/events"), &resident.token).await.json().await.unwrap();
    assert!(!events.to_string().contains("Called the resident"), "residents never see notes");

    // Residents, admins and other kinds of callers are refused before any lookup.
    assert_problem(app.get_as(&url, &resident.token).await, StatusCode::FORBIDDEN, "forbidden").await;
    let admin = app.admin().await;
    assert_problem(app.get_as(&url, &admin.token).await, StatusCode::FORBIDDEN, "forbidden").await;
    assert_problem(
        app.get_as("/v1/org/applications/anything", &admin.token).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

#[actix_web::test]
async fn api_clients_see_only_their_organisation_within_their_scopes() {
    let app = spawn_demo().await;
    let resident = app.demo_resident().await;
    let (id, org) = app.submit_demo_booking(&resident.token).await;
    let reader = app.api_client_token(&org, &["applications:read"]).await;
    let url = format!("/v1/org/applications/{id}");
    let res = app.get_as(&url, &reader).await;
    assert_eq!(res.status(), 200);
    let etag = etag_of(&res);
    let res =
        post(&app, &reader, &format!("{url}/transition"), Some(&etag), json!({"action": "start_review"}))
            .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let writer = app.api_client_token(&org, &["applications:read", "applications:write"]).await;
    let res =
        post(&app, &writer, &format!("{url}/transition"), Some(&etag), json!({"action": "start_review"}))
            .await;
    assert_eq!(res.status(), 200);
    // The demo client belongs to the property manager, which sees none of this.
    let outsider = app
        .request(Method::POST, "/v1/oauth/token")
        .basic_auth(qinaotong::seed::DEMO_CLIENT_ID, Some(qinaotong::seed::DEMO_CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_problem(app.get_as(&url, &outsider).await, StatusCode::NOT_FOUND, "not_found").await;
}

#[actix_web::test]
async fn applications_of_a_resident_who_deleted_their_account_can_still_be_decided() {
    let app = spawn_demo().await;
    let resident = app.demo_resident().await;
    let (id, _) = app.submit_demo_booking(&resident.token).await;
    let officer = app.officer().await;
    let url = format!("/v1/org/applications/{id}");
    let etag = etag_of(&app.get_as(&url, &officer.token).await);
    let res = post(
        &app,
        &officer.token,
        &format!("{url}/transition"),
        Some(&etag),
        json!({"action": "start_review"}),
    )
    .await;
    let etag = etag_of(&res);
    assert_eq!(
        app.request(Method::DELETE, "/v1/me").bearer_auth(&resident.token).send().await.unwrap().status(),
        204
    );
    let res = post(
        &app,
        &officer.token,
        &format!("{url}/transition"),
        Some(&etag),
        json!({"action": "reject", "comment": "The applicant left."}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let decided: Value = res.json().await.unwrap();
    assert_eq!(decided["status"], "rejected");
    assert_eq!(decided["form_data"], json!({}), "the erased form data stays erased");
}
