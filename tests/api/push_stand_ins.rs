//! Local stand-ins for Firebase Cloud Messaging and APNs: real HTTP servers that check requests the way
//! the providers do (OAuth token from a signed service-account JWT; ES256 provider token, HTTP/2, topic,
//! push type and priority headers; payload shape) and answer like them, including "unregistered".

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

pub const FCM_KEY: &str = include_str!("keys/fcm-test.key");
const FCM_PUBLIC: &str = include_str!("keys/fcm-test.pub");
pub const APNS_KEY: &str = include_str!("keys/apns-test.p8");
const APNS_PUBLIC: &str = include_str!("keys/apns-test.pub");
pub const PROJECT: &str = "qinaotong-test";
pub const CLIENT_EMAIL: &str = "push@qinaotong-test.iam.gserviceaccount.com";
pub const KEY_ID: &str = "ABC123DEFG";
pub const TEAM_ID: &str = "DEF123GHIJ";
pub const TOPIC: &str = "mo.gov.qinaotong";

/// A push as the provider accepted it.
#[derive(Debug, Clone)]
pub struct Pushed {
    pub provider: &'static str,
    pub token: String,
    pub title: String,
    pub body: String,
    pub data: Value,
}

#[derive(Clone, Default)]
pub struct Provider {
    pub base: String,
    pub accepted: Arc<Mutex<Vec<Pushed>>>,
    /// Requests still to fail with 503 before any is accepted.
    pub fail_next: Arc<AtomicUsize>,
    pub failed: Arc<AtomicUsize>,
    /// Tokens the provider no longer knows.
    pub unregistered: Arc<Mutex<HashSet<String>>>,
    /// Access tokens the FCM token endpoint issued.
    issued: Arc<Mutex<HashSet<String>>>,
    /// Requests refused for a wrong header, token or payload, with the reason.
    pub rejected: Arc<Mutex<Vec<String>>>,
}

impl Provider {
    pub fn to(&self, token: &str) -> Vec<Pushed> {
        self.accepted.lock().unwrap().iter().filter(|p| p.token == token).cloned().collect()
    }

    fn reject(&self, why: String) -> HttpResponse {
        self.rejected.lock().unwrap().push(why.clone());
        HttpResponse::BadRequest().json(json!({"reason": why}))
    }

    /// True while the provider is to fail this request (a transient outage).
    fn outage(&self) -> bool {
        let failing =
            self.fail_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        if failing {
            self.failed.fetch_add(1, Ordering::SeqCst);
        }
        failing
    }

    /// The service account JSON a Google console would hand out, pointing at this stand-in.
    pub fn service_account(&self) -> String {
        json!({"type": "service_account", "project_id": PROJECT, "private_key_id": "k1", "private_key": FCM_KEY,
            "client_email": CLIENT_EMAIL, "token_uri": format!("{}/token", self.base)})
        .to_string()
    }
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> &'a str {
    req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

async fn fcm_token(p: web::Data<Provider>, form: web::Form<Vec<(String, String)>>) -> HttpResponse {
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    if get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
        return p.reject("grant_type".into());
    }
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[format!("{}/token", p.base)]);
    v.set_issuer(&[CLIENT_EMAIL]);
    let key = DecodingKey::from_rsa_pem(FCM_PUBLIC.as_bytes()).unwrap();
    match jsonwebtoken::decode::<Value>(&get("assertion"), &key, &v) {
        Ok(t) if t.claims["scope"] == "https://www.googleapis.com/auth/firebase.messaging" => {
            let token = format!("ya29.stand-in-{}", uuid::Uuid::now_v7().simple());
            p.issued.lock().unwrap().insert(token.clone());
            HttpResponse::Ok()
                .json(json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}))
        }
        Ok(_) => p.reject("scope".into()),
        Err(e) => p.reject(format!("assertion: {e}")),
    }
}

async fn fcm_send(
    p: web::Data<Provider>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    let bearer = header(&req, "authorization").strip_prefix("Bearer ").unwrap_or("");
    if !p.issued.lock().unwrap().contains(bearer) {
        return HttpResponse::Unauthorized()
            .json(json!({"error": {"code": 401, "status": "UNAUTHENTICATED"}}));
    }
    if path.as_str() != format!("{PROJECT}/messages:send") {
        return p.reject(format!("path {path}"));
    }
    let m = &body["message"];
    let data_are_strings = m["data"].as_object().is_some_and(|d| d.values().all(Value::is_string));
    if !m["token"].is_string() || !m["notification"]["title"].is_string() || !data_are_strings {
        return p.reject(format!("payload {body}"));
    }
    if m["android"]["priority"] != "HIGH" {
        return p.reject("android.priority".into());
    }
    if p.outage() {
        return HttpResponse::ServiceUnavailable()
            .json(json!({"error": {"code": 503, "status": "UNAVAILABLE"}}));
    }
    let token = m["token"].as_str().unwrap().to_owned();
    if p.unregistered.lock().unwrap().contains(&token) {
        return HttpResponse::NotFound().json(json!({"error": {"code": 404, "status": "NOT_FOUND",
            "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]}}));
    }
    p.accepted.lock().unwrap().push(Pushed {
        provider: "fcm",
        token,
        title: m["notification"]["title"].as_str().unwrap().to_owned(),
        body: m["notification"]["body"].as_str().unwrap_or("").to_owned(),
        data: m["data"].clone(),
    });
    HttpResponse::Ok().json(json!({"name": format!("projects/{PROJECT}/messages/{}", uuid::Uuid::now_v7())}))
}

async fn apns_send(
    p: web::Data<Provider>,
    req: HttpRequest,
    token: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    if req.version() != actix_web::http::Version::HTTP_2 {
        return p.reject("APNs speaks HTTP/2 only".into());
    }
    let jwt = header(&req, "authorization").strip_prefix("bearer ").unwrap_or("");
    let kid = jsonwebtoken::decode_header(jwt).ok().and_then(|h| h.kid);
    let mut v = Validation::new(Algorithm::ES256);
    v.required_spec_claims = HashSet::new();
    v.validate_exp = false;
    v.set_issuer(&[TEAM_ID]);
    let key = DecodingKey::from_ec_pem(APNS_PUBLIC.as_bytes()).unwrap();
    let fresh = jsonwebtoken::decode::<Value>(jwt, &key, &v)
        .ok()
        .and_then(|t| t.claims["iat"].as_i64())
        .is_some_and(|iat| (chrono::Utc::now().timestamp() - iat).abs() < 3600);
    if kid.as_deref() != Some(KEY_ID) || !fresh {
        return HttpResponse::Forbidden().json(json!({"reason": "InvalidProviderToken"}));
    }
    for (name, want) in [("apns-topic", TOPIC), ("apns-push-type", "alert"), ("apns-priority", "10")] {
        if header(&req, name) != want {
            return p.reject(format!("{name}: {}", header(&req, name)));
        }
    }
    if uuid::Uuid::parse_str(header(&req, "apns-id")).is_err() || !body["aps"]["alert"]["title"].is_string() {
        return p.reject(format!("apns-id or payload {body}"));
    }
    if p.outage() {
        return HttpResponse::ServiceUnavailable().json(json!({"reason": "ServiceUnavailable"}));
    }
    if p.unregistered.lock().unwrap().contains(token.as_str()) {
        return HttpResponse::Gone()
            .json(json!({"reason": "Unregistered", "timestamp": chrono::Utc::now().timestamp_millis()}));
    }
    let mut data = body.0.clone();
    data.as_object_mut().unwrap().remove("aps");
    p.accepted.lock().unwrap().push(Pushed {
        provider: "apns",
        token: token.into_inner(),
        title: body["aps"]["alert"]["title"].as_str().unwrap().to_owned(),
        body: body["aps"]["alert"]["body"].as_str().unwrap_or("").to_owned(),
        data,
    });
    HttpResponse::Ok().insert_header(("apns-id", header(&req, "apns-id").to_owned())).finish()
}

/// Starts the FCM stand-in (token endpoint and send) on a random loopback port.
pub fn start_fcm() -> Provider {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let p = Provider {
        base: format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port()),
        ..Default::default()
    };
    let data = web::Data::new(p.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/token", web::post().to(fcm_token))
            .route("/v1/projects/{rest:.*}", web::post().to(fcm_send))
    })
    .workers(1)
    .listen(listener)
    .unwrap();
    actix_web::rt::spawn(server.run());
    p
}

/// Starts the APNs stand-in, which accepts HTTP/2 without TLS (h2c), on a random loopback port.
pub fn start_apns() -> Provider {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let p = Provider {
        base: format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port()),
        ..Default::default()
    };
    let data = web::Data::new(p.clone());
    let server = HttpServer::new(move || {
        App::new().app_data(data.clone()).route("/3/device/{token}", web::post().to(apns_send))
    })
    .workers(1)
    .listen_auto_h2c(listener)
    .unwrap();
    actix_web::rt::spawn(server.run());
    p
}
