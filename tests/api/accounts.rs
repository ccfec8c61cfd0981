//! Residents and staff: registration, login, refresh rotation, logout, password change, sessions, roles.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{STRONG_PASSWORD, TestApp, assert_problem, spawn_demo};

#[actix_web::test]
async fn a_resident_registers_logs_in_and_sees_their_profile() {
    let app = TestApp::spawn().await;
    let res = app
        .post_json(
            "/v1/auth/register",
            &json!({"email": "Chan.TaiMan@Example.MO", "phone": "+853 6612 3456", "password": STRONG_PASSWORD,
                    "full_name": "陳大文", "preferred_language": "pt"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["location"], "/v1/me");
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["email"], "chan.taiman@example.mo");
    assert_eq!(created["phone"], "+85366123456");
    assert_eq!(created["role"], "resident");
    assert!(created.get("password_hash").is_none() && !created.to_string().contains("argon2"));

    // Either contact logs in, in any spelling that normalises to the stored one.
    let by_phone = app.session("6612 3456", STRONG_PASSWORD).await;
    let by_email = app.session("CHAN.TAIMAN@example.mo", STRONG_PASSWORD).await;
    assert_ne!(by_phone.session_id, by_email.session_id);
    let res = app.get_as("/v1/me", &by_phone.token).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["id"], created["id"]);
    assert_eq!(me["preferred_language"], "pt");

    let res = app
        .send_json(Method::PATCH, "/v1/me", Some(&by_phone.token), &json!({"full_name": "Chan Tai Man"}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["full_name"], "Chan Tai Man");
}

#[actix_web::test]
async fn registration_refuses_duplicates_and_reports_every_bad_field() {
    let app = TestApp::spawn().await;
    app.resident("taken@example.mo").await;
    let res = app
        .post_json(
            "/v1/auth/register",
            &json!({"email": "TAKEN@example.mo", "password": STRONG_PASSWORD, "full_name": "X"}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "login_taken").await;

    let res = app
        .post_json(
            "/v1/auth/register",
            &json!({"email": "not-an-email", "phone": "+1 555 0100", "password": "password1",
                    "full_name": "", "preferred_language": "fr"}),
        )
        .await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let errors: Vec<(String, String)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().into(), e["code"].as_str().unwrap().into()))
        .collect();
    for expected in [
        ("email", "invalid_email"),
        ("phone", "unsupported_country"),
        ("full_name", "required"),
        ("preferred_language", "unsupported_language"),
        ("password", "common_password"),
    ] {
        assert!(
            errors.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} missing in {errors:?}"
        );
    }
    for (password, code) in [("short1!", "too_short"), (&*"x".repeat(129), "too_long")] {
        let res = app
            .post_json(
                "/v1/auth/register",
                &json!({"email": "new@example.mo", "password": password, "full_name": "A B"}),
            )
            .await;
        let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(body["errors"][0]["code"], code);
    }
    let res =
        app.post_json("/v1/auth/register", &json!({"password": STRONG_PASSWORD, "full_name": "A B"})).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    // Wrong JSON shapes name the field; broken JSON and other media types are refused before any work.
    let res =
        app.post_json("/v1/auth/register", &json!({"email": 5, "password": "x", "full_name": "y"})).await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "email");
    let res = app
        .request(Method::POST, "/v1/auth/register")
        .header("content-type", "application/json")
        .body("{\"email\":")
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST, "malformed_request").await;
    let res = app
        .request(Method::POST, "/v1/auth/register")
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    let big = json!({"email": "a@example.mo", "password": "p".repeat(400_000), "full_name": "x"});
    assert_problem(
        app.post_json("/v1/auth/register", &big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
}

#[actix_web::test]
async fn unknown_accounts_and_wrong_passwords_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.resident("known@example.mo").await;
    let wrong = app.login("known@example.mo", "Not-The-Password-1").await;
    let unknown = app.login("nobody@example.mo", "Not-The-Password-1").await;
    assert_eq!(wrong.status(), unknown.status());
    let a = assert_problem(wrong, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let b = assert_problem(unknown, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    assert_eq!(a, b);
    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|(a, r)| a == "auth.login_failed" && *r == 401).count(), 2);
}

#[actix_web::test]
async fn refresh_tokens_rotate_and_a_reused_one_ends_the_whole_session() {
    let app = TestApp::spawn().await;
    let first = app.resident("rotate@example.mo").await;
    let res = app.post_json("/v1/auth/refresh", &json!({"refresh_token": first.refresh})).await;
    assert_eq!(res.status(), 200);
    let second: Value = res.json().await.unwrap();
    let second_refresh = second["refresh_token"].as_str().unwrap().to_owned();
    let second_access = second["access_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first.refresh);
    assert_eq!(second["session_id"], first.session_id.as_str());
    assert_eq!(app.get_as("/v1/me", &second_access).await.status(), 200);

    // Someone replays the first (already rotated) token: the family is revoked.
    let res = app.post_json("/v1/auth/refresh", &json!({"refresh_token": first.refresh})).await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let res = app.post_json("/v1/auth/refresh", &json!({"refresh_token": second_refresh})).await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(app.get_as("/v1/me", &second_access).await.status(), 401);
    assert!(app.audit_actions().await.iter().any(|(a, r)| a == "auth.refresh_reuse" && *r == 401));

    // Another login is a separate family and still works.
    let other = app.session("rotate@example.mo", STRONG_PASSWORD).await;
    assert_eq!(app.get_as("/v1/me", &other.token).await.status(), 200);
    let res = app.post_json("/v1/auth/refresh", &json!({"refresh_token": "made-up"})).await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[actix_web::test]
async fn logout_ends_the_session_for_refresh_and_access_alike() {
    let app = TestApp::spawn().await;
    let s = app.resident("logout@example.mo").await;
    assert_eq!(app.post_json("/v1/auth/logout", &json!({"refresh_token": s.refresh})).await.status(), 204);
    assert_eq!(app.get_as("/v1/me", &s.token).await.status(), 401);
    let res = app.post_json("/v1/auth/refresh", &json!({"refresh_token": s.refresh})).await;
    assert_eq!(res.status(), 401);
    // Logging out twice, or with an unknown token, is harmless.
    assert_eq!(app.post_json("/v1/auth/logout", &json!({"refresh_token": s.refresh})).await.status(), 204);
    assert!(app.audit_actions().await.iter().any(|(a, _)| a == "auth.logout"));
}

#[actix_web::test]
async fn changing_the_password_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    let phone = app.resident("pw@example.mo").await;
    let laptop = app.session("pw@example.mo", STRONG_PASSWORD).await;
    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let res = app
        .send_json(
            Method::PUT,
            "/v1/me/password",
            Some(&phone.token),
            &change("wrong-one-123", "Granite-Orchid-88"),
        )
        .await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "current_password");
    let res = app
        .send_json(Method::PUT, "/v1/me/password", Some(&phone.token), &change(STRONG_PASSWORD, "12345678"))
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let res = app
        .send_json(
            Method::PUT,
            "/v1/me/password",
            Some(&phone.token),
            &change(STRONG_PASSWORD, "Granite-Orchid-88"),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.get_as("/v1/me", &phone.token).await.status(), 200, "the calling session stays");
    assert_eq!(app.get_as("/v1/me", &laptop.token).await.status(), 401, "other sessions end at once");
    let res = app.post_json("/v1/auth/refresh", &json!({"refresh_token": laptop.refresh})).await;
    assert_eq!(res.status(), 401);
    assert_eq!(app.login("pw@example.mo", STRONG_PASSWORD).await.status(), 401);
    app.session("pw@example.mo", "Granite-Orchid-88").await;
    assert!(app.audit_actions().await.iter().any(|(a, _)| a == "auth.password_change"));
}

#[actix_web::test]
async fn sessions_are_listed_and_revocable_only_by_their_owner() {
    let app = TestApp::spawn().await;
    let a1 = app.resident("owner@example.mo").await;
    let a2 = app.session("owner@example.mo", STRONG_PASSWORD).await;
    let b = app.resident("stranger@example.mo").await;
    let list: Value = app.get_as("/v1/me/sessions?limit=1", &a1.token).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let cursor = list["next_cursor"].as_str().unwrap().to_owned();
    let rest: Value = app
        .get_as(&format!("/v1/me/sessions?limit=1&cursor={cursor}"), &a1.token)
        .await
        .json()
        .await
        .unwrap();
    let ids = [list["items"][0]["id"].clone(), rest["items"][0]["id"].clone()];
    assert!(ids.contains(&json!(a1.session_id)) && ids.contains(&json!(a2.session_id)));
    assert!(rest["next_cursor"].is_null());
    let current: Vec<&Value> =
        [&list["items"][0], &rest["items"][0]].into_iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], a1.session_id.as_str());

    // Someone else's session id answers exactly like a missing one.
    let foreign = app
        .request(Method::DELETE, &format!("/v1/me/sessions/{}", a2.session_id))
        .bearer_auth(&b.token)
        .send()
        .await
        .unwrap();
    let missing =
        app.request(Method::DELETE, "/v1/me/sessions/nope").bearer_auth(&b.token).send().await.unwrap();
    let f = assert_problem(foreign, StatusCode::NOT_FOUND, "not_found").await;
    let m = assert_problem(missing, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(f, m);
    assert_eq!(app.get_as("/v1/me", &a2.token).await.status(), 200);

    let res = app
        .request(Method::DELETE, &format!("/v1/me/sessions/{}", a2.session_id))
        .bearer_auth(&a1.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.get_as("/v1/me", &a2.token).await.status(), 401);
    let res = app.get_as("/v1/me/sessions?limit=0", &a1.token).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res = app.get_as("/v1/me/sessions?cursor=garbage", &a1.token).await;
    assert_problem(res, StatusCode::BAD_REQUEST, "malformed_request").await;
}

#[actix_web::test]
async fn roles_decide_what_each_caller_may_do() {
    let app = spawn_demo().await;
    let admin = app.admin().await;
    let resident = app.resident("roles@example.mo").await;
    let org = app.org_id("hq-entry-exit").await;
    let staff = |role: &str, org: Option<&str>, email: &str| json!({"email": email, "password": "Harbour-Lantern-77", "full_name": "Ho Weng Kit", "role": role, "organisation_id": org});
    let res = app
        .send_json(
            Method::POST,
            "/v1/admin/staff",
            Some(&resident.token),
            &staff("officer", Some(&org), "o1@example.gov.mo"),
        )
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app
        .send_json(Method::POST, "/v1/admin/staff", None, &staff("officer", Some(&org), "o1@example.gov.mo"))
        .await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let res = app
        .send_json(
            Method::POST,
            "/v1/admin/staff",
            Some(&admin.token),
            &staff("officer", Some(&org), "o1@example.gov.mo"),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/v1/admin/staff/"));
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["organisation_id"], org.as_str());
    let res = app
        .send_json(
            Method::POST,
            "/v1/admin/staff",
            Some(&admin.token),
            &staff("admin", Some(&org), "a2@example.gov.mo"),
        )
        .await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "organisation_id");
    let res = app
        .send_json(
            Method::POST,
            "/v1/admin/staff",
            Some(&admin.token),
            &staff("officer", None, "o2@example.gov.mo"),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res = app
        .send_json(
            Method::POST,
            "/v1/admin/staff",
            Some(&admin.token),
            &staff("officer", Some("no-such-org"), "o3@example.gov.mo"),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    // Admin actions are audited, the refused ones too, with their status.
    let actions = app.audit_actions().await;
    assert!(actions.contains(&("staff.create".into(), 201)), "{actions:?}");
    assert!(actions.contains(&("staff.create".into(), 422)), "{actions:?}");

    // The officer logs in with the same operation and carries the organisation in the token.
    let officer = app.session("o1@example.gov.mo", "Harbour-Lantern-77").await;
    let me: Value = app.get_as("/v1/me", &officer.token).await.json().await.unwrap();
    assert_eq!(me["role"], "officer");
    // Staff may not use resident-only operations.
    let res = app.get_as("/v1/me/identity-documents", &officer.token).await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
}

#[actix_web::test]
async fn a_session_ended_on_one_instance_stops_working_on_the_others_within_seconds() {
    let a = TestApp::spawn().await;
    let b = a.sibling().await;
    let s = a.resident("two.instances@example.mo").await;
    assert_eq!(b.get_as("/v1/me", &s.token).await.status(), 200, "tokens from one instance work on another");
    assert_eq!(a.post_json("/v1/auth/logout", &json!({"refresh_token": s.refresh})).await.status(), 204);
    assert_eq!(a.get_as("/v1/me", &s.token).await.status(), 401, "at once where it happened");
    let started = std::time::Instant::now();
    crate::helpers::eventually("the other instance refuses the ended session", || async {
        (b.get_as("/v1/me", &s.token).await.status() == 401).then_some(())
    })
    .await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "still accepted after 5 s elsewhere");
}

/// Sends `body` as raw JSON text.
async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: &'static str,
) -> reqwest::Response {
    app.request(method, path)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn the_kind_of_caller_is_judged_before_a_broken_body_on_own_account_operations() {
    let app = spawn_demo().await;
    let admin = app.admin().await;
    let org = app.org_id("hq-lianhai-bank").await;
    let client: Value = app
        .send_json(
            Method::POST,
            "/v1/admin/api-clients",
            Some(&admin.token),
            &json!({"organisation_id": org, "name": "Teller", "scopes": ["applications:read"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let res = app
        .request(Method::POST, "/v1/oauth/token")
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client["client_id"].as_str().unwrap()),
            ("client_secret", client["client_secret"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    let client_token = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    let officer = app.officer().await;

    // API clients are not people: 403 even when the body is broken (it used to be 400).
    for (method, path) in [(Method::PATCH, "/v1/me"), (Method::PUT, "/v1/me/password")] {
        let res = raw(&app, method, path, &client_token, "[oops").await;
        assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    }
    // Identity documents are for residents only: staff hear 403 before their body is read.
    let res = raw(&app, Method::POST, "/v1/me/identity-documents", &officer.token, "[oops").await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    // Without a token, 401 whatever the body.
    let res = app.request(Method::PATCH, "/v1/me").body("[oops").send().await.unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // The right caller with a broken body hears about the body.
    let res = raw(&app, Method::PATCH, "/v1/me", &officer.token, "[oops").await;
    assert_problem(res, StatusCode::BAD_REQUEST, "malformed_request").await;
}

#[actix_web::test]
async fn own_account_requests_leave_one_audit_row_each_allowed_or_refused() {
    let app = spawn_demo().await;
    let me = app.resident("audited.self@example.mo").await;
    let other = app.session("audited.self@example.mo", STRONG_PASSWORD).await;
    app.resident("taken.contact@example.mo").await;
    let officer = app.officer().await;
    let before = app.audit_actions().await.len();

    let res =
        app.send_json(Method::PATCH, "/v1/me", Some(&me.token), &json!({"full_name": "Audited Self"})).await;
    assert_eq!(res.status(), 200);
    // Contacts change only with a password and a code (contacts.rs): the profile refuses them.
    let update = json!({"email": "taken.contact@example.mo"});
    let res = app.send_json(Method::PATCH, "/v1/me", Some(&me.token), &update).await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "contact_change_required");
    let doc = json!({"kind": "macao_id", "number": "1234567(3)"});
    let res = app.send_json(Method::POST, "/v1/me/identity-documents", Some(&me.token), &doc).await;
    assert_eq!(res.status(), 201);
    let res = app.send_json(Method::POST, "/v1/me/identity-documents", Some(&officer.token), &doc).await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let revoke = |sid: &str| format!("/v1/me/sessions/{sid}");
    let res = app.request(Method::DELETE, &revoke("missing")).bearer_auth(&me.token).send().await.unwrap();
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res =
        app.request(Method::DELETE, &revoke(&other.session_id)).bearer_auth(&me.token).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.get_as("/v1/me/export", &me.token).await.status(), 200);
    assert_problem(app.get_as("/v1/me/export", &officer.token).await, StatusCode::FORBIDDEN, "forbidden")
        .await;
    let res = app.request(Method::DELETE, "/v1/me").bearer_auth(&me.token).send().await.unwrap();
    assert_eq!(res.status(), 204);

    let actions = app.audit_actions().await;
    let expected: Vec<(String, i32)> = [
        ("account.update", 200),
        ("account.update", 422),
        ("identity_document.add", 201),
        ("identity_document.add", 403),
        ("auth.session_revoke", 404),
        ("auth.session_revoke", 204),
        ("account.export", 200),
        ("account.export", 403),
        ("account.delete", 204),
    ]
    .into_iter()
    .map(|(a, r)| (a.to_owned(), r))
    .collect();
    assert_eq!(actions[before..].to_vec(), expected);
}
