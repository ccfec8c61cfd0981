//! A resident's applications from draft to decision, with every refusal a client can meet.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PDF, TestApp, assert_problem, etag_of, valid_form_data};

fn field_codes(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().into(), e["code"].as_str().unwrap().into()))
        .collect()
}

async fn outbox_types(app: &TestApp, application_id: &str) -> Vec<String> {
    use diesel::prelude::*;
    use qinaotong::db::schema::outbox_events::dsl as o;
    let id = application_id.to_owned();
    app.db(move |c| {
        o::outbox_events
            .filter(o::application_id.eq(id))
            .order(o::created_at.asc())
            .select(o::event_type)
            .load(c)
            .unwrap()
    })
    .await
}

#[actix_web::test]
async fn a_resident_browses_drafts_uploads_submits_and_withdraws() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, service) = app.test_service(&admin, "walkthrough").await;
    let me = app.resident("walker@example.mo").await;

    let res = app.create_application(&me.token, &service, json!({"full_name": "Chan Tai Man"})).await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let etag = etag_of(&res);
    let draft: Value = res.json().await.unwrap();
    let id = draft["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/applications/{id}"));
    assert_eq!(draft["status"], "draft");
    assert!(draft["reference"].as_str().unwrap().starts_with("HQ-2026-"));
    assert_eq!(etag, format!("\"{}\"", draft["version"]));

    // Submitting now lists every missing field and document at once.
    let res = app
        .request(Method::POST, &format!("/v1/applications/{id}/submit"))
        .bearer_auth(&me.token)
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let errors = field_codes(&body);
    for field in ["form_data.date_of_birth", "form_data.purpose", "form_data.macao_id", "documents.photo"] {
        assert!(errors.contains(&(field.into(), "required".into())), "{field} not reported: {errors:?}");
    }
    assert!(
        !errors.iter().any(|(f, _)| f == "documents.proof_of_address"),
        "optional documents are not required"
    );

    let res = app
        .send_json(Method::PATCH, &location, Some(&me.token), &json!({"form_data": valid_form_data()}))
        .await;
    assert_problem(res, StatusCode::PRECONDITION_REQUIRED, "precondition_required").await;
    let res = app
        .request(Method::PATCH, &location)
        .bearer_auth(&me.token)
        .header("If-Match", &etag)
        .json(&json!({"form_data": valid_form_data()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let etag2 = etag_of(&res);
    assert_ne!(etag2, etag);
    // The old ETag is stale now.
    let res = app
        .request(Method::PATCH, &location)
        .bearer_auth(&me.token)
        .header("If-Match", &etag)
        .json(&json!({"form_data": {}}))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;

    let res = app.upload(&me.token, &id, "photo", "證件相.pdf", PDF.to_vec()).await;
    assert_eq!(res.status(), 201);
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["content_type"], "application/pdf");
    assert_eq!(doc["original_name"], "證件相.pdf");
    assert_eq!(doc["size_bytes"], PDF.len());
    let list: Value =
        app.get_as(&format!("/v1/applications/{id}/documents"), &me.token).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let res = app
        .get_as(&format!("/v1/applications/{id}/documents/{}", doc["id"].as_str().unwrap()), &me.token)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''"),
        "{disposition}"
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), PDF);

    let current = app.get_as(&location, &me.token).await;
    let etag3 = etag_of(&current);
    assert_ne!(etag3, etag2, "a document changes the version");
    let res = app
        .request(Method::POST, &format!("/v1/applications/{id}/submit"))
        .bearer_auth(&me.token)
        .header("If-Match", &etag2)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    let res = app
        .request(Method::POST, &format!("/v1/applications/{id}/submit"))
        .bearer_auth(&me.token)
        .header("If-Match", &etag3)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let submitted: Value = res.json().await.unwrap();
    assert_eq!(submitted["status"], "submitted");
    assert!(submitted["due_at"].is_string() && submitted["submitted_at"].is_string());
    // Form data is normalised and submitted applications no longer take edits or documents.
    assert_eq!(submitted["form_data"]["macao_id"], "1234567(3)");
    let res = app
        .request(Method::PATCH, &location)
        .bearer_auth(&me.token)
        .header("If-Match", etag_of(&app.get_as(&location, &me.token).await))
        .json(&json!({"form_data": valid_form_data()}))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::CONFLICT, "application_not_editable").await;
    let res = app.upload(&me.token, &id, "photo", "again.pdf", PDF.to_vec()).await;
    assert_problem(res, StatusCode::CONFLICT, "application_not_editable").await;
    let res = app
        .request(Method::POST, &format!("/v1/applications/{id}/submit"))
        .bearer_auth(&me.token)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::CONFLICT, "invalid_transition").await;

    let res = app
        .request(Method::POST, &format!("/v1/applications/{id}/withdraw"))
        .bearer_auth(&me.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "withdrawn");
    let res = app
        .request(Method::POST, &format!("/v1/applications/{id}/withdraw"))
        .bearer_auth(&me.token)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::CONFLICT, "invalid_transition").await;

    let events: Value =
        app.get_as(&format!("/v1/applications/{id}/events"), &me.token).await.json().await.unwrap();
    let actions: Vec<&str> =
        events["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "submit", "withdraw"]);
    assert_eq!(outbox_types(&app, &id).await, ["application.submitted", "application.withdrawn"]);

    // The resident was told, in their language, unread first.
    let notes: Value = app.get_as("/v1/notifications", &me.token).await.json().await.unwrap();
    let items = notes["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|n| n["read"] == false
        && n["body"].as_str().unwrap().contains(submitted["reference"].as_str().unwrap())));
    let first = items[1]["id"].as_str().unwrap();
    let res = app
        .request(Method::POST, &format!("/v1/notifications/{first}/read"))
        .bearer_auth(&me.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let notes: Value = app.get_as("/v1/notifications", &me.token).await.json().await.unwrap();
    assert_eq!(notes["items"][1]["id"], first, "read notifications come after unread ones");
    assert_eq!(notes["items"][1]["read"], true);

    let mine: Value = app.get_as("/v1/applications?status=withdrawn", &me.token).await.json().await.unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let mine: Value = app.get_as("/v1/applications?status=draft", &me.token).await.json().await.unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 0);
    let future =
        (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let synced: Value = app
        .get_as(&format!("/v1/applications?updated_since={future}"), &me.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(synced["items"].as_array().unwrap().len(), 0);
    assert_problem(
        app.get_as("/v1/applications?status=lost", &me.token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}

#[actix_web::test]
async fn form_data_is_checked_per_field_type() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, service) = app.test_service(&admin, "field-types").await;
    let me = app.resident("types@example.mo").await;
    for (data, field, code) in [
        (json!({"full_name": "X"}), "form_data.full_name", "too_short"),
        (json!({"full_name": 42}), "form_data.full_name", "invalid_type"),
        (json!({"date_of_birth": "1990-02-30"}), "form_data.date_of_birth", "invalid_date"),
        (json!({"date_of_birth": "2030-01-01"}), "form_data.date_of_birth", "above_maximum"),
        (json!({"household_size": 0}), "form_data.household_size", "below_minimum"),
        (json!({"household_size": "three"}), "form_data.household_size", "invalid_type"),
        (json!({"purpose": "holiday"}), "form_data.purpose", "invalid_option"),
        (json!({"languages": ["yue", "pt", "en"]}), "form_data.languages", "too_many"),
        (json!({"languages": ["klingon"]}), "form_data.languages", "invalid_option"),
        (json!({"has_property": "yes"}), "form_data.has_property", "invalid_type"),
        (json!({"email": "nope"}), "form_data.email", "invalid_email"),
        (json!({"phone": "+1 202 555 0100"}), "form_data.phone", "unsupported_country"),
        (json!({"macao_id": "9234567(3)"}), "form_data.macao_id", "invalid_format"),
        (json!({"permit": "Z1234"}), "form_data.permit", "invalid_format"),
        (json!({"mainland_id": "110105194912310021"}), "form_data.mainland_id", "invalid_check_digit"),
        (json!({"postcode": "12345"}), "form_data.postcode", "pattern_mismatch"),
        (json!({"favourite_colour": "blue"}), "form_data.favourite_colour", "unknown_field"),
    ] {
        let res = app.create_application(&me.token, &service, data.clone()).await;
        let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(field_codes(&body).contains(&(field.into(), code.into())), "{data} gave {body}");
    }
    let res = app.create_application(&me.token, &service, json!("not an object")).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res = app.create_application(&me.token, "no-such-service", json!({})).await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "service_id");
    // Nothing was stored by any refused request.
    let mine: Value = app.get_as("/v1/applications", &me.token).await.json().await.unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn another_residents_objects_answer_exactly_like_missing_ones() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, service) = app.test_service(&admin, "privacy").await;
    let owner = app.resident("owner.apps@example.mo").await;
    let other = app.resident("nosy@example.mo").await;
    let res = app.create_application(&owner.token, &service, json!({})).await;
    let etag = etag_of(&res);
    let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let doc: Value =
        app.upload(&owner.token, &id, "photo", "p.pdf", PDF.to_vec()).await.json().await.unwrap();
    let doc_id = doc["id"].as_str().unwrap();
    let note_id = {
        app.request(Method::POST, &format!("/v1/applications/{id}/withdraw"))
            .bearer_auth(&owner.token)
            .send()
            .await
            .unwrap();
        let notes: Value = app.get_as("/v1/notifications", &owner.token).await.json().await.unwrap();
        notes["items"][0]["id"].as_str().unwrap().to_owned()
    };
    let probes: Vec<(Method, String)> = vec![
        (Method::GET, format!("/v1/applications/{id}")),
        (Method::GET, format!("/v1/applications/{id}/events")),
        (Method::GET, format!("/v1/applications/{id}/documents")),
        (Method::GET, format!("/v1/applications/{id}/documents/{doc_id}")),
        (Method::POST, format!("/v1/applications/{id}/submit")),
        (Method::POST, format!("/v1/applications/{id}/withdraw")),
        (Method::POST, format!("/v1/notifications/{note_id}/read")),
    ];
    for (method, path) in probes {
        let missing_path = path
            .replace(&id, "00000000-0000-7000-8000-000000000000")
            .replace(&note_id, "00000000-0000-7000-8000-000000000001");
        let foreign = app
            .request(method.clone(), &path)
            .bearer_auth(&other.token)
            .header("If-Match", &etag)
            .send()
            .await
            .unwrap();
        let missing = app
            .request(method, &missing_path)
            .bearer_auth(&other.token)
            .header("If-Match", &etag)
            .send()
            .await
            .unwrap();
        let f = assert_problem(foreign, StatusCode::NOT_FOUND, "not_found").await;
        let m = assert_problem(missing, StatusCode::NOT_FOUND, "not_found").await;
        assert_eq!(f, m, "{path}");
    }
    let res = app
        .request(Method::PATCH, &format!("/v1/applications/{id}"))
        .bearer_auth(&other.token)
        .header("If-Match", &etag)
        .json(&json!({"form_data": {}}))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app.upload(&other.token, &id, "photo", "p.pdf", PDF.to_vec()).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    // Staff tokens may not use the resident's operations at all.
    let res = app.get_as(&format!("/v1/applications/{id}"), &admin.token).await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
}

#[actix_web::test]
async fn concurrent_updates_with_one_etag_let_exactly_one_through() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, service) = app.test_service(&admin, "race").await;
    let me = app.resident("racer@example.mo").await;
    let res = app.create_application(&me.token, &service, json!({})).await;
    let etag = etag_of(&res);
    let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let calls = (0..50).map(|i| {
        app.request(Method::PATCH, &format!("/v1/applications/{id}"))
            .bearer_auth(&me.token)
            .header("If-Match", &etag)
            .json(&json!({"form_data": {"full_name": format!("Writer {i:02}")}}))
            .send()
    });
    let results = futures_util::future::join_all(calls).await;
    let statuses: Vec<u16> = results.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 412).count(), 49, "{statuses:?}");
    let current: Value = app.get_as(&format!("/v1/applications/{id}"), &me.token).await.json().await.unwrap();
    assert_eq!(current["version"], 2);
}

#[actix_web::test]
async fn services_without_documents_can_be_submitted_on_creation() {
    let app = crate::helpers::spawn_demo().await;
    let me = app.demo_resident().await;
    let services: Value = app.get("/v1/services?limit=100").await.json().await.unwrap();
    let booking = services["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "hq-port-assistance-booking")
        .unwrap();
    let res = app
        .send_json(
            Method::POST,
            "/v1/applications",
            Some(&me.token),
            &json!({"service_id": booking["id"], "submit": true,
            "form_data": {"full_name": "陳大文", "macao_id": "1234567(3)", "travel_date": "2026-12-21"}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["status"], "submitted");
    let notes: Value = app.get_as("/v1/notifications", &me.token).await.json().await.unwrap();
    assert_eq!(notes["items"][0]["title"], "申請已提交", "the demo resident reads Traditional Chinese");
    // A service that needs documents cannot be submitted on creation.
    let permit = services["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "hq-resident-permit-first")
        .unwrap();
    let res = app
        .send_json(
            Method::POST,
            "/v1/applications",
            Some(&me.token),
            &json!({"service_id": permit["id"], "submit": true, "form_data": {}}),
        )
        .await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(field_codes(&body).iter().any(|(f, _)| f.starts_with("documents.")));
}

#[actix_web::test]
async fn an_update_is_judged_by_caller_application_precondition_and_status_before_its_body() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, service) = app.test_service(&admin, "update-order").await;
    let me = app.resident("order@example.mo").await;
    let res = app.create_application(&me.token, &service, json!({})).await;
    let etag = etag_of(&res);
    let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let location = format!("/v1/applications/{id}");
    let broken = |token: Option<&str>, path: &str, etag: Option<&str>| {
        let mut req = app
            .request(Method::PATCH, path)
            .header("content-type", "application/json")
            .body("{\"form_data\": [oops");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(e) = etag {
            req = req.header("If-Match", e);
        }
        req.send()
    };

    let res = broken(None, &location, None).await.unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let res = broken(Some(&admin.token), &location, None).await.unwrap();
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = broken(Some(&me.token), "/v1/applications/missing", None).await.unwrap();
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    // A broken body without If-Match: the missing precondition is what the client must fix first.
    let res = broken(Some(&me.token), &location, None).await.unwrap();
    assert_problem(res, StatusCode::PRECONDITION_REQUIRED, "precondition_required").await;
    let res = app
        .request(Method::PATCH, &location)
        .bearer_auth(&me.token)
        .header("content-type", "text/plain")
        .body("form_data")
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::PRECONDITION_REQUIRED, "precondition_required").await;
    let res = broken(Some(&me.token), &location, Some("\"999\"")).await.unwrap();
    assert_problem(res, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    let res = broken(Some(&me.token), &location, Some(&etag)).await.unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST, "malformed_request").await;

    // An application that no longer takes changes says so before its body is read.
    let res = app
        .request(Method::POST, &format!("{location}/withdraw"))
        .bearer_auth(&me.token)
        .send()
        .await
        .unwrap();
    let withdrawn = etag_of(&res);
    let res = broken(Some(&me.token), &location, Some(&withdrawn)).await.unwrap();
    assert_problem(res, StatusCode::CONFLICT, "application_not_editable").await;
    // Nothing was changed by any refused request.
    let current: Value = app.get_as(&location, &me.token).await.json().await.unwrap();
    assert_eq!((current["status"].as_str(), current["version"].as_i64()), (Some("withdrawn"), Some(2)));
}

#[actix_web::test]
async fn a_stored_application_that_does_not_decode_is_an_error_never_an_empty_form() {
    use diesel::prelude::*;
    use qinaotong::db::schema::applications::dsl as a;
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, service) = app.test_service(&admin, "corrupt").await;
    let me = app.resident("corrupt@example.mo").await;
    let res = app.create_application(&me.token, &service, json!({"full_name": "Chan Tai Man"})).await;
    let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let location = format!("/v1/applications/{id}");

    for (column, value) in [("form_data", "[\"not\", \"an object\"]"), ("status", "lost")] {
        let (key, v) = (id.clone(), value.to_owned());
        app.db(move |c| {
            let target = a::applications.find(key);
            match column {
                "form_data" => diesel::update(target).set(a::form_data.eq(v)).execute(c),
                _ => diesel::update(target).set(a::status.eq(v)).execute(c),
            }
            .unwrap()
        })
        .await;
        let body = assert_problem(
            app.get_as(&location, &me.token).await,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
        )
        .await;
        assert!(!body.to_string().contains(value), "{column}: stored values stay out of answers");
        let res = app.get_as("/v1/applications", &me.token).await;
        assert_problem(res, StatusCode::INTERNAL_SERVER_ERROR, "internal").await;
        // Put it right again for the next column.
        let key = id.clone();
        app.db(move |c| {
            diesel::update(a::applications.find(key))
                .set((a::form_data.eq("{\"full_name\": \"Chan Tai Man\"}"), a::status.eq("draft")))
                .execute(c)
                .unwrap()
        })
        .await;
        assert_eq!(app.get_as(&location, &me.token).await.status(), 200);
    }
}
