//! Operations endpoints and the error conventions every endpoint shares.

use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, assert_problem};

#[actix_web::test]
async fn health_and_readiness_answer_and_echo_the_request_id() {
    let app = TestApp::spawn().await;
    let res =
        app.request(Method::GET, "/healthz").header("X-Request-Id", "trace-abc-123").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-request-id"], "trace-abc-123");
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["status"], "ok");

    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    // Without a usable request id the server makes one.
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 36);
    let res = app
        .request(Method::GET, "/healthz")
        .header("X-Request-Id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["x-request-id"], "bad id with spaces");
}

#[actix_web::test]
async fn metrics_count_requests_by_route_pattern_and_status() {
    let app = TestApp::spawn().await;
    app.get("/healthz").await;
    app.get("/healthz").await;
    app.get("/no/such/route").await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = res.text().await.unwrap();
    assert!(
        text.contains(r#"qat_http_requests_total{method="GET",route="/healthz",status="200"} 2"#),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404"} 1"#), "{text}");
    assert!(text.contains("qat_http_request_duration_seconds_bucket"));
    assert!(text.contains(r#"qat_db_pool_connections{state="idle"}"#));
}

/// On PostgreSQL the workers' own read connections show in `/metrics` once reads opened them; SQLite
/// reads through the pool and has no such gauge.
#[actix_web::test]
async fn metrics_show_the_workers_read_connections_on_postgresql() {
    let app = TestApp::spawn().await;
    let resident = app.resident("metrics.reader@example.mo").await;
    for _ in 0..4 {
        assert_eq!(app.get_as("/v1/me", &resident.token).await.status(), 200);
    }
    let text = app.get("/metrics").await.text().await.unwrap();
    let open = text
        .lines()
        .find_map(|l| l.strip_prefix("qat_db_read_connections "))
        .map(|n| n.parse::<usize>().unwrap());
    if crate::helpers::postgres_url().is_some() {
        // One worker in tests, two connections each by default; four reads went round both.
        assert_eq!(open, Some(2), "{text}");
    } else {
        assert_eq!(open, None, "{text}");
    }
}

#[actix_web::test]
async fn unknown_routes_and_wrong_methods_get_problem_documents() {
    let app = TestApp::spawn().await;
    assert_problem(app.get("/v1/nothing-here").await, StatusCode::NOT_FOUND, "not_found").await;

    let res = app.request(Method::DELETE, "/healthz").send().await.unwrap();
    assert_eq!(res.headers()["allow"], "GET");
    assert_problem(res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;

    let trace = Method::from_bytes(b"TRACE").unwrap();
    let res = app.request(trace, "/readyz").send().await.unwrap();
    assert_problem(res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
}

#[actix_web::test]
async fn authenticated_requests_are_never_cached() {
    let app = TestApp::spawn().await;
    let res = app.request(Method::GET, "/healthz").bearer_auth("anything").send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
}

#[actix_web::test]
async fn every_answer_is_hardened_and_the_docs_page_cannot_be_framed() {
    let app = TestApp::spawn().await;
    // Anonymous API answers are not cached either: the catalogue and errors alike.
    for path in ["/v1/organisations", "/v1/nothing-here"] {
        let res = app.get(path).await;
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
    }
    let res = app.get("/healthz").await;
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers().get("strict-transport-security").is_none(), "HSTS only when configured");
    let res = app.get("/docs/").await;
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");

    let tls = TestApp::spawn_with(|c| c.hsts = true).await;
    let res = tls.get("/healthz").await;
    assert!(res.headers()["strict-transport-security"].to_str().unwrap().starts_with("max-age="));
}

#[actix_web::test]
async fn metrics_need_the_configured_token_and_made_up_methods_share_one_label() {
    let token = "scrape-token-0123456789";
    let app = TestApp::spawn_with(|c| {
        c.metrics_token = Some(qinaotong::config::Secret::new(token.to_owned()));
    })
    .await;
    for m in ["FOO", "BAR", "QUUX"] {
        let res = app.request(Method::from_bytes(m.as_bytes()).unwrap(), "/healthz").send().await.unwrap();
        assert_eq!(res.status(), 405, "{m}");
    }
    assert_problem(app.get("/metrics").await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let res = app.request(Method::GET, "/metrics").bearer_auth("wrong").send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = app.request(Method::GET, "/metrics").bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(text.contains(r#"method="OTHER",route="/healthz",status="405"} 3"#), "{text}");
    assert!(!text.contains("FOO") && !text.contains("QUUX"));
}

#[actix_web::test]
async fn oversized_request_heads_are_refused_with_a_problem() {
    let app = TestApp::spawn().await;
    let res =
        app.request(Method::GET, "/healthz").header("x-filler", "a".repeat(17 * 1024)).send().await.unwrap();
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_problem(res, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large").await;
    let res =
        app.request(Method::GET, "/healthz").header("x-filler", "a".repeat(8 * 1024)).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[actix_web::test]
async fn every_caller_has_a_request_budget_reported_in_headers() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit_per_minute = 3;
        c.rate_limit_anonymous_per_minute = 3;
    })
    .await;
    // Logging in is an anonymous request too: the first of the address's three.
    let admin = app.session(crate::helpers::ADMIN_EMAIL, qinaotong::config::DEV_ADMIN_PASSWORD).await;
    let res = app.get("/v1/organisations").await;
    assert_eq!(res.headers()["ratelimit-policy"], "\"default\";q=3;w=60");
    assert!(res.headers()["ratelimit"].to_str().unwrap().starts_with("\"default\";r=1;t="));
    assert_eq!(app.get("/v1/services").await.status(), 200);
    let res = app.get("/v1/organisations").await;
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Operations endpoints are never limited.
    assert_eq!(app.get("/healthz").await.status(), 200);

    // A caller with a valid token has a budget of its own, apart from its address.
    for _ in 0..3 {
        assert_eq!(app.get_as("/v1/me", &admin.token).await.status(), 200);
    }
    let res = app.get_as("/v1/me", &admin.token).await;
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}
