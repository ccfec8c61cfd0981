//! Every way of forging or misusing an access token answers 401 `unauthorized`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

/// The claims of a genuine token, decoded without verification.
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

fn sign(pem: &str, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_pem(pem.as_bytes()).unwrap()).unwrap()
}

async fn refused(app: &TestApp, token: &str, case: &str) {
    let res = app.get_as("/v1/me", token).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{case} was accepted");
    assert!(res.headers().contains_key("www-authenticate"), "{case}");
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[actix_web::test]
async fn forged_and_misused_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let me = app.resident("forgery.target@example.mo").await;
    assert_eq!(app.get_as("/v1/me", &me.token).await.status(), 200);

    let pem = std::fs::read_to_string(app.config.data_dir.join("jwt-ed25519.pem")).unwrap();
    let kid = kid_of(&me.token);
    let claims = claims_of(&me.token);
    let now = chrono::Utc::now().timestamp();
    // Sanity: re-signing the genuine claims with the real key is accepted, so each refusal below is
    // caused by the one thing that case changes.
    assert_eq!(app.get_as("/v1/me", &sign(&pem, &kid, &claims)).await.status(), 200);

    let none = format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT", "kid": kid})), b64(&claims));
    refused(&app, &none, "alg none").await;

    // HS256 keyed with the public key (the classic algorithm confusion).
    let jwks: Value = app.get("/v1/auth/jwks.json").await.json().await.unwrap();
    let public = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(kid.clone());
    let hs256 = jsonwebtoken::encode(&hs, &claims, &EncodingKey::from_secret(public.as_bytes())).unwrap();
    refused(&app, &hs256, "HS256 with the public key").await;

    let other = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]).to_pkcs8_pem(Default::default()).unwrap();
    refused(&app, &sign(&other, &kid, &claims), "another key under the real kid").await;

    let mut parts: Vec<String> = me.token.split('.').map(str::to_owned).collect();
    let mut tampered = claims.clone();
    tampered["role"] = json!("admin");
    parts[1] = b64(&tampered);
    refused(&app, &parts.join("."), "tampered payload").await;

    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = claims.clone();
        f(&mut c);
        sign(&pem, &kid, &c)
    };
    refused(&app, &with(&|c| c["exp"] = json!(now - 120)), "expired").await;
    refused(&app, &with(&|c| c["nbf"] = json!(now + 600)), "nbf in the future").await;
    refused(&app, &with(&|c| c["aud"] = json!("another-api")), "wrong aud").await;
    refused(&app, &with(&|c| c["iss"] = json!("https://evil.example")), "wrong iss").await;
    refused(&app, &with(&|c| drop(c.as_object_mut().unwrap().remove("exp"))), "missing exp").await;
    refused(&app, &with(&|c| c["typ"] = json!("refresh")), "wrong token type").await;
    refused(&app, &me.refresh, "refresh token as access token").await;
    refused(&app, &sign(&pem, "no-such-kid", &claims), "unknown kid").await;

    // A revoked session: its access token stops working at once on this instance.
    let res = app.post_json("/v1/auth/logout", &json!({"refresh_token": me.refresh})).await;
    assert_eq!(res.status(), 204);
    refused(&app, &me.token, "revoked session").await;
    refused(&app, "", "empty bearer").await;
    let res = app.request(reqwest::Method::GET, "/v1/me").send().await.unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[actix_web::test]
async fn jwks_publishes_the_key_that_verifies_tokens() {
    let app = TestApp::spawn().await;
    let me = app.resident("jwks.reader@example.mo").await;
    let jwks: Value = app.get("/v1/auth/jwks.json").await.json().await.unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    assert_eq!(key["kid"], kid_of(&me.token));
    let decoding = jsonwebtoken::DecodingKey::from_ed_components(key["x"].as_str().unwrap()).unwrap();
    let mut v = jsonwebtoken::Validation::new(Algorithm::EdDSA);
    v.set_audience(&["qinaotong-api"]);
    let data = jsonwebtoken::decode::<Value>(&me.token, &decoding, &v).unwrap();
    let c = data.claims;
    assert_eq!(c["typ"], "access");
    assert_eq!(c["role"], "resident");
    let lifetime = c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap();
    assert!((300..=900).contains(&lifetime), "lifetime {lifetime}");
    for claim in ["iss", "aud", "sub", "nbf", "sid"] {
        assert!(!c[claim].is_null(), "missing {claim}");
    }
}
