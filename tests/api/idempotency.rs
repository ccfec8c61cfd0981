//! Idempotency-Key on creates: replay, reuse with another body, and scoping by caller.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PDF, TestApp, assert_problem};

#[actix_web::test]
async fn a_retried_create_returns_the_first_response_and_creates_nothing_new() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, service) = app.test_service(&admin, "idem").await;
    let me = app.resident("retry@example.mo").await;
    let create = |key: &str, body: Value| {
        app.request(Method::POST, "/v1/applications")
            .bearer_auth(&me.token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let body = json!({"service_id": service, "form_data": {"full_name": "Lee Ka Ho"}});
    let first = create("key-1", body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    let (loc, etag) = (first.headers()["location"].clone(), first.headers()["etag"].clone());
    let first: Value = first.json().await.unwrap();
    // Same body with other spacing and key order: the same request.
    let again = app
        .request(Method::POST, "/v1/applications")
        .bearer_auth(&me.token)
        .header("Idempotency-Key", "key-1")
        .header("content-type", "application/json")
        .body(format!("{{ \"form_data\": {{\"full_name\":\"Lee Ka Ho\"}},  \"service_id\": \"{service}\" }}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["location"], loc);
    assert_eq!(again.headers()["etag"], etag);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let mine: Value = app.get_as("/v1/applications", &me.token).await.json().await.unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);

    let res = create("key-1", json!({"service_id": service, "form_data": {"full_name": "Someone Else"}}))
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused").await;
    // Keys belong to their caller: another resident's identical key is unrelated.
    let other = app.resident("other.retry@example.mo").await;
    let res = app
        .request(Method::POST, "/v1/applications")
        .bearer_auth(&other.token)
        .header("Idempotency-Key", "key-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_ne!(res.json::<Value>().await.unwrap()["id"], first["id"]);
    // A failed create stores nothing: fixing the body and retrying with the same key works.
    let res = create("key-2", json!({"service_id": service, "form_data": {"full_name": 1}})).await.unwrap();
    assert_eq!(res.status(), 422);
    let res = create("key-2", json!({"service_id": service, "form_data": {"full_name": "Fixed Name"}}))
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = app
        .request(Method::POST, "/v1/applications")
        .bearer_auth(&me.token)
        .header("Idempotency-Key", "")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST, "malformed_request").await;
}

#[actix_web::test]
async fn an_upload_retried_with_a_new_boundary_is_the_same_request() {
    let app = TestApp::spawn().await;
    let (me, id) = app.draft_on_test_service("idem-upload", "upload.retry@example.mo").await;
    let send = |bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .text("kind", "photo")
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name("p.pdf"));
        app.request(Method::POST, &format!("/v1/applications/{id}/documents"))
            .bearer_auth(&me.token)
            .header("Idempotency-Key", "upload-1")
            .multipart(form)
            .send()
    };
    let first: Value = send(PDF.to_vec()).await.unwrap().json().await.unwrap();
    let second = send(PDF.to_vec()).await.unwrap();
    assert_eq!(second.status(), 201);
    assert_eq!(second.json::<Value>().await.unwrap(), first);
    let list: Value =
        app.get_as(&format!("/v1/applications/{id}/documents"), &me.token).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let res = send([PDF, b"changed"].concat()).await.unwrap();
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused").await;
}

#[actix_web::test]
async fn registration_and_admin_creates_honour_the_key_too() {
    let app = TestApp::spawn().await;
    let register = || {
        app.request(Method::POST, "/v1/auth/register")
            .header("Idempotency-Key", "signup-1")
            .json(&json!({"email": "once@example.mo", "password": crate::helpers::STRONG_PASSWORD, "full_name": "Once Only"}))
            .send()
    };
    let first = register().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    // Without the key the second attempt would be a 409; with it, the first answer comes back.
    let again = register().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);

    let admin = app.admin().await;
    let org = json!({"code": "idem-bureau", "kind": "government", "jurisdiction": "hengqin",
        "name": crate::helpers::t4("Bureau"), "description": crate::helpers::t4("D")});
    let create = || {
        app.request(Method::POST, "/v1/admin/organisations")
            .bearer_auth(&admin.token)
            .header("Idempotency-Key", "org-1")
            .json(&org)
            .send()
    };
    let a: Value = create().await.unwrap().json().await.unwrap();
    let b = create().await.unwrap();
    assert_eq!(b.status(), 201);
    assert_eq!(b.json::<Value>().await.unwrap()["id"], a["id"]);
}

#[actix_web::test]
async fn concurrent_duplicates_create_one_application() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, service) = app.test_service(&admin, "idem-race").await;
    let me = app.resident("double.tap@example.mo").await;
    let body = json!({"service_id": service, "form_data": {}});
    let calls = (0..8).map(|_| {
        app.request(Method::POST, "/v1/applications")
            .bearer_auth(&me.token)
            .header("Idempotency-Key", "tap")
            .json(&body)
            .send()
    });
    let mut statuses: Vec<u16> = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    statuses.sort();
    assert!(statuses.contains(&201) && statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    let mine: Value = app.get_as("/v1/applications", &me.token).await.json().await.unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
}

/// Sends a JSON POST whose body follows its headers only after a pause, as over a slow link, and
/// answers the status line, the lower-cased headers and the body.
async fn post_slowly(
    app: &crate::helpers::TestApp,
    path: &str,
    token: &str,
    key: &str,
    body: &str,
) -> (String, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nIdempotency-Key: {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let (status, headers) = head.split_once("\r\n").unwrap();
    (status.to_owned(), headers.to_ascii_lowercase(), body.to_owned())
}

#[actix_web::test]
async fn a_retried_note_is_stored_once_however_its_body_arrives() {
    let app = crate::helpers::spawn_demo().await;
    let resident = app.demo_resident().await;
    let (id, _) = app.submit_demo_booking(&resident.token).await;
    let officer = app.officer().await;
    let path = format!("/v1/org/applications/{id}/notes");
    // The body is still on its way while the handler's other extractors run.
    let note = || post_slowly(&app, &path, &officer.token, "note-1", r#"{"text": "checked"}"#);
    let (status, _, first) = note().await;
    assert!(status.contains(" 201 "), "{status}");
    let (status, headers, again) = note().await;
    assert!(status.contains(" 201 "), "{status}");
    assert!(headers.contains("idempotent-replayed: true"), "{headers}");
    assert_eq!(again, first);
}
