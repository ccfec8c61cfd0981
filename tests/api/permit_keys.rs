//! Keys that can be lost without losing everything: rotation windows, refresh under a new key, and the
//! withdrawal that re-issues what a key signed.

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use qinaotong::config::Secret;
use qinaotong::domain::permit::{PermitClaims, Signer, cose, decode_qr, encode_qr};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_demo};
use crate::permits::{vehicle_permit, verify};

fn new_key_pem() -> Secret {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    Secret::new(key.to_pkcs8_pem(Default::default()).unwrap().to_string())
}

async fn payload(app: &TestApp, token: &str, id: &str) -> Value {
    app.get_as(&format!("/v1/permits/{id}"), token).await.json::<Value>().await.unwrap()["credential"].clone()
}

#[actix_web::test]
async fn a_new_key_rotates_in_and_a_withdrawn_key_takes_only_its_credentials_with_it() {
    let app = spawn_demo().await;
    let (resident, permit) = vehicle_permit(&app).await;
    let id = permit["id"].as_str().unwrap();
    let old_qr = permit["credential"]["payload"].as_str().unwrap().to_owned();
    let old_kid = permit["credential"]["kid"].as_str().unwrap().to_owned();

    // A second instance starts with a new key: the old one stops signing but stays trusted.
    let rotated = app.sibling_with(|c| c.permits.signing_key = Some(new_key_pem())).await;
    let new_kid = hex::encode(&rotated.state.permit_keys.signer.kid);
    let trust: Value = rotated.get("/v1/permits/trust-list").await.json().await.unwrap();
    let windows: Vec<(&str, &str)> = trust["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kid"].as_str().unwrap(), k["signs_until"].as_str().unwrap()))
        .collect();
    assert_eq!(windows.len(), 2, "{trust}");
    assert_eq!(windows[0].0, old_kid);
    assert!(windows[0].1 < windows[1].1, "the old window ended: {windows:?}");
    assert_eq!(verify(&rotated, &old_qr).await["result"], "valid", "signed inside its window");

    // The old key signing after its window is refused, whoever holds it.
    let pem = std::fs::read_to_string(app.config.data_dir.join("permit-signing-ed25519.pem")).unwrap();
    let old = Signer::new(SigningKey::from_pkcs8_pem(&pem).unwrap());
    let envelope = cose::open(&decode_qr(&old_qr).unwrap(), cose::Algorithm::Ed25519, None).unwrap();
    let mut claims = PermitClaims::from_cbor(&envelope.payload).unwrap();
    claims.issued_at = chrono::Utc::now().timestamp() + 5;
    let late = encode_qr(&old.sign(claims.to_cbor(), None));
    let got = verify(&rotated, &late).await;
    assert_eq!(
        (got["result"].as_str(), got["reason"].as_str()),
        (Some("invalid"), Some("signed outside the key's signing window"))
    );

    // Withdrawal: one operation re-issues the permit under the current key; the old payload stops.
    let admin = rotated.admin().await;
    let path = |kid: &str| format!("/v1/admin/permit-keys/{kid}/withdraw");
    let res = rotated.send_json(Method::POST, &path(&new_kid), Some(&admin.token), &json!({})).await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;
    let res =
        rotated.send_json(Method::POST, &path("00ff00ff00ff00ff"), Some(&admin.token), &json!({})).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = rotated.send_json(Method::POST, &path(&old_kid), Some(&admin.token), &json!({})).await;
    assert_eq!(res.status(), 200);
    let withdrawal: Value = res.json().await.unwrap();
    assert_eq!(
        (withdrawal["kid"].as_str(), withdrawal["reissued"].as_u64()),
        (Some(old_kid.as_str()), Some(1))
    );
    let res = rotated.send_json(Method::POST, &path(&old_kid), Some(&admin.token), &json!({})).await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;

    assert_eq!(verify(&rotated, &old_qr).await["result"], "unknown_key");
    let credential = payload(&rotated, &resident.token, id).await;
    assert_eq!(credential["kid"].as_str(), Some(new_kid.as_str()));
    let got = verify(&rotated, credential["payload"].as_str().unwrap()).await;
    assert_eq!(got["result"], "valid", "{got}");
    assert_eq!(got["claims"]["permit"]["number"], permit["number"], "the same permit, a new credential");
    let trust: Value = rotated.get("/v1/permits/trust-list").await.json().await.unwrap();
    assert_eq!(trust["keys"].as_array().unwrap().len(), 1, "the withdrawn key left the trust list");

    // A server configured with the withdrawn key refuses to start.
    let started = qinaotong::startup::Application::build(app.config.clone()).await;
    assert!(started.is_err(), "a withdrawn key must never sign again");
}

#[actix_web::test]
async fn short_lived_credentials_are_refreshed_before_they_expire() {
    let app = TestApp::spawn_with(|c| {
        c.demo_data = true;
        c.permits.credential_lifetime = std::time::Duration::from_secs(2 * 86_400);
    })
    .await;
    let (resident, permit) = vehicle_permit(&app).await;
    let id = permit["id"].as_str().unwrap();
    let first = &permit["credential"];
    let valid_until = permit["valid_until"].as_str().unwrap();
    assert!(first["expires_at"].as_str().unwrap() < valid_until, "the credential is shorter than the right");
    let got = verify(&app, first["payload"].as_str().unwrap()).await;
    assert_eq!(got["claims"]["expires_at"], first["expires_at"]);

    let keys = app.state.permit_keys.clone();
    let none =
        qinaotong::app::permit_renewal::refresh_due(&app.state.db, keys.clone(), chrono::Duration::hours(1))
            .await
            .unwrap();
    assert_eq!(none, 0, "not due yet");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let n = qinaotong::app::permit_renewal::refresh_due(&app.state.db, keys, chrono::Duration::days(3))
        .await
        .unwrap();
    assert_eq!(n, 1);
    let second = payload(&app, &resident.token, id).await;
    assert_ne!(second["payload"], first["payload"]);
    assert!(second["expires_at"].as_str().unwrap() > first["expires_at"].as_str().unwrap());
    assert_eq!(verify(&app, second["payload"].as_str().unwrap()).await["result"], "valid");
}
