//! Secrets at rest: webhook secrets and stored replies are sealed in the database, replays still answer
//! the same, data keys rotate, altered values fail closed, rows stored in clear keep working and are
//! sealed at the next start, and erasing an account erases its stored replies.

use std::time::Duration;

use base64::Engine;
use diesel::prelude::*;
use qinaotong::config::{Config, Secret};
use qinaotong::db::schema::{idempotency_keys as k, webhook_endpoints as we};
use qinaotong::sealing::DataKeys;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

const K1: [u8; 32] = [11; 32];
const K2: [u8; 32] = [22; 32];
const K3: [u8; 32] = [33; 32];

fn key(bytes: [u8; 32]) -> Secret {
    Secret::new(base64::engine::general_purpose::STANDARD.encode(bytes))
}

async fn spawn(adjust: impl FnOnce(&mut Config)) -> TestApp {
    TestApp::spawn_with(|c| {
        c.demo_data = true;
        c.webhook_allow_private = true;
        c.webhook_poll_interval = Duration::from_millis(50);
        adjust(c);
    })
    .await
}

/// A stored reply as it is in the table: headers, body, key id, subject.
type RawReply = (String, String, Option<String>, Option<String>);

async fn raw_reply(app: &TestApp, operation: &'static str, key: &'static str) -> RawReply {
    app.db(move |c| {
        k::table
            .filter(k::operation.eq(operation).and(k::key.eq(key)))
            .select((k::headers, k::body, k::key_id, k::subject_id))
            .first(c)
            .unwrap()
    })
    .await
}

async fn raw_secret(app: &TestApp, id: String) -> (String, Option<String>) {
    app.db(move |c| we::table.find(id).select((we::secret, we::secret_key_id)).first(c).unwrap()).await
}

async fn create_client(app: &TestApp, admin: &str, org: &str, key: &str) -> Response {
    app.request(Method::POST, "/v1/admin/api-clients")
        .bearer_auth(admin)
        .header("Idempotency-Key", key)
        .json(&json!({"organisation_id": org, "name": "Case system", "scopes": ["webhooks:manage"]}))
        .send()
        .await
        .unwrap()
}

async fn create_endpoint(app: &TestApp, token: &str, key: &str) -> Response {
    app.request(Method::POST, "/v1/webhooks/endpoints")
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({"url": "http://127.0.0.1:9/hook"}))
        .send()
        .await
        .unwrap()
}

/// The status, Location and body of an answer.
async fn answer(res: Response) -> (StatusCode, String, String) {
    let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (res.status(), location, res.text().await.unwrap())
}

#[actix_web::test]
async fn secrets_and_replies_are_sealed_in_the_database_and_replays_answer_the_same() {
    let app = spawn(|_| {}).await;
    let admin = app.admin().await;
    let org = app.org_id("hq-entry-exit").await;
    let first = answer(create_client(&app, &admin.token, &org, "client-1").await).await;
    assert_eq!(first.0, 201, "{}", first.2);
    let client: Value = serde_json::from_str(&first.2).unwrap();
    let client_secret = client["client_secret"].as_str().unwrap().to_owned();
    let res = create_client(&app, &admin.token, &org, "client-1").await;
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    assert_eq!(answer(res).await, first, "a replay answers exactly the first answer, secret included");

    let (headers, body, key_id, _) = raw_reply(&app, "createApiClient", "client-1").await;
    assert!(
        !body.contains(&client_secret) && !body.contains("client_secret"),
        "stored reply in clear: {body}"
    );
    assert!(!headers.contains("/v1/admin"), "stored headers in clear: {headers}");
    assert_eq!(key_id.as_deref(), Some(app.state.data_keys.current_id()));

    let token = app.client_token(&client).await;
    let res = create_endpoint(&app, &token, "endpoint-1").await;
    assert_eq!(res.status(), 201);
    let endpoint: Value = res.json().await.unwrap();
    let secret = endpoint["secret"].as_str().unwrap();
    let (stored, key_id) = raw_secret(&app, endpoint["id"].as_str().unwrap().to_owned()).await;
    assert!(!stored.contains(secret.trim_start_matches("whsec_")) && !stored.starts_with("whsec_"));
    assert_eq!(key_id.as_deref(), Some(app.state.data_keys.current_id()));
    let (_, body, _, _) = raw_reply(&app, "createWebhookEndpoint", "endpoint-1").await;
    assert!(!body.contains(secret), "the endpoint's stored reply holds its secret in clear");
}

#[actix_web::test]
async fn a_rotated_key_still_opens_old_values_and_a_forgotten_key_stops_the_start() {
    let app = spawn(|c| c.data_key = Some(key(K1))).await;
    let admin = app.admin().await;
    let org = app.org_id("hq-entry-exit").await;
    let first = answer(create_client(&app, &admin.token, &org, "client-1").await).await;
    let client: Value = serde_json::from_str(&first.2).unwrap();
    let token = app.client_token(&client).await;
    let endpoint = answer(create_endpoint(&app, &token, "endpoint-1").await).await;
    let endpoint_id = serde_json::from_str::<Value>(&endpoint.2).unwrap()["id"].as_str().unwrap().to_owned();
    let secret = serde_json::from_str::<Value>(&endpoint.2).unwrap()["secret"].as_str().unwrap().to_owned();
    app.stop().await;

    // Started with a new key but without the old one: it cannot open what is stored, and says so.
    let mut forgot = app.config.clone();
    forgot.data_key = Some(key(K3));
    let e = qinaotong::startup::Application::build(forgot).await.err().expect("the start is refused");
    assert!(e.to_string().contains("QAT_DATA_KEYS_PREVIOUS"), "{e}");

    let rotated = app
        .sibling_with(|c| {
            c.data_key = Some(key(K2));
            c.data_keys_previous = vec![key(K1)];
        })
        .await;
    assert_eq!(answer(create_client(&rotated, &admin.token, &org, "client-1").await).await, first);
    assert_eq!(answer(create_endpoint(&rotated, &token, "endpoint-1").await).await, endpoint);
    // The secret, which lives as long as its endpoint, was sealed again under the new key at start.
    let (stored, key_id) = raw_secret(&rotated, endpoint_id.clone()).await;
    let new_keys = DataKeys::new(&K2, &[]);
    assert_eq!(key_id.as_deref(), Some(new_keys.current_id()));
    let opened =
        qinaotong::sealing::open_secret(&new_keys, &endpoint_id, &Secret::new(stored), key_id.as_deref());
    assert_eq!(opened.unwrap().expose(), secret);
}

#[actix_web::test]
async fn an_altered_reply_or_secret_fails_closed() {
    let app = spawn(|_| {}).await;
    let admin = app.admin().await;
    let org = app.org_id("hq-entry-exit").await;
    let first = answer(create_client(&app, &admin.token, &org, "client-1").await).await;
    let client: Value = serde_json::from_str(&first.2).unwrap();
    app.db(|c| {
        let body: String = k::table.filter(k::key.eq("client-1")).select(k::body).first(c).unwrap();
        let mut altered = body.into_bytes();
        altered[30] = if altered[30] == b'A' { b'B' } else { b'A' };
        diesel::update(k::table.filter(k::key.eq("client-1")))
            .set(k::body.eq(String::from_utf8(altered).unwrap()))
            .execute(c)
            .unwrap();
    })
    .await;
    let res = create_client(&app, &admin.token, &org, "client-1").await;
    let problem = assert_problem(res, StatusCode::INTERNAL_SERVER_ERROR, "internal").await;
    assert!(!problem.to_string().contains(client["client_secret"].as_str().unwrap()));
    assert_eq!(app.get("/healthz").await.status(), 200, "the server keeps serving");
    assert_eq!(create_client(&app, &admin.token, &org, "client-2").await.status(), 201);

    // A secret moved from another endpoint's row does not open: nothing is signed or sent with it.
    let token = app.client_token(&client).await;
    let ids: Vec<String> =
        futures_util::future::join_all(["a", "b"].map(|k| create_endpoint(&app, &token, k)))
            .await
            .into_iter()
            .map(|r| r.headers()["location"].to_str().unwrap().split('/').nth(4).unwrap().to_owned())
            .collect();
    let (other, _) = raw_secret(&app, ids[1].clone()).await;
    let target = ids[0].clone();
    app.db(move |c| diesel::update(we::table.find(target)).set(we::secret.eq(other)).execute(c).unwrap())
        .await;
    let resident = app.demo_resident().await;
    app.submit_demo_booking(&resident.token).await;
    let path = format!("/v1/webhooks/endpoints/{}/deliveries", ids[0]);
    let error = crate::helpers::eventually("a failed attempt", || {
        let res = app.get_as(&path, &token);
        async move {
            let page: Value = res.await.json().await.unwrap();
            page["items"][0]["error"].as_str().map(str::to_owned)
        }
    })
    .await;
    assert!(error.contains("cannot be opened") && error.contains("failed authentication"), "{error}");
}

#[actix_web::test]
async fn rows_stored_in_clear_keep_working_and_are_sealed_at_the_next_start() {
    let app = spawn(|_| {}).await;
    let admin = app.admin().await;
    let org = app.org_id("hq-entry-exit").await;
    let first = answer(create_client(&app, &admin.token, &org, "client-1").await).await;
    let client: Value = serde_json::from_str(&first.2).unwrap();
    let token = app.client_token(&client).await;
    let endpoint: Value = create_endpoint(&app, &token, "endpoint-1").await.json().await.unwrap();
    let (id, secret) =
        (endpoint["id"].as_str().unwrap().to_owned(), endpoint["secret"].as_str().unwrap().to_owned());
    // As the rows of a server from before sealing: in clear, without a key id.
    let (headers, body) = (json!([["Location", first.1]]).to_string(), first.2.clone());
    let (target, clear) = (id.clone(), secret.clone());
    app.db(move |c| {
        diesel::update(k::table.filter(k::key.eq("client-1")))
            .set((k::headers.eq(headers), k::body.eq(body), k::key_id.eq(None::<String>)))
            .execute(c)
            .unwrap();
        diesel::update(we::table.find(target))
            .set((we::secret.eq(clear), we::secret_key_id.eq(None::<String>)))
            .execute(c)
            .unwrap();
    })
    .await;
    assert_eq!(answer(create_client(&app, &admin.token, &org, "client-1").await).await, first);
    app.stop().await;

    let next = app.sibling().await;
    let (_, body, key_id, _) = raw_reply(&next, "createApiClient", "client-1").await;
    assert!(key_id.is_some() && !body.contains("client_secret"), "still in clear: {body}");
    assert_eq!(answer(create_client(&next, &admin.token, &org, "client-1").await).await, first);
    let (stored, key_id) = raw_secret(&next, id.clone()).await;
    assert!(key_id.is_some() && !stored.contains("whsec_"));
    let opened =
        qinaotong::sealing::open_secret(&next.state.data_keys, &id, &Secret::new(stored), key_id.as_deref());
    assert_eq!(opened.unwrap().expose(), secret);
}

#[actix_web::test]
async fn erasing_an_account_erases_its_stored_replies() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, service) = app.test_service(&admin, "erase-replies").await;
    let res = app
        .request(Method::POST, "/v1/auth/register")
        .header("Idempotency-Key", "signup-1")
        .json(&json!({"email": "erase.me@example.mo", "password": crate::helpers::STRONG_PASSWORD, "full_name": "Ho Ka Yan"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = app
        .request(Method::POST, "/v1/auth/register")
        .header("Idempotency-Key", "signup-2")
        .json(&json!({"email": "stay@example.mo", "password": crate::helpers::STRONG_PASSWORD, "full_name": "Lei Ka Yan"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let me = app.session("erase.me@example.mo", crate::helpers::STRONG_PASSWORD).await;
    let res = app
        .request(Method::POST, "/v1/applications")
        .bearer_auth(&me.token)
        .header("Idempotency-Key", "draft-1")
        .json(&json!({"service_id": service, "form_data": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id: String =
        serde_json::from_str::<Value>(&app.get_as("/v1/me", &me.token).await.text().await.unwrap()).unwrap()
            ["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let count = |id: String| {
        app.db(move |c| {
            k::table.filter(k::owner.eq(&id).or(k::subject_id.eq(&id))).count().get_result::<i64>(c).unwrap()
        })
    };
    assert_eq!(count(id.clone()).await, 2, "the registration's reply and the draft's");
    let others = app.db(|c| k::table.count().get_result::<i64>(c).unwrap()).await - 2;
    assert_eq!(others, 1, "the other resident's registration");

    let res = app.request(Method::DELETE, "/v1/me").bearer_auth(&me.token).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(count(id).await, 0, "stored replies outlived the account");
    assert_eq!(
        app.db(|c| k::table.count().get_result::<i64>(c).unwrap()).await,
        others,
        "others' replies stay"
    );
}

#[test]
fn production_refuses_to_start_without_a_data_key() {
    let dir = crate::helpers::TempDir::new();
    let run = |data_key: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_qinaotong"));
        cmd.env("QAT_ENV", "production")
            .env("QAT_DATA_DIR", &dir.0)
            .env("DATABASE_URL", "postgres://qat@127.0.0.1:1/qat")
            .env("QAT_JWT_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----")
            .env("QAT_METRICS_TOKEN", "a-long-scrape-token")
            .env("QAT_BIND", "127.0.0.1:0")
            .env("QAT_CHANNELS", "email")
            .env("QAT_SMTP_URL", "smtps://mail.example")
            .env("QAT_MAIL_FROM", "no-reply@qinaotong.example")
            .env_remove("QAT_DATA_KEY")
            .env_remove("QAT_DEMO_DATA")
            .env_remove("QAT_ADMIN_EMAIL")
            .env_remove("QAT_ADMIN_PASSWORD");
        if let Some(k) = data_key {
            cmd.env("QAT_DATA_KEY", k);
        }
        let out = cmd.output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (ok, stderr) = run(None);
    assert!(!ok && stderr.contains("QAT_DATA_KEY") && stderr.contains("required in production"), "{stderr}");
    let (ok, stderr) = run(Some("c2hvcnQ="));
    assert!(!ok && stderr.contains("QAT_DATA_KEY must be 32 bytes"), "{stderr}");
    assert!(!dir.0.join("data-key").exists(), "production never makes a key of its own");
}
