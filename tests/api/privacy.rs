//! Export and erasure of a resident's data.

use diesel::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PDF, STRONG_PASSWORD, TestApp, assert_problem, valid_form_data};

#[actix_web::test]
async fn a_resident_exports_everything_then_erases_the_account() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, service) = app.test_service(&admin, "privacy-rights").await;
    let me = app.resident("leaving@example.mo").await;
    let res = app
        .send_json(
            Method::POST,
            "/v1/me/identity-documents",
            Some(&me.token),
            &json!({"kind": "macao_id", "number": "1234567(3)"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let draft: Value = app
        .create_application(&me.token, &service, json!({"full_name": "Draft Only"}))
        .await
        .json()
        .await
        .unwrap();
    let draft_id = draft["id"].as_str().unwrap().to_owned();
    app.upload(&me.token, &draft_id, "photo", "draft.pdf", PDF.to_vec()).await;
    let open: Value =
        app.create_application(&me.token, &service, valid_form_data()).await.json().await.unwrap();
    let open_id = open["id"].as_str().unwrap().to_owned();
    app.upload(&me.token, &open_id, "photo", "photo.pdf", PDF.to_vec()).await;
    let res = app
        .request(Method::POST, &format!("/v1/applications/{open_id}/submit"))
        .bearer_auth(&me.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let export: Value = app.get_as("/v1/me/export", &me.token).await.json().await.unwrap();
    assert_eq!(export["account"]["email"], "leaving@example.mo");
    assert_eq!(export["identity_documents"][0]["number"], "1234567(3)");
    assert_eq!(export["applications"].as_array().unwrap().len(), 2);
    assert!(export["applications"].as_array().unwrap().iter().any(
        |a| a["documents"].as_array().unwrap().len() == 1 && !a["events"].as_array().unwrap().is_empty()
    ));
    assert!(!export["notifications"].as_array().unwrap().is_empty());
    assert!(export["activity"].as_array().unwrap().iter().any(|e| e["action"] == "auth.login"));
    assert!(!export.to_string().contains("argon2"), "no password hash in the export");

    let res = app.request(Method::DELETE, "/v1/me").bearer_auth(&me.token).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.get_as("/v1/me", &me.token).await.status(), 401);
    assert_problem(
        app.login("leaving@example.mo", STRONG_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let res = app.post_json("/v1/auth/refresh", &json!({"refresh_token": me.refresh})).await;
    assert_eq!(res.status(), 401);

    use qinaotong::db::schema::{accounts as a, applications as ap, documents as d, identity_documents as i};
    let (name, email, status): (String, Option<String>, String) = app
        .db(|c| {
            a::table
                .filter(a::role.eq("resident"))
                .select((a::full_name, a::email, a::status))
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!((name.as_str(), email, status.as_str()), ("[deleted]", None, "deleted"));
    let apps: Vec<(String, String, String)> =
        app.db(|c| ap::table.select((ap::id, ap::status, ap::form_data)).load(c).unwrap()).await;
    assert_eq!(apps.len(), 1, "the draft is gone");
    assert_eq!(
        apps[0],
        (open_id.clone(), "withdrawn".into(), "{}".into()),
        "the submitted one is withdrawn and blanked"
    );
    assert_eq!(app.db(|c| d::table.count().get_result::<i64>(c).unwrap()).await, 0);
    assert_eq!(app.db(|c| i::table.count().get_result::<i64>(c).unwrap()).await, 0);
    let files = std::fs::read_dir(app.config.data_dir.join("documents"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .count();
    assert_eq!(files, 0, "uploaded files are deleted");
    // The email can be registered again by someone new.
    app.resident("leaving@example.mo").await;
}
