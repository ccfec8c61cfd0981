//! Account lifecycle for staff and API clients, the audit trail, and the resident's access log.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_demo};

async fn client_token(app: &TestApp, id: &str, secret: &str) -> reqwest::Response {
    app.request(Method::POST, "/v1/oauth/token")
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn disabling_staff_and_revoking_clients_take_effect_at_once() {
    let app = spawn_demo().await;
    let admin = app.admin().await;
    let officer = app.officer().await;
    let officer_id = app.get_as("/v1/me", &officer.token).await.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .request(Method::POST, &format!("/v1/admin/staff/{officer_id}/disable"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.get_as("/v1/me", &officer.token).await.status(), 401);
    assert_eq!(
        app.post_json("/v1/auth/refresh", &json!({"refresh_token": officer.refresh})).await.status(),
        401
    );
    assert_problem(
        app.login("officer.lei@hq-entry-exit.example", qinaotong::seed::DEMO_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let admin_id = app.get_as("/v1/me", &admin.token).await.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .request(Method::POST, &format!("/v1/admin/staff/{admin_id}/disable"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::CONFLICT, "cannot_disable_self").await;
    let resident = app.demo_resident().await;
    let resident_id = app.get_as("/v1/me", &resident.token).await.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .request(Method::POST, &format!("/v1/admin/staff/{resident_id}/disable"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;

    let org = app.org_id("hq-lianhai-bank").await;
    let created: Value = app
        .send_json(
            Method::POST,
            "/v1/admin/api-clients",
            Some(&admin.token),
            &json!({"organisation_id": org, "name": "Core", "scopes": ["applications:read"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let (ref_id, client_id, secret) = (
        created["id"].as_str().unwrap(),
        created["client_id"].as_str().unwrap(),
        created["client_secret"].as_str().unwrap(),
    );
    let res = app
        .request(Method::POST, &format!("/v1/admin/api-clients/{ref_id}/rotate-secret"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let new_secret = res.json::<Value>().await.unwrap()["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(client_token(&app, client_id, secret).await.status(), 401, "the old secret stops working");
    let token: Value = client_token(&app, client_id, &new_secret).await.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get_as("/v1/org/applications", &token).await.status(), 200);

    let res = app
        .request(Method::POST, &format!("/v1/admin/api-clients/{ref_id}/revoke"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.get_as("/v1/org/applications", &token).await.status(), 401, "its tokens stop at once");
    assert_eq!(client_token(&app, client_id, &new_secret).await.status(), 401);
    let res = app
        .request(Method::POST, &format!("/v1/admin/api-clients/{ref_id}/revoke"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[actix_web::test]
async fn the_audit_trail_is_searchable_and_residents_see_who_read_their_data() {
    let app = spawn_demo().await;
    let resident = app.demo_resident().await;
    let (id, _) = app.submit_demo_booking(&resident.token).await;
    let officer = app.officer().await;
    assert_eq!(app.get_as(&format!("/v1/org/applications/{id}"), &officer.token).await.status(), 200);

    let log: Value = app.get_as("/v1/me/access-log?lang=en", &resident.token).await.json().await.unwrap();
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only staff and client access, not the resident's own: {log}");
    assert_eq!(items[0]["action"], "application.read");
    assert_eq!(items[0]["actor_role"], "officer");
    assert_eq!(items[0]["target_id"], id.as_str());
    assert_eq!(items[0]["organisation_name"], "Hengqin Entry-Exit Service Centre");

    let admin = app.admin().await;
    let page: Value = app
        .get_as("/v1/admin/audit-events?action=auth.login&limit=2", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert!(page["items"].as_array().unwrap().iter().all(|e| e["action"] == "auth.login"));
    let next = page["next_cursor"].as_str().unwrap();
    let rest: Value = app
        .get_as(&format!("/v1/admin/audit-events?action=auth.login&limit=100&cursor={next}"), &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1, "three logins in all");
    let listed: Value =
        app.get_as("/v1/admin/audit-events?action=audit.list", &admin.token).await.json().await.unwrap();
    assert!(
        listed["items"][0]["target_id"].as_str().unwrap().contains("action=auth.login"),
        "lists are audited with their filters"
    );
    assert_problem(
        app.get_as("/v1/admin/audit-events", &officer.token).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(app.get_as("/v1/me/access-log", &officer.token).await, StatusCode::FORBIDDEN, "forbidden")
        .await;
}
