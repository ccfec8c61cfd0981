//! Authentication under attack: registration floods, a saturated hashing pool, guessing through a
//! stolen token or from many addresses, the audit of every authentication event, secret rotation and
//! the start-up admin.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, STRONG_PASSWORD, TestApp, assert_problem, eventually, spawn_demo};

fn register_body(email: &str) -> Value {
    json!({"email": email, "password": STRONG_PASSWORD, "full_name": "Chan Siu Ming"})
}

async fn register_from(app: &TestApp, ip: &str, email: &str) -> reqwest::Response {
    app.request(Method::POST, "/v1/auth/register")
        .header("X-Forwarded-For", ip)
        .json(&register_body(email))
        .send()
        .await
        .unwrap()
}

async fn login_from(app: &TestApp, ip: &str, login: &str, password: &str) -> reqwest::Response {
    app.request(Method::POST, "/v1/auth/login")
        .header("X-Forwarded-For", ip)
        .json(&json!({"login": login, "password": password}))
        .send()
        .await
        .unwrap()
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()["retry-after"].to_str().unwrap().parse().unwrap()
}

#[actix_web::test]
async fn a_taken_contact_is_refused_before_any_password_is_hashed() {
    let app = TestApp::spawn().await;
    assert_eq!(app.post_json("/v1/auth/register", &register_body("taken@example.mo")).await.status(), 201);
    let before = app.state.hasher.jobs_run();
    let res = app.post_json("/v1/auth/register", &register_body("taken@example.mo")).await;
    assert_problem(res, StatusCode::CONFLICT, "login_taken").await;
    assert_eq!(app.state.hasher.jobs_run(), before, "no hash for a registration that cannot succeed");
}

#[actix_web::test]
async fn registrations_are_limited_per_address() {
    let app = TestApp::spawn_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.register_max_per_address = 2;
    })
    .await;
    for i in 0..2 {
        let res = register_from(&app, "203.0.113.50", &format!("flood{i}@example.mo")).await;
        assert_eq!(res.status(), 201);
    }
    let res = register_from(&app, "203.0.113.50", "flood2@example.mo").await;
    assert!((1..=3600).contains(&retry_after(&res)));
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Probing for taken contacts is counted too, and other addresses are not affected.
    let res = register_from(&app, "203.0.113.50", "flood0@example.mo").await;
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_eq!(register_from(&app, "198.51.100.50", "elsewhere@example.mo").await.status(), 201);
}

#[actix_web::test]
async fn a_full_hashing_queue_answers_503_with_retry_after_instead_of_waiting() {
    let app = TestApp::spawn_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.hash_threads = 1;
        c.hash_queue = 0;
    })
    .await;
    let attempts = (0..12).map(|i| {
        let app = &app;
        async move {
            let res =
                login_from(app, &format!("192.0.2.{}", i + 1), &format!("n{i}@example.mo"), "Wrong-Pass-1")
                    .await;
            let status = res.status();
            let retry = res.headers().get("retry-after").is_some();
            let body: Value = res.json().await.unwrap();
            (status, retry, body["code"].as_str().unwrap_or_default().to_owned())
        }
    });
    let outcomes = futures_util::future::join_all(attempts).await;
    let refused: Vec<_> = outcomes.iter().filter(|(s, _, _)| *s == StatusCode::SERVICE_UNAVAILABLE).collect();
    assert!(!refused.is_empty(), "{outcomes:?}");
    assert!(refused.iter().all(|(_, retry, code)| *retry && code == "service_unavailable"), "{outcomes:?}");
    assert!(outcomes.iter().all(|(s, _, _)| [401, 503].contains(&s.as_u16())), "{outcomes:?}");
    // Refused attempts were never checked, so they count against nobody.
    let checked = outcomes.iter().filter(|(s, _, _)| *s == StatusCode::UNAUTHORIZED).count() as i32;
    let counted: Vec<i32> = app
        .db(|c| {
            use diesel::prelude::*;
            use qinaotong::db::schema::login_throttle::dsl as t;
            t::login_throttle.filter(t::key.like("addr:%")).select(t::failures).load(c).unwrap()
        })
        .await;
    assert_eq!(counted.iter().sum::<i32>(), checked, "{counted:?}");
    // Once the storm has passed, hashing works again.
    assert_eq!(login_from(&app, "192.0.2.99", "n0@example.mo", "Wrong-Pass-1").await.status(), 401);
}

#[actix_web::test]
async fn guessing_the_current_password_with_a_stolen_token_is_throttled_like_a_login() {
    let app = TestApp::spawn_with(|c| c.login_max_failures_per_account = 3).await;
    let session = app.resident("stolen@example.mo").await;
    let change = |current: &str| json!({"current_password": current, "new_password": "Granite-Orchid-88"});
    for _ in 0..3 {
        let res = app
            .send_json(Method::PUT, "/v1/me/password", Some(&session.token), &change("Guess-1234-x"))
            .await;
        let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(body["errors"][0]["code"], "wrong_password");
    }
    let res =
        app.send_json(Method::PUT, "/v1/me/password", Some(&session.token), &change(STRONG_PASSWORD)).await;
    assert!(retry_after(&res) >= 1);
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // The same counters as logins: this address is blocked for the account there too.
    let res = app.login("stolen@example.mo", STRONG_PASSWORD).await;
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[actix_web::test]
async fn failures_from_many_addresses_shrink_each_budget_but_the_owner_still_logs_in() {
    let app = TestApp::spawn_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.login_max_failures_per_account = 10;
        c.login_max_failures_per_account_all_addresses = 4;
    })
    .await;
    app.resident("target@example.mo").await;
    for i in 1..=4 {
        let res = login_from(&app, &format!("203.0.113.{i}"), "target@example.mo", "Guess-Word-1").await;
        assert_eq!(res.status(), 401);
    }
    // A fresh address now gets a fifth of the usual ten tries.
    for _ in 0..2 {
        let res = login_from(&app, "203.0.113.77", "target@example.mo", "Guess-Word-1").await;
        assert_eq!(res.status(), 401);
    }
    let res = login_from(&app, "203.0.113.77", "target@example.mo", "Guess-Word-1").await;
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // The owner, from an address without failures, is not locked out.
    assert_eq!(login_from(&app, "198.51.100.8", "target@example.mo", STRONG_PASSWORD).await.status(), 200);
}

#[actix_web::test]
async fn ipv6_callers_are_counted_per_64_network() {
    let app = TestApp::spawn_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.login_max_failures_per_account = 2;
    })
    .await;
    app.resident("v6@example.mo").await;
    for ip in ["2001:db8:1:2::1", "2001:db8:1:2::2"] {
        assert_eq!(login_from(&app, ip, "v6@example.mo", "Guess-Word-1").await.status(), 401);
    }
    let res = login_from(&app, "2001:db8:1:2:ffff:ffff:ffff:ffff", "v6@example.mo", STRONG_PASSWORD).await;
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_eq!(login_from(&app, "2001:db8:1:3::1", "v6@example.mo", STRONG_PASSWORD).await.status(), 200);
}

#[actix_web::test]
async fn successful_refreshes_and_wrong_reset_codes_are_audited() {
    let app = TestApp::spawn().await;
    let session = app.resident("audited@example.mo").await;
    let res = app.post_json("/v1/auth/refresh", &json!({"refresh_token": session.refresh})).await;
    assert_eq!(res.status(), 200);
    assert!(app.audit_actions().await.iter().any(|(a, _)| a == "auth.refresh"));

    assert_eq!(
        app.post_json("/v1/auth/password-reset", &json!({"login": "audited@example.mo"})).await.status(),
        202
    );
    for login in ["audited@example.mo", "nobody@example.mo"] {
        let body = json!({"login": login, "code": "12345678", "password": "Granite-Orchid-88"});
        let res = app.post_json("/v1/auth/password-reset/confirm", &body).await;
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
    let failed: Vec<i32> = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|(a, _)| a == "auth.password_reset_failed")
        .map(|(_, result)| result)
        .collect();
    assert_eq!(failed, vec![422, 422], "one row per wrong code, known account or not");
}

async fn client_token(app: &TestApp, client_id: &str, secret: &str) -> String {
    let res = app
        .request(Method::POST, "/v1/oauth/token")
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn rotating_a_secret_ends_the_tokens_of_the_old_one_on_every_instance() {
    let app = spawn_demo().await;
    let sibling = app.sibling().await;
    let admin = app.admin().await;
    let org = app.org_id("hq-lianhai-bank").await;
    let client = app.api_client(&admin, &org, &["applications:read"]).await;
    let (ref_id, client_id) = (client["id"].as_str().unwrap(), client["client_id"].as_str().unwrap());
    let old = client_token(&app, client_id, client["client_secret"].as_str().unwrap()).await;
    assert_eq!(app.get_as("/v1/org/applications", &old).await.status(), 200);
    assert_eq!(sibling.get_as("/v1/org/applications", &old).await.status(), 200);

    let res = app
        .request(Method::POST, &format!("/v1/admin/api-clients/{ref_id}/rotate-secret"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let secret = res.json::<Value>().await.unwrap()["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(app.get_as("/v1/org/applications", &old).await.status(), 401, "at once on this instance");
    eventually("the other instance refuses the old token", || async {
        (sibling.get_as("/v1/org/applications", &old).await.status() == 401).then_some(())
    })
    .await;
    let new = client_token(&sibling, client_id, &secret).await;
    assert_eq!(app.get_as("/v1/org/applications", &new).await.status(), 200);
    assert_eq!(sibling.get_as("/v1/org/applications", &new).await.status(), 200);
}

#[actix_web::test]
async fn a_disabled_start_up_admin_stays_disabled_after_a_restart() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let bootstrap: Value = app.get_as("/v1/me", &admin.token).await.json().await.unwrap();
    let res = app
        .send_json(
            Method::POST,
            "/v1/admin/staff",
            Some(&admin.token),
            &json!({"email": "second.admin@qinaotong.example", "password": STRONG_PASSWORD,
                "full_name": "Lei Ka Man", "role": "admin"}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let second = app.session("second.admin@qinaotong.example", STRONG_PASSWORD).await;
    let res = app
        .request(Method::POST, &format!("/v1/admin/staff/{}/disable", bootstrap["id"].as_str().unwrap()))
        .bearer_auth(&second.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // A restart with QAT_ADMIN_EMAIL still set neither re-enables nor re-creates it.
    let restarted = app.sibling().await;
    let res = restarted.login(ADMIN_EMAIL, qinaotong::config::DEV_ADMIN_PASSWORD).await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let admins: i64 = restarted
        .db(|c| {
            use diesel::prelude::*;
            use qinaotong::db::schema::accounts::dsl as a;
            a::accounts.filter(a::email.eq(ADMIN_EMAIL)).count().get_result(c).unwrap()
        })
        .await;
    assert_eq!(admins, 1);
}
