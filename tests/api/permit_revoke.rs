//! Revocation: a supervisor of the issuing organisation revokes with a reason; online verification says
//! so at once, a checkpoint after its next status list; the holder and partners hear of it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_demo};
use crate::permits::{vehicle_permit, verify};
use qinaotong::domain::permit::status_list::{MAX_LIST_BYTES, StatusListToken};
use qinaotong::domain::permit::{TrustedKey, Verdict, check};

async fn revoke(app: &TestApp, token: &str, id: &str, body: Value) -> reqwest::Response {
    app.send_json(Method::POST, &format!("/v1/permits/{id}/revoke"), Some(token), &body).await
}

/// The status bit of a permit as a checkpoint reads it from a freshly fetched list.
async fn offline(app: &TestApp, qr: &str, keys: &[TrustedKey]) -> Verdict {
    let uri = verify(app, qr).await["claims"]["status"]["uri"].as_str().unwrap().to_owned();
    let bytes = app.get(&format!("/v1/sl/{}", uri.rsplit('/').next().unwrap())).await.bytes().await.unwrap();
    let list = StatusListToken::verify(&bytes, keys, MAX_LIST_BYTES).unwrap();
    let now = chrono::Utc::now().timestamp();
    check(qr, keys, now, |s| (s.uri == list.uri).then(|| list.list.is_revoked(s.idx)).flatten()).verdict
}

#[actix_web::test]
async fn a_supervisor_revokes_with_a_reason_and_every_verifier_learns_it() {
    let app = spawn_demo().await;
    let (resident, permit) = vehicle_permit(&app).await;
    let id = permit["id"].as_str().unwrap();
    let qr = permit["credential"]["payload"].as_str().unwrap();
    let keys = app.db(|c| qinaotong::app::permits::trusted_keys(c).unwrap()).await;
    let cached_before = app.get("/v1/sl/1").await.bytes().await.unwrap();
    assert_eq!(offline(&app, qr, &keys).await, Verdict::Valid);

    let officer = app.officer().await;
    let res = revoke(&app, &officer.token, id, json!({"reason": "sold"})).await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let supervisor = app.supervisor().await;
    let res = revoke(&app, &supervisor.token, id, json!({"reason": "  "})).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res = app
        .request(Method::POST, &format!("/v1/permits/{id}/revoke"))
        .bearer_auth(&supervisor.token)
        .header("X-Audit-Reason", "owner%20report")
        .json(&json!({"reason": "The vehicle was sold."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let revoked: Value = res.json().await.unwrap();
    assert_eq!(
        (revoked["status"].as_str(), revoked["revoke_reason"].as_str()),
        (Some("revoked"), Some("The vehicle was sold."))
    );
    let res = revoke(&app, &supervisor.token, id, json!({"reason": "again"})).await;
    assert_problem(res, StatusCode::CONFLICT, "permit_not_active").await;

    // Online at once; offline once the checkpoint fetches the new list, not from the list it cached before.
    assert_eq!(verify(&app, qr).await["result"], "revoked");
    assert_eq!(offline(&app, qr, &keys).await, Verdict::Revoked);
    let old = StatusListToken::verify(&cached_before, &keys, MAX_LIST_BYTES).unwrap();
    let now = chrono::Utc::now().timestamp();
    let stale = check(qr, &keys, now, |s| old.list.is_revoked(s.idx).filter(|_| s.uri == old.uri));
    assert_eq!(stale.verdict, Verdict::Valid, "a list fetched before the revocation does not know it");

    let mine: Value = app.get_as(&format!("/v1/permits/{id}"), &resident.token).await.json().await.unwrap();
    assert_eq!(mine["status"], "revoked");
    let notes: Value = app.get_as("/v1/notifications", &resident.token).await.json().await.unwrap();
    assert!(
        notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["body"].as_str().unwrap().contains("The vehicle was sold."))
    );
    // The holder's phone and mail hear of it too, without the organisation's free text.
    let messages = app
        .db(|c| {
            use diesel::prelude::*;
            use qinaotong::db::schema::message_outbox::dsl as m;
            m::message_outbox
                .filter(m::kind.eq("permit.revoked"))
                .select((m::channel, m::body))
                .load::<(String, String)>(c)
                .unwrap()
        })
        .await;
    let (_, body) = messages.iter().find(|(channel, _)| channel == "email").expect("an email queued");
    assert!(body.contains(mine["number"].as_str().unwrap()) && !body.contains("sold"), "{body}");
    let events = app
        .db(|c| {
            use diesel::prelude::*;
            use qinaotong::db::schema::outbox_events::dsl as o;
            o::outbox_events.select(o::event_type).load::<String>(c).unwrap()
        })
        .await;
    assert!(events.iter().any(|e| e == "permit.revoked"), "{events:?}");
    let audit = app.audit_rows().await;
    let row = audit.iter().find(|r| r.action == "permit.revoke" && r.result == 200).expect("audited");
    assert_eq!(row.target_id.as_deref(), Some(id));
    let reasons = app
        .db(|c| {
            use diesel::prelude::*;
            use qinaotong::db::schema::audit_events::dsl as a;
            a::audit_events
                .filter(a::action.eq("permit.revoke"))
                .select(a::reason)
                .load::<Option<String>>(c)
                .unwrap()
        })
        .await;
    assert!(reasons.contains(&Some("owner report".to_owned())), "{reasons:?}");
    assert!(audit.iter().any(|r| r.action == "permit.revoke" && r.result == 403), "refusals are audited too");
}

#[actix_web::test]
async fn deleting_the_account_revokes_its_permits_and_erases_their_payloads() {
    let app = spawn_demo().await;
    let (resident, permit) = vehicle_permit(&app).await;
    let qr = permit["credential"]["payload"].as_str().unwrap().to_owned();
    let res = app.request(Method::DELETE, "/v1/me").bearer_auth(&resident.token).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(verify(&app, &qr).await["result"], "revoked", "a permit cannot outlive its holder's account");
    let payloads = app
        .db(|c| {
            use diesel::prelude::*;
            use qinaotong::db::schema::permit_credentials::dsl as pc;
            pc::permit_credentials.select(pc::qr).load::<String>(c).unwrap()
        })
        .await;
    assert_eq!(payloads, vec![String::new()], "the payload naming the holder is erased");
    let events = app
        .db(|c| {
            use diesel::prelude::*;
            use qinaotong::db::schema::outbox_events::dsl as o;
            o::outbox_events.select(o::event_type).load::<String>(c).unwrap()
        })
        .await;
    assert!(events.iter().any(|e| e == "permit.revoked"), "{events:?}");
}
