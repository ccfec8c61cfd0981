//! Login throttling slows attackers per account and address without locking the owner out.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{STRONG_PASSWORD, TestApp, assert_problem};

async fn login_from(app: &TestApp, ip: &str, login: &str, password: &str) -> reqwest::Response {
    app.request(Method::POST, "/v1/auth/login")
        .header("X-Forwarded-For", ip)
        .json(&json!({"login": login, "password": password}))
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn failures_from_one_address_block_it_but_the_owner_logs_in_elsewhere() {
    let app = TestApp::spawn_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.login_max_failures_per_account = 3;
        c.login_max_failures_per_address = 6;
    })
    .await;
    app.resident("victim@example.mo").await;
    for _ in 0..3 {
        let res = login_from(&app, "203.0.113.9", "victim@example.mo", "Guess-Number-One").await;
        assert_problem(res, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    // Blocked for this account from this address, even with the right password.
    let res = login_from(&app, "203.0.113.9", "victim@example.mo", STRONG_PASSWORD).await;
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry));
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // The owner, from their own address, is not affected.
    let res = login_from(&app, "198.51.100.20", "victim@example.mo", STRONG_PASSWORD).await;
    assert_eq!(res.status(), 200);

    // The attacking address is limited across accounts too.
    for i in 0..3 {
        let res =
            login_from(&app, "203.0.113.9", &format!("someone{i}@example.mo"), "Guess-Number-One").await;
        assert_eq!(res.status(), 401);
    }
    let res = login_from(&app, "203.0.113.9", "fresh@example.mo", "Guess-Number-One").await;
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[actix_web::test]
async fn forwarded_addresses_are_ignored_from_untrusted_peers() {
    let app = TestApp::spawn_with(|c| c.login_max_failures_per_account = 2).await;
    app.resident("spoof@example.mo").await;
    // Without a trusted proxy, rotating X-Forwarded-For does not dodge the per-address counter.
    for ip in ["192.0.2.1", "192.0.2.2"] {
        assert_eq!(login_from(&app, ip, "spoof@example.mo", "Wrong-Password-9").await.status(), 401);
    }
    let res = login_from(&app, "192.0.2.3", "spoof@example.mo", "Wrong-Password-9").await;
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[actix_web::test]
async fn a_burst_of_parallel_guesses_gets_no_more_tries_than_the_limit() {
    let app = TestApp::spawn_with(|c| c.login_max_failures_per_account = 3).await;
    app.resident("burst@example.mo").await;
    let guesses = (0..12).map(|i| {
        login_from(
            &app,
            "198.51.100.7",
            "burst@example.mo",
            if i == 11 { STRONG_PASSWORD } else { "Wrong-Guess-000" },
        )
    });
    let statuses: Vec<u16> =
        futures_util::future::join_all(guesses).await.iter().map(|r| r.status().as_u16()).collect();
    let checked = statuses.iter().filter(|s| **s != 429).count();
    assert!(checked <= 3, "{checked} attempts reached the password check: {statuses:?}");
    assert!(statuses.contains(&429));
}
