//! Contacts change only with the current password and a code sent to the new contact; registration
//! proves contacts the same way, and only proven contacts receive password reset codes. The server runs
//! as a process over the backend under test (PostgreSQL when `TEST_DATABASE_URL` names one), because
//! codes are written only to the development sender's log lines.

use std::time::Duration;

use diesel::prelude::*;
use qinaotong::db::Db;
use qinaotong::db::schema::{audit_events as au, contact_verifications as cv};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    STRONG_PASSWORD, TempDir, assert_problem, create_pg_database, drop_pg_database, eventually, postgres_url,
    spawn_demo,
};
use crate::process::Process;

/// A PostgreSQL test database, dropped last.
struct PgDatabase(String, String);

impl Drop for PgDatabase {
    fn drop(&mut self) {
        drop_pg_database(&self.0, &self.1);
    }
}

/// The server process and a connection to its database. Fields drop in order: the process stops
/// before its database goes.
struct Server {
    process: Process,
    db: Db,
    http: reqwest::Client,
    _pg: Option<PgDatabase>,
    _dir: TempDir,
}

impl Server {
    async fn start(env: &[(&str, &str)]) -> Self {
        let dir = TempDir::new();
        let (url, pg) = match postgres_url() {
            Some(admin) => {
                let (url, name) = create_pg_database(&admin);
                (url, Some(PgDatabase(admin, name)))
            }
            None => (format!("sqlite://{}", dir.0.join("contacts.sqlite3").display()), None),
        };
        let mut all = vec![("QAT_DEMO_DATA", "false"), ("DATABASE_URL", url.as_str())];
        all.extend_from_slice(env);
        let process = Process::start(&all).await;
        let db = Db::connect(&url, 1, Duration::from_secs(5), Duration::from_secs(5));
        Self { process, db, http: reqwest::Client::new(), _pg: pg, _dir: dir }
    }

    async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Value) -> Response {
        let mut req = self.http.request(method, format!("{}{path}", self.process.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.send(Method::POST, path, token, body).await
    }

    /// Registers a resident and answers the 201 body.
    async fn register(&self, contacts: Value) -> Value {
        let mut body =
            json!({"password": STRONG_PASSWORD, "full_name": "Ho Ka Yan", "preferred_language": "en"});
        body.as_object_mut().unwrap().extend(contacts.as_object().unwrap().clone());
        let res = self.post("/v1/auth/register", None, body).await;
        assert_eq!(res.status(), 201);
        res.json().await.unwrap()
    }

    async fn login(&self, login: &str, password: &str) -> StatusCode {
        self.post("/v1/auth/login", None, json!({"login": login, "password": password})).await.status()
    }

    async fn token(&self, login: &str) -> String {
        let res =
            self.post("/v1/auth/login", None, json!({"login": login, "password": STRONG_PASSWORD})).await;
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
    }

    async fn me(&self, token: &str) -> Value {
        self.send(Method::GET, "/v1/me", Some(token), Value::Null).await.json().await.unwrap()
    }

    async fn request_change(&self, token: &str, channel: &str, value: &str, password: &str) -> Response {
        let body = json!({"channel": channel, "value": value, "current_password": password});
        self.post("/v1/me/contact-changes", Some(token), body).await
    }

    async fn confirm(&self, token: &str, verification_id: &str, code: &str) -> Response {
        let body = json!({"verification_id": verification_id, "code": code});
        self.post("/v1/me/contact-changes/confirm", Some(token), body).await
    }

    /// Every message the development sender logged for `recipient`, oldest first.
    fn messages_to(&self, recipient: &str) -> Vec<String> {
        let log = self.process.log();
        let sent = log.iter().filter(|l| l["recipient"] == recipient);
        sent.filter_map(|l| l["text"].as_str().map(str::to_owned)).collect()
    }

    /// The newest code sent to `recipient`, once there are `count` messages with codes.
    async fn code(&self, recipient: &str, count: usize) -> String {
        eventually(&format!("code {count} for {recipient}"), || async {
            let codes: Vec<String> = self
                .messages_to(recipient)
                .iter()
                .map(|t| t.chars().filter(char::is_ascii_digit).take(8).collect::<String>())
                .filter(|c| c.len() == 8)
                .collect();
            (codes.len() >= count).then(|| codes[count - 1].clone())
        })
        .await
    }

    /// Audit actions and results about the account, oldest first.
    async fn audit(&self, account: &str) -> Vec<(String, i32)> {
        let account = account.to_owned();
        self.db
            .run(move |c| {
                Ok(au::table
                    .filter(au::subject_account_id.eq(account))
                    .order((au::created_at.asc(), au::id.asc()))
                    .select((au::action, au::result))
                    .load::<(String, i32)>(c)?)
            })
            .await
            .unwrap()
    }
}

fn other_than(code: &str) -> &'static str {
    if code == "00000000" { "11111111" } else { "00000000" }
}

#[actix_web::test]
async fn a_stolen_token_cannot_move_the_login_and_password_guesses_are_throttled() {
    let s = Server::start(&[("QAT_LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")]).await;
    let me = s.register(json!({"email": "victim@example.mo"})).await;
    let id = me["id"].as_str().unwrap();
    let stolen = s.token("victim@example.mo").await;

    // The old way round, through the profile, is closed.
    let res = s.send(Method::PATCH, "/v1/me", Some(&stolen), json!({"email": "thief@example.mo"})).await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(
        (body["errors"][0]["field"].as_str(), body["errors"][0]["code"].as_str()),
        (Some("email"), Some("contact_change_required"))
    );
    // Resending the profile with the contact it has is fine.
    let same = json!({"email": "Victim@example.mo", "full_name": "Ho Ka Yan"});
    assert_eq!(s.send(Method::PATCH, "/v1/me", Some(&stolen), same).await.status(), 200);

    // Without the password nothing is sent and nothing changes; a contact in use is not revealed.
    s.register(json!({"email": "someone.else@example.mo"})).await;
    let res = s
        .post(
            "/v1/me/contact-changes",
            Some(&stolen),
            json!({"channel": "email", "value": "thief@example.mo"}),
        )
        .await;
    assert!(res.status().is_client_error(), "{}", res.status());
    for value in ["thief@example.mo", "someone.else@example.mo"] {
        let res = s.request_change(&stolen, "email", value, "Guess-Number-1").await;
        let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(body["errors"][0]["code"], "wrong_password");
    }
    assert_eq!(s.me(&stolen).await["email"], "victim@example.mo");
    assert_eq!(s.login("thief@example.mo", STRONG_PASSWORD).await, StatusCode::UNAUTHORIZED);
    assert!(s.messages_to("thief@example.mo").is_empty());

    // Counted with the account's logins: a third wrong guess blocks, and then even the right password
    // waits, as a login from this address does.
    let res = s.request_change(&stolen, "email", "thief@example.mo", "Guess-Number-3").await;
    assert_eq!(res.status(), 422);
    let res = s.request_change(&stolen, "email", "thief@example.mo", STRONG_PASSWORD).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_eq!(s.login("victim@example.mo", STRONG_PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    assert!(s.messages_to("thief@example.mo").is_empty());

    let audit = s.audit(id).await;
    let failed =
        audit.iter().filter(|a| *a == &("auth.contact_change_password_failed".to_owned(), 422)).count();
    assert_eq!(failed, 3, "{audit:?}");
    assert!(audit.contains(&("account.contact_change_request".to_owned(), 429)), "{audit:?}");
    assert!(audit.contains(&("account.update".to_owned(), 422)), "{audit:?}");
}

#[actix_web::test]
async fn a_confirmed_change_switches_the_login_and_tells_the_old_contact() {
    let s = Server::start(&[]).await;
    let me = s.register(json!({"email": "old.address@example.mo"})).await;
    let id = me["id"].as_str().unwrap();
    let token = s.token("old.address@example.mo").await;

    let res = s.request_change(&token, "email", "New.Address@Example.MO", STRONG_PASSWORD).await;
    assert_eq!(res.status(), 202);
    let pending: Value = res.json().await.unwrap();
    assert_eq!(pending["channel"], "email");
    let verification = pending["verification_id"].as_str().unwrap();
    let code = s.code("new.address@example.mo", 1).await;
    // Nothing changes before the code comes back.
    assert_eq!(s.me(&token).await["email"], "old.address@example.mo");
    assert_eq!(s.login("new.address@example.mo", STRONG_PASSWORD).await, StatusCode::UNAUTHORIZED);
    let stored: Vec<String> = {
        let v = verification.to_owned();
        s.db.run(move |c| Ok(cv::table.find(v).select(cv::code_hash).load(c)?)).await.unwrap()
    };
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(&code), "codes are stored hashed");

    let res = s.confirm(&token, verification, &code).await;
    assert_eq!(res.status(), 200);
    let after: Value = res.json().await.unwrap();
    assert_eq!(
        (after["email"].as_str(), after["email_verified"].as_bool()),
        (Some("new.address@example.mo"), Some(true))
    );
    assert_eq!(s.login("old.address@example.mo", STRONG_PASSWORD).await, StatusCode::UNAUTHORIZED);
    assert_eq!(s.login("new.address@example.mo", STRONG_PASSWORD).await, StatusCode::OK);
    // The old address hears of it (after its registration code), without learning the new one.
    let notice = eventually("the notice to the old address", || async {
        let sent = s.messages_to("old.address@example.mo");
        (sent.len() == 2).then(|| sent[1].clone())
    })
    .await;
    assert!(notice.contains("another email address") && !notice.contains("new.address"), "{notice}");
    assert!(!notice.chars().any(|c| c.is_ascii_digit()), "no code in a notice: {notice}");
    // Both messages belong to the account, though neither address was its login when queued (the new
    // one not yet, the old one no longer): support sees them, erasure cancels them.
    let owners: Vec<(String, Option<String>)> =
        s.db.run(|c| {
            use qinaotong::db::schema::message_outbox::dsl as m;
            Ok(m::message_outbox
                .filter(m::recipient.eq_any(["new.address@example.mo", "old.address@example.mo"]))
                .select((m::recipient, m::account_id))
                .load(c)?)
        })
        .await
        .unwrap();
    assert_eq!(owners.len(), 3, "registration code, change code, notice: {owners:?}");
    assert!(owners.iter().all(|(_, owner)| owner.as_deref() == Some(id)), "{owners:?}");

    // A code works once.
    let res = s.confirm(&token, verification, &code).await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "code_expired");

    let audit = s.audit(id).await;
    for row in [
        ("account.contact_change_request", 202),
        ("account.contact_change_confirm", 200),
        ("account.contact_verification_failed", 422),
    ] {
        assert!(audit.contains(&(row.0.to_owned(), row.1)), "{row:?} in {audit:?}");
    }
}

#[actix_web::test]
async fn wrong_codes_are_limited_expired_codes_refused_and_foreign_ones_not_found() {
    let s = Server::start(&[]).await;
    s.register(json!({"phone": "+853 6611 0001"})).await;
    let token = s.token("+85366110001").await;

    let res = s.request_change(&token, "phone", "+853 6611 0002", STRONG_PASSWORD).await;
    let id = res.json::<Value>().await.unwrap()["verification_id"].as_str().unwrap().to_owned();
    let code = s.code("+85366110002", 1).await;
    let guesses = (0..5).map(|_| s.confirm(&token, &id, other_than(&code)));
    for res in futures_util::future::join_all(guesses).await {
        let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(body["errors"][0]["code"], "invalid_code");
    }
    let body = assert_problem(
        s.confirm(&token, &id, &code).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["code"], "code_expired", "five wrong tries kill the code");
    assert_eq!(s.me(&token).await["phone"], "+85366110001");

    // A fresh code, left until it expires.
    let res = s.request_change(&token, "phone", "+853 6611 0002", STRONG_PASSWORD).await;
    let id = res.json::<Value>().await.unwrap()["verification_id"].as_str().unwrap().to_owned();
    let code = s.code("+85366110002", 2).await;
    let expired = id.clone();
    s.db.run(move |c| {
        let past = qinaotong::db::types::now() - chrono::Duration::seconds(1);
        Ok(diesel::update(cv::table.find(expired)).set(cv::expires_at.eq(past)).execute(c)?)
    })
    .await
    .unwrap();
    let body = assert_problem(
        s.confirm(&token, &id, &code).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["code"], "code_expired");
    assert_eq!(s.me(&token).await["phone"], "+85366110001");

    // Another resident's verification is not found, like one that does not exist.
    let res = s.request_change(&token, "phone", "+853 6611 0003", STRONG_PASSWORD).await;
    let id = res.json::<Value>().await.unwrap()["verification_id"].as_str().unwrap().to_owned();
    let code = s.code("+85366110003", 1).await;
    s.register(json!({"email": "neighbour@example.mo"})).await;
    let neighbour = s.token("neighbour@example.mo").await;
    let theirs =
        assert_problem(s.confirm(&neighbour, &id, &code).await, StatusCode::NOT_FOUND, "not_found").await;
    let missing =
        assert_problem(s.confirm(&neighbour, "no-such-id", &code).await, StatusCode::NOT_FOUND, "not_found")
            .await;
    assert_eq!(theirs["detail"], missing["detail"]);
    assert_eq!(s.confirm(&token, &id, &code).await.status(), 200, "the owner's code still works");

    // Codes are messages someone pays for: after five in a window the account waits, password or not.
    for _ in 0..2 {
        let res = s.request_change(&token, "email", "spam.target@example.mo", STRONG_PASSWORD).await;
        assert_eq!(res.status(), 202);
    }
    let res = s.request_change(&token, "email", "spam.target@example.mo", STRONG_PASSWORD).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    eventually("two codes to the target", || async {
        (s.messages_to("spam.target@example.mo").len() == 2).then_some(())
    })
    .await;
}

#[actix_web::test]
async fn registration_codes_prove_contacts_and_only_proven_contacts_get_reset_codes() {
    let s = Server::start(&[]).await;
    let created = s.register(json!({"email": "fresh@example.mo", "phone": "+853 6611 0010"})).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (created["email_verified"].as_bool(), created["phone_verified"].as_bool()),
        (Some(false), Some(false))
    );
    let pending = created["verifications"].as_array().unwrap();
    let by_channel = |c: &str| {
        pending.iter().find(|v| v["channel"] == c).unwrap()["verification_id"].as_str().unwrap().to_owned()
    };
    let (email_id, phone_id) = (by_channel("email"), by_channel("phone"));
    let email_code = s.code("fresh@example.mo", 1).await;
    let phone_code = s.code("+85366110010", 1).await;

    // Unproven contacts log in, but no reset code goes to them.
    let reset = |login: &str| s.post("/v1/auth/password-reset", None, json!({"login": login}));
    assert_eq!(reset("fresh@example.mo").await.status(), 202);
    let refused = || async {
        let n = s.audit(&id).await.iter().filter(|a| a.0 == "auth.password_reset_unverified_contact").count();
        Some(n)
    };
    eventually("the refused reset", || async { refused().await.filter(|n| *n == 1) }).await;
    assert_eq!(s.messages_to("fresh@example.mo").len(), 1, "only the registration code");

    let token = s.token("fresh@example.mo").await;
    let res = s.confirm(&token, &email_id, &email_code).await;
    assert_eq!(res.status(), 200);
    let me = s.me(&token).await;
    assert_eq!((me["email_verified"].as_bool(), me["phone_verified"].as_bool()), (Some(true), Some(false)));
    assert_eq!(me["email"], "fresh@example.mo");

    // Now the proven email gets a reset code; the unproven phone still gets none.
    assert_eq!(reset("fresh@example.mo").await.status(), 202);
    let reset_code = s.code("fresh@example.mo", 2).await;
    assert_eq!(reset("+85366110010").await.status(), 202);
    eventually("the second refused reset", || async { refused().await.filter(|n| *n == 2) }).await;
    assert_eq!(s.messages_to("+85366110010").len(), 1, "only the registration code");
    let res = s
        .post(
            "/v1/auth/password-reset/confirm",
            None,
            json!({"login": "fresh@example.mo", "code": reset_code, "password": "Granite-Orchid-88"}),
        )
        .await;
    assert_eq!(res.status(), 204);

    let token = s
        .post("/v1/auth/login", None, json!({"login": "+85366110010", "password": "Granite-Orchid-88"}))
        .await;
    let token = token.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(s.confirm(&token, &phone_id, &phone_code).await.status(), 200);
    let me = s.me(&token).await;
    assert_eq!((me["email_verified"].as_bool(), me["phone_verified"].as_bool()), (Some(true), Some(true)));
    // Proving a contact the account has already tells nobody it changed.
    assert_eq!(s.messages_to("+85366110010").len(), 1);
}

#[actix_web::test]
async fn a_contact_taken_in_between_is_refused_at_confirm() {
    let s = Server::start(&[]).await;
    let a = s.register(json!({"email": "first@example.mo"})).await;
    let a_id = a["id"].as_str().unwrap().to_owned();
    let token = s.token("first@example.mo").await;
    let res = s.request_change(&token, "email", "wanted@example.mo", STRONG_PASSWORD).await;
    let id = res.json::<Value>().await.unwrap()["verification_id"].as_str().unwrap().to_owned();
    let code = s.code("wanted@example.mo", 1).await;

    // A pending change holds nothing: someone else registers the address first.
    s.register(json!({"email": "wanted@example.mo"})).await;
    let res = s.confirm(&token, &id, &code).await;
    assert_problem(res, StatusCode::CONFLICT, "login_taken").await;
    assert_eq!(s.me(&token).await["email"], "first@example.mo");
    assert_eq!(s.login("first@example.mo", STRONG_PASSWORD).await, StatusCode::OK);
    // Asked for again with the password, it is refused as registration refuses it.
    let res = s.request_change(&token, "email", "wanted@example.mo", STRONG_PASSWORD).await;
    assert_problem(res, StatusCode::CONFLICT, "login_taken").await;
    assert!(s.audit(&a_id).await.contains(&("account.contact_change_confirm".to_owned(), 409)));

    // Erasure leaves no pending contact behind.
    let res = s.send(Method::DELETE, "/v1/me", Some(&token), Value::Null).await;
    assert_eq!(res.status(), 204);
    let left: i64 =
        s.db.run(move |c| Ok(cv::table.filter(cv::account_id.eq(a_id)).count().get_result(c)?))
            .await
            .unwrap();
    assert_eq!(left, 0);
}

#[actix_web::test]
async fn demo_and_staff_accounts_come_verified() {
    let app = spawn_demo().await;
    for session in [app.demo_resident().await, app.officer().await, app.admin().await] {
        let me: Value = app.get_as("/v1/me", &session.token).await.json().await.unwrap();
        assert_eq!(me["email_verified"], true, "{me}");
        assert_eq!(me["phone_verified"], me["phone"].is_string(), "{me}");
    }
    // Staff have no contact changes of their own; their administrator manages their address.
    let officer = app.officer().await;
    let body = json!({"channel": "email", "value": "x@example.mo", "current_password": "whatever"});
    let res = app.send_json(Method::POST, "/v1/me/contact-changes", Some(&officer.token), &body).await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
}

#[actix_web::test]
async fn contacts_that_existed_before_the_migration_count_as_verified() {
    use diesel::connection::SimpleConnection;
    let app = crate::helpers::TestApp::spawn().await;
    let backend = if app.state.db.is_postgres { "postgres" } else { "sqlite" };
    let dir =
        format!("{}/migrations/{backend}/2026-12-01-000030_contact_verification", env!("CARGO_MANIFEST_DIR"));
    let (up, down) = (
        std::fs::read_to_string(format!("{dir}/up.sql")).unwrap(),
        std::fs::read_to_string(format!("{dir}/down.sql")).unwrap(),
    );
    let rows: Vec<(Option<String>, bool, bool)> = app
        .db(move |c| {
            // The schema as it was before, with accounts of every shape in it.
            c.batch_execute(&down).unwrap();
            c.batch_execute(
                "INSERT INTO accounts (id, role, email, phone, password_hash, full_name, preferred_language, \
                 status, created_at, updated_at) VALUES \
                 ('a1', 'resident', 'both@example.mo', '+85366110099', 'x', 'A', 'en', 'active', \
                  '2026-11-30 10:00:00', '2026-11-30 10:00:00'), \
                 ('a2', 'resident', NULL, '+85366110098', 'x', 'B', 'en', 'active', \
                  '2026-11-30 10:00:00', '2026-11-30 10:00:00'), \
                 ('a3', 'officer', 'staff@example.gov.mo', NULL, 'x', 'C', 'en', 'active', \
                  '2026-11-30 10:00:00', '2026-11-30 10:00:00')",
            )
            .unwrap();
            c.batch_execute(&up).unwrap();
            use qinaotong::db::schema::accounts::dsl as a;
            a::accounts
                .filter(a::id.eq_any(["a1", "a2", "a3"]))
                .order(a::id.asc())
                .select((a::email, a::email_verified, a::phone_verified))
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(
        rows,
        vec![
            (Some("both@example.mo".to_owned()), true, true),
            (None, false, true),
            (Some("staff@example.gov.mo".to_owned()), true, false),
        ]
    );
}
