//! Admin operations: only admins may use them, which is decided before the body or the object is
//! looked at, and every request to them is audited, refusals included.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{AuditRow, TestApp, assert_problem, spawn_demo, test_form};

fn row(action: &str, result: i32, actor_type: &str, target: Option<(&str, &str)>) -> AuditRow {
    AuditRow {
        action: action.to_owned(),
        result,
        actor_type: actor_type.to_owned(),
        target_type: target.map(|t| t.0.to_owned()),
        target_id: target.map(|t| t.1.to_owned()),
    }
}

#[actix_web::test]
async fn a_resident_is_refused_before_the_body_is_read_and_the_refusal_is_audited() {
    let app = TestApp::spawn().await;
    let resident = app.resident("not.an.admin@example.mo").await;
    let before = app.audit_rows().await.len();
    let broken = |path: &str| {
        app.request(Method::POST, path)
            .bearer_auth(&resident.token)
            .header("content-type", "application/json")
            .body("[oops")
            .send()
    };

    let res = broken("/v1/admin/organisations").await.unwrap();
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = broken("/v1/admin/services/some-service/versions").await.unwrap();
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = broken("/v1/admin/staff").await.unwrap();
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = broken("/v1/admin/api-clients").await.unwrap();
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = broken("/v1/admin/api-clients/some-client/revoke").await.unwrap();
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    // Query strings too: the caller comes before a bad filter (this was 400).
    let res = app.get_as("/v1/admin/audit-events?since=garbage", &resident.token).await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    // No token: 401 whatever the body.
    let res = app.request(Method::POST, "/v1/admin/organisations").body("[oops").send().await.unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let rows = app.audit_rows().await;
    assert_eq!(
        rows[before..].to_vec(),
        vec![
            row("organisation.create", 403, "resident", None),
            row("service.version_create", 403, "resident", Some(("service", "some-service"))),
            row("staff.create", 403, "resident", None),
            row("api_client.create", 403, "resident", None),
            row("api_client.revoke", 403, "resident", Some(("api_client", "some-client"))),
            row("audit.list", 403, "resident", Some(("query", "since=garbage"))),
        ],
        "one row per refused request; none without a caller"
    );
}

#[actix_web::test]
async fn a_missing_service_is_not_found_before_its_new_version_is_read() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, service) = app.test_service(&admin, "precedence-service").await;
    let broken = |path: String| {
        app.request(Method::POST, &path)
            .bearer_auth(&admin.token)
            .header("content-type", "application/json")
            .body("[oops")
            .send()
    };
    let res = broken("/v1/admin/services/missing/versions".into()).await.unwrap();
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = broken(format!("/v1/admin/services/{service}/versions")).await.unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST, "malformed_request").await;
    let res = app
        .send_json(
            Method::POST,
            "/v1/admin/services/missing/versions",
            Some(&admin.token),
            &json!({"form": 1}),
        )
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[actix_web::test]
async fn catalogue_changes_are_audited_with_what_they_created() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (org, service) = app.test_service(&admin, "audited-service").await;
    let res = app
        .send_json(
            Method::POST,
            &format!("/v1/admin/services/{service}/versions"),
            Some(&admin.token),
            &json!({"form": test_form()}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let publish = format!("/v1/admin/services/{service}/versions/2/publish");
    let res = app.request(Method::POST, &publish).bearer_auth(&admin.token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.request(Method::POST, &publish).bearer_auth(&admin.token).send().await.unwrap();
    assert_problem(res, StatusCode::CONFLICT, "version_not_draft").await;
    let res = app
        .send_json(Method::POST, "/v1/admin/organisations", Some(&admin.token), &json!({"code": "X"}))
        .await;
    assert_eq!(res.status(), 422);

    let rows: Vec<AuditRow> =
        app.audit_rows().await.into_iter().filter(|r| !r.action.starts_with("auth.")).collect();
    assert_eq!(
        rows,
        vec![
            row("organisation.create", 201, "staff", Some(("organisation", &org))),
            row("service.create", 201, "staff", Some(("service", &service))),
            row("service.version_create", 201, "staff", Some(("service", &service))),
            row("service.version_publish", 200, "staff", Some(("service", &service))),
            row("service.version_publish", 409, "staff", Some(("service", &service))),
            row("organisation.create", 422, "staff", None),
        ]
    );
}

#[actix_web::test]
async fn a_code_is_used_once_and_a_service_needs_an_existing_organisation() {
    let app = spawn_demo().await;
    let admin = app.admin().await;
    let (org, _) = app.test_service(&admin, "unique-service").await;
    let res = app
        .send_json(
            Method::POST,
            "/v1/admin/organisations",
            Some(&admin.token),
            &json!({"code": "unique-service-org", "kind": "business", "jurisdiction": "hengqin",
                "name": crate::helpers::t4("Again"), "description": crate::helpers::t4("Again")}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "already_exists").await;
    let service = |org: &str, code: &str, currency: &str| {
        json!({"organisation_id": org, "code": code, "category": "travel",
            "name": crate::helpers::t4("S"), "description": crate::helpers::t4("D"),
            "instructions": crate::helpers::t4("I"), "eligibility": crate::helpers::t4("E"),
            "fee_currency": currency, "sla_days": 5, "form": test_form()})
    };
    let res = app
        .send_json(
            Method::POST,
            "/v1/admin/services",
            Some(&admin.token),
            &service(&org, "unique-service", "CNY"),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "already_exists").await;
    let res = app
        .send_json(
            Method::POST,
            "/v1/admin/services",
            Some(&admin.token),
            &service("nope", "other-service", "MOP"),
        )
        .await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "organisation_id");
    let res = app
        .send_json(
            Method::POST,
            "/v1/admin/services",
            Some(&admin.token),
            &service(&org, "other-service", "USD"),
        )
        .await;
    let body: Value = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "fee_currency");
    let res = app
        .send_json(
            Method::POST,
            "/v1/admin/services",
            Some(&admin.token),
            &service(&org, "cny-service", "CNY"),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let detail: Value = app.get(&format!("/v1/services/{id}")).await.json().await.unwrap();
    assert_eq!(detail["fee"], json!({"amount": 0, "currency": "CNY"}));
}

#[actix_web::test]
async fn account_and_client_changes_are_audited_with_their_targets_and_creates_replay() {
    let app = spawn_demo().await;
    let admin = app.admin().await;
    let org = app.org_id("hq-lianhai-bank").await;
    let before = app.audit_rows().await.len();
    let staff = json!({"email": "replayed.officer@example.gov.mo", "password": "Harbour-Lantern-77",
        "full_name": "Lam Ka Po", "role": "officer", "organisation_id": org});
    let create_staff = || {
        app.request(Method::POST, "/v1/admin/staff")
            .bearer_auth(&admin.token)
            .header("Idempotency-Key", "staff-1")
            .json(&staff)
            .send()
    };
    let first = create_staff().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = create_staff().await.unwrap();
    assert_eq!(
        (again.status(), again.headers()["idempotent-replayed"].to_str().unwrap()),
        (StatusCode::CREATED, "true")
    );
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    // Without the key it is the same email again.
    let res = app.send_json(Method::POST, "/v1/admin/staff", Some(&admin.token), &staff).await;
    assert_problem(res, StatusCode::CONFLICT, "login_taken").await;
    let account = first["id"].as_str().unwrap().to_owned();
    let res = app
        .request(Method::POST, &format!("/v1/admin/staff/{account}/disable"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let client = json!({"organisation_id": org, "name": "Ledger", "scopes": ["applications:read", "applications:read"]});
    let create_client = || {
        app.request(Method::POST, "/v1/admin/api-clients")
            .bearer_auth(&admin.token)
            .header("Idempotency-Key", "client-1")
            .json(&client)
            .send()
    };
    let first: Value = create_client().await.unwrap().json().await.unwrap();
    assert_eq!(first["scopes"], json!(["applications:read"]));
    let again: Value = create_client().await.unwrap().json().await.unwrap();
    assert_eq!(again, first, "the replay shows the same secret");
    let (client_ref, client_id) =
        (first["id"].as_str().unwrap().to_owned(), first["client_id"].as_str().unwrap().to_owned());
    for action in ["rotate-secret", "revoke"] {
        let res = app
            .request(Method::POST, &format!("/v1/admin/api-clients/{client_ref}/{action}"))
            .bearer_auth(&admin.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let res = app
        .request(Method::POST, &format!("/v1/admin/api-clients/{client_ref}/rotate-secret"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;

    let rows = app.audit_rows().await;
    assert_eq!(
        rows[before..].to_vec(),
        vec![
            row("staff.create", 201, "staff", Some(("account", &account))),
            row("staff.create", 201, "staff", None),
            row("staff.create", 409, "staff", None),
            row("staff.disable", 200, "staff", Some(("account", &account))),
            row("api_client.create", 201, "staff", Some(("api_client", &client_id))),
            row("api_client.create", 201, "staff", None),
            row("api_client.rotate_secret", 200, "staff", Some(("api_client", &client_ref))),
            row("api_client.revoke", 200, "staff", Some(("api_client", &client_ref))),
            row("api_client.rotate_secret", 404, "staff", Some(("api_client", &client_ref))),
        ],
        "replays are audited too, without running the create"
    );
}

#[actix_web::test]
async fn the_access_log_is_refused_to_staff_before_its_query_is_read() {
    let app = spawn_demo().await;
    let officer = app.officer().await;
    // This was 422 (the language) and 400 (the cursor): the kind of caller is judged first now.
    let res = app.get_as("/v1/me/access-log?lang=xx", &officer.token).await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app.get_as("/v1/me/access-log?cursor=garbage", &officer.token).await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let resident = app.demo_resident().await;
    let res = app.get_as("/v1/me/access-log?lang=xx", &resident.token).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res = app.get_as("/v1/me/access-log?cursor=garbage", &resident.token).await;
    assert_problem(res, StatusCode::BAD_REQUEST, "malformed_request").await;
}

#[actix_web::test]
async fn an_audit_search_is_audited_once_with_its_query() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let before = app.audit_rows().await.len();
    let res = app.get_as("/v1/admin/audit-events?action=staff.create&limit=5", &admin.token).await;
    assert_eq!(res.status(), 200);
    let res = app.get_as("/v1/admin/audit-events?limit=0", &admin.token).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let rows = app.audit_rows().await;
    assert_eq!(
        rows[before..].to_vec(),
        vec![
            row("audit.list", 200, "staff", Some(("query", "action=staff.create&limit=5"))),
            row("audit.list", 422, "staff", Some(("query", "limit=0"))),
        ]
    );
}
