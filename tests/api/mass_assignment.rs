//! Fields a caller may not set (status, owner, organisation, reference, assignee, role, version,
//! timestamps, ids) are ignored when sent in a write's body: request bodies are lenient about unknown
//! fields (clients generated from older contracts keep working), so what protects these fields is that
//! no write reads them. Each write below is sent with all of them and the result checked.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::spawn_demo;

/// Everything a caller might try to set on someone else's behalf.
fn protected() -> Value {
    json!({
        "id": "forged-id", "status": "approved", "resident_id": "forged-resident",
        "organisation_id": "forged-org", "reference": "HQ-1999-000001", "assignee_id": "forged-officer",
        "role": "admin", "version": 99, "created_at": "2000-01-01T00:00:00Z",
        "updated_at": "2000-01-01T00:00:00Z", "submitted_at": "2000-01-01T00:00:00Z",
        "due_at": "2000-01-01T00:00:00Z", "decision_reason": "forged", "email_verified": true
    })
}

fn with_protected(body: Value) -> Value {
    let mut all = protected();
    all.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
    all
}

#[actix_web::test]
async fn protected_fields_sent_to_writes_change_nothing() {
    let app = spawn_demo().await;

    // Registration cannot make an admin or staff member.
    let res = app
        .post_json(
            "/v1/auth/register",
            &with_protected(json!({"email": "mass@example.mo", "password": "Lotus-Bridge-2026",
                "full_name": "Mass Assignment"})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let me: Value = res.json().await.unwrap();
    assert_ne!(me["id"], "forged-id");
    let mallory = app.session("mass@example.mo", "Lotus-Bridge-2026").await;
    let me: Value = app.get_as("/v1/me", &mallory.token).await.json().await.unwrap();
    assert_eq!(me["role"], "resident");
    assert!(me.get("organisation_id").is_none_or(Value::is_null), "{me}");

    // Profile updates cannot change role, organisation or id.
    let res = app
        .send_json(
            Method::PATCH,
            "/v1/me",
            Some(&mallory.token),
            &with_protected(json!({"full_name": "M. A."})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let me: Value = app.get_as("/v1/me", &mallory.token).await.json().await.unwrap();
    assert_eq!((me["role"].as_str(), me["full_name"].as_str()), (Some("resident"), Some("M. A.")));
    assert_eq!(app.get_as("/v1/org/applications", &mallory.token).await.status(), 403);

    // An application is created as a draft of its creator, with a reference of the server's.
    let resident = app.demo_resident().await;
    let (booked, _) = app.submit_demo_booking(&resident.token).await;
    let services: Value = app.get("/v1/services?limit=100").await.json().await.unwrap();
    let service = services["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "hq-port-assistance-booking")
        .unwrap();
    let res = app
        .send_json(
            Method::POST,
            "/v1/applications",
            Some(&mallory.token),
            &with_protected(json!({"service_id": service["id"], "form_data": {"full_name": "M. A."}})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_ne!(id, "forged-id");
    assert_eq!(created["status"], "draft");
    assert_eq!(created["version"], 1);
    assert_ne!(created["reference"], "HQ-1999-000001");
    assert!(created["decision_reason"].is_null() && created["due_at"].is_null());
    assert_eq!(created["organisation_id"], service["organisation_id"]);
    // It is the creator's, not the resident named in the body, nor anyone else's.
    assert_eq!(app.get_as(&format!("/v1/applications/{id}"), &resident.token).await.status(), 404);

    // Editing a draft changes its form data only.
    let res = app
        .request(Method::PATCH, &format!("/v1/applications/{id}"))
        .bearer_auth(&mallory.token)
        .header("If-Match", "\"1\"")
        .json(&with_protected(json!({"form_data": {"full_name": "Mass A."}})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let edited: Value = res.json().await.unwrap();
    assert_eq!(edited["status"], "draft");
    assert_eq!(edited["version"], 2, "the server counts versions");
    assert_eq!(edited["reference"], created["reference"]);
    assert_eq!(edited["created_at"], created["created_at"]);
    assert_eq!(edited["form_data"]["full_name"], "Mass A.");

    // Staff writes: a note cannot move the application, a transition sets only what the action does.
    let officer = app.officer().await;
    let url = format!("/v1/org/applications/{booked}");
    let before: Value = app.get_as(&url, &officer.token).await.json().await.unwrap();
    let res = app
        .send_json(
            Method::POST,
            &format!("{url}/notes"),
            Some(&officer.token),
            &with_protected(json!({"text": "n"})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .request(Method::POST, &format!("{url}/transition"))
        .bearer_auth(&officer.token)
        .header("If-Match", format!("\"{}\"", before["version"]))
        .json(&with_protected(json!({"action": "start_review"})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let after: Value = res.json().await.unwrap();
    assert_eq!(after["status"], "in_review");
    assert_eq!(after["version"], before["version"].as_i64().unwrap() + 1);
    assert_eq!(after["reference"], before["reference"]);
    assert_eq!(after["due_at"], before["due_at"]);
    assert!(after["decision_reason"].is_null());
    assert_ne!(after["assignee_id"], "forged-officer", "start_review assigns the caller");
    assert_eq!(after["organisation_id"], before["organisation_id"]);
}
