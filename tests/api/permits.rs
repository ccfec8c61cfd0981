//! Digital permits: approval issues a signed QR credential that verifies online and offline, and every
//! tampered, foreign or stale credential fails with its reason.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::DecodePrivateKey;
use qinaotong::domain::permit::status_list::{MAX_LIST_BYTES, StatusListToken};
use qinaotong::domain::permit::trust::TrustList;
use qinaotong::domain::permit::{PermitClaims, Signer, Verdict, check, cose, decode_qr, encode_qr};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PDF, Session, TestApp, assert_problem, etag_of, spawn_demo};

/// The demo resident's approved vehicle permit: its holder's session and the permit as `getPermit` shows it.
pub async fn vehicle_permit(app: &TestApp) -> (Session, Value) {
    let resident = app.demo_resident().await;
    let services: Value = app.get("/v1/services?limit=100").await.json().await.unwrap();
    let service =
        services["items"].as_array().unwrap().iter().find(|s| s["code"] == "hq-macao-vehicle-entry").unwrap()
            ["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let data = json!({"full_name": "Chan Tai Man", "macao_id": "1234567(3)", "mainland_travel_permit": "M12345678",
        "plate_number": "MV-12-34", "vehicle_type": "sedan", "seats": 5, "mainland_insurance": true,
        "start_date": "2026-12-21", "phone": "+85362345678"});
    let res = app.create_application(&resident.token, &service, data).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    for kind in ["vehicle_registration", "insurance_policy", "macao_id_copy"] {
        let res = app.upload(&resident.token, &id, kind, "scan.pdf", PDF.to_vec()).await;
        assert_eq!(res.status(), 201, "{kind}");
    }
    let res = app
        .send_json(Method::POST, &format!("/v1/applications/{id}/submit"), Some(&resident.token), &json!({}))
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let supervisor = app.supervisor().await;
    let url = format!("/v1/org/applications/{id}");
    for action in ["start_review", "approve"] {
        let etag = etag_of(&app.get_as(&url, &supervisor.token).await);
        let res = app
            .request(Method::POST, &format!("{url}/transition"))
            .bearer_auth(&supervisor.token)
            .header("If-Match", etag)
            .json(&json!({"action": action}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{action}: {}", res.text().await.unwrap());
    }
    let list: Value = app.get_as("/v1/permits", &resident.token).await.json().await.unwrap();
    let item = list["items"].as_array().unwrap().iter().find(|p| p["application_id"] == id.as_str()).unwrap();
    let res = app.get_as(&format!("/v1/permits/{}", item["id"].as_str().unwrap()), &resident.token).await;
    assert_eq!(res.status(), 200);
    (resident, res.json().await.unwrap())
}

pub async fn verify(app: &TestApp, qr: &str) -> Value {
    let res = app.post_json("/v1/permit-verifications", &json!({"qr": qr})).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[actix_web::test]
async fn approval_issues_a_permit_whose_qr_verifies_and_shows_no_identity_number() {
    let app = spawn_demo().await;
    let services: Value = app.get("/v1/services?limit=100").await.json().await.unwrap();
    let vehicle =
        services["items"].as_array().unwrap().iter().find(|s| s["code"] == "hq-macao-vehicle-entry").unwrap();
    let detail: Value =
        app.get(&format!("/v1/services/{}", vehicle["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(detail["permit"], json!({"type": "vehicle", "validity_days": 365}));

    let (resident, permit) = vehicle_permit(&app).await;
    assert_eq!((permit["type"].as_str(), permit["status"].as_str()), (Some("vehicle"), Some("active")));
    let qr = permit["credential"]["payload"].as_str().unwrap();
    assert!(qr.starts_with("QAT1:") && qr.len() <= 419, "{} characters", qr.len());
    let svg = permit["qr_svg"].as_str().unwrap();
    assert!(svg.contains("<svg") && svg.contains("</svg>"));

    let got = verify(&app, qr).await;
    assert_eq!(got["result"], "valid", "{got}");
    let p = &got["claims"]["permit"];
    assert_eq!(
        (p["surname"].as_str(), p["initials"].as_str(), p["travel_permit_tail"].as_str()),
        (Some("CHAN"), Some("TM"), Some("5678"))
    );
    assert_eq!(
        (p["department"].as_str(), p["number"].as_str()),
        (Some("hq-entry-exit"), permit["number"].as_str())
    );
    assert_eq!(p["fields"], json!({"plate_number": "MV-12-34"}));
    let printed = got["claims"].to_string();
    for secret in ["1234567", "M12345678", "Tai Man", "+853", "陳大文"] {
        assert!(!printed.contains(secret), "{secret} is not on a permit: {printed}");
    }

    // The resident is told, partners get the event, and nobody else sees the permit.
    let notes: Value = app.get_as("/v1/notifications", &resident.token).await.json().await.unwrap();
    assert!(
        notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["body"].as_str().unwrap().contains(permit["number"].as_str().unwrap()))
    );
    let events = app
        .db(|c| {
            use diesel::prelude::*;
            use qinaotong::db::schema::outbox_events::dsl as o;
            o::outbox_events.select(o::event_type).load::<String>(c).unwrap()
        })
        .await;
    assert!(events.iter().any(|e| e == "permit.issued"), "{events:?}");
    let stranger = app.resident("stranger@example.mo").await;
    let res = app.get_as(&format!("/v1/permits/{}", permit["id"].as_str().unwrap()), &stranger.token).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[actix_web::test]
async fn a_checkpoint_verifies_offline_with_the_signed_trust_and_status_lists() {
    let app = spawn_demo().await;
    let (_, permit) = vehicle_permit(&app).await;
    let qr = permit["credential"]["payload"].as_str().unwrap();

    let res = app.get("/v1/permits/trust-list").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "public, max-age=3600");
    let doc: Value = res.json().await.unwrap();
    let signed = URL_SAFE_NO_PAD.decode(doc["signed"].as_str().unwrap()).unwrap();
    let root = app.state.permit_keys.root.public();
    let trust = TrustList::verify(&signed, &root).expect("signed by the root key");
    assert!(trust.expires_at > trust.issued_at + 86_400, "the list lasts days");
    assert_eq!(trust.keys.len(), 1);
    let signer_key = app.state.permit_keys.signer.public();
    assert!(TrustList::verify(&signed, &signer_key).is_err(), "only the root signs the trust list");

    let jwks: Value = app.get("/v1/permits/trust-list?format=jwks").await.json().await.unwrap();
    assert_eq!(jwks["keys"][0]["kid"], doc["keys"][0]["kid"]);
    assert_eq!(
        (jwks["keys"][0]["kty"].as_str(), jwks["keys"][0]["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );

    let uri = verify(&app, qr).await["claims"]["status"]["uri"].as_str().unwrap().to_owned();
    let list_id = uri.rsplit('/').next().unwrap().to_owned();
    let res = app.get(&format!("/v1/sl/{list_id}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/statuslist+cwt");
    assert!(res.headers()["cache-control"].to_str().unwrap().starts_with("public, max-age="));
    let status = StatusListToken::verify(&res.bytes().await.unwrap(), &trust.keys, MAX_LIST_BYTES).unwrap();
    assert_eq!(status.uri, uri);

    let now = chrono::Utc::now().timestamp();
    let offline = check(qr, &trust.keys, now, |s| {
        (s.uri == status.uri).then(|| status.list.is_revoked(s.idx)).flatten()
    });
    assert_eq!(offline.verdict, Verdict::Valid, "{}", offline.reason);
    let missing = app.get("/v1/sl/999").await;
    assert_problem(missing, StatusCode::NOT_FOUND, "not_found").await;
}

/// The claims of a real permit, re-signed by another key.
fn resigned(qr: &str, signer: &Signer) -> String {
    let envelope = cose::open(&decode_qr(qr).unwrap(), cose::Algorithm::Ed25519, None).unwrap();
    let claims = PermitClaims::from_cbor(&envelope.payload).unwrap();
    encode_qr(&signer.sign(claims.to_cbor(), None))
}

#[actix_web::test]
async fn foreign_tampered_and_malformed_payloads_fail_online_with_their_reason() {
    let app = spawn_demo().await;
    let (_, permit) = vehicle_permit(&app).await;
    let qr = permit["credential"]["payload"].as_str().unwrap().to_owned();

    // The access-token key is a different key: its permits are unknown, and with a borrowed kid forged.
    let pem = std::fs::read_to_string(app.config.data_dir.join("jwt-ed25519.pem")).unwrap();
    let access = Signer::new(ed25519_dalek::SigningKey::from_pkcs8_pem(&pem).unwrap());
    let got = verify(&app, &resigned(&qr, &access)).await;
    assert_eq!(got["result"], "unknown_key", "{got}");
    assert!(got["claims"].is_null(), "no claims from an unverified permit");

    let mut flipped = qr.clone().into_bytes();
    let i = flipped.len() / 2;
    flipped[i] = if flipped[i] == b'A' { b'B' } else { b'A' };
    let got = verify(&app, std::str::from_utf8(&flipped).unwrap()).await;
    assert!(["invalid", "unknown_key"].contains(&got["result"].as_str().unwrap()), "{got}");

    for (bad, reason) in [
        (format!("{qr}00"), "bytes after the signed structure"),
        (encode_qr(&[0xd2, 0x84, 0x40, 0xa0]), "not a tagged COSE_Sign1"),
        (qr.replacen("QAT1:", "HC1:", 1), "not a QAT1 payload"),
        (format!("{qr}{}", "A".repeat(2000)), "payload too long"),
        ("QAT1:not base45".to_owned(), "not Base45"),
    ] {
        let got = verify(&app, &bad).await;
        assert_eq!(
            (got["result"].as_str(), got["reason"].as_str()),
            (Some("invalid"), Some(reason)),
            "{bad:.30}"
        );
    }
    let res = app.post_json("/v1/permit-verifications", &json!({})).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

#[actix_web::test]
async fn admins_set_the_permit_a_version_issues_and_bad_settings_are_refused() {
    let app = spawn_demo().await;
    let admin = app.admin().await;
    let (_, service) = app.test_service(&admin, "pset").await;
    let form = app.get(&format!("/v1/services/{service}")).await.json::<Value>().await.unwrap();
    assert!(form["permit"].is_null(), "an ordinary service issues none");
    let definition = json!({"fields": [
        {"key": "full_name", "type": "text", "required": true, "label": crate::helpers::t4("Name")},
        {"key": "until", "type": "date", "required": true, "label": crate::helpers::t4("Until")},
        {"key": "id", "type": "macao_id", "required": true, "label": crate::helpers::t4("ID")}]});
    let path = format!("/v1/admin/services/{service}/versions");
    let bad = json!({"form": definition, "permit": {"type": "Parking!", "validity_days": 30,
        "valid_until_field": "until", "fields": ["id", "full_name"]}});
    let res = app.send_json(Method::POST, &path, Some(&admin.token), &bad).await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["permit.type", "permit.validity_days", "permit.fields", "permit.fields[0]"]);
    let good = json!({"form": definition, "permit": {"type": "parking", "valid_until_field": "until"}});
    let res = app.send_json(Method::POST, &path, Some(&admin.token), &good).await;
    assert_eq!(res.status(), 201);
    let version: Value = res.json().await.unwrap();
    assert_eq!(version["permit"]["valid_until_field"], "until");
    let res = app
        .send_json(
            Method::POST,
            &format!("{path}/{}/publish", version["version"]),
            Some(&admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let detail: Value = app.get(&format!("/v1/services/{service}")).await.json().await.unwrap();
    assert_eq!(detail["permit"], json!({"type": "parking", "validity_days": null}));
}

#[actix_web::test]
async fn the_data_export_holds_the_residents_permits_and_devices() {
    let app = spawn_demo().await;
    let (resident, permit) = vehicle_permit(&app).await;
    let device =
        json!({"platform": "ios", "push_token": "apns-export-check", "app_version": "2.4.0", "locale": "pt"});
    let res = app.send_json(Method::POST, "/v1/me/devices", Some(&resident.token), &device).await;
    assert_eq!(res.status(), 201);
    let export: Value = app.get_as("/v1/me/export", &resident.token).await.json().await.unwrap();
    let permits = export["permits"].as_array().unwrap();
    assert_eq!(permits.len(), 1);
    assert_eq!(permits[0]["id"], permit["id"]);
    assert_eq!(
        permits[0]["credential"]["payload"], permit["credential"]["payload"],
        "the payload the resident holds"
    );
    assert!(permits[0]["credential"]["payload"].as_str().unwrap().starts_with("QAT1:"));
    assert_eq!(export["devices"][0]["platform"], "ios");
}
