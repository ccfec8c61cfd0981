//! A real server on a random port over a fresh database: a temporary SQLite file, or a new PostgreSQL
//! database (dropped afterwards) when `TEST_DATABASE_URL` names a PostgreSQL server.

use std::path::PathBuf;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use qinaotong::config::Config;
use qinaotong::startup::Application;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub config: Config,
    pub state: actix_web::web::Data<qinaotong::state::AppState>,
    handle: actix_web::dev::ServerHandle,
    _data_dir: Option<TempDir>,
    pg_database: Option<(String, String)>,
}

/// A folder removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("qat-test-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The PostgreSQL server under test, if any.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres"))
}

/// Replaces the database name of a PostgreSQL URL.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{base}/{name}{query}")
}

pub fn create_pg_database(admin_url: &str) -> (String, String) {
    let name = format!("qat_test_{}", uuid::Uuid::now_v7().simple());
    let mut conn = diesel::PgConnection::establish(admin_url).expect("connect to TEST_DATABASE_URL");
    conn.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
    (with_database(admin_url, &name), name)
}

pub fn drop_pg_database(admin_url: &str, name: &str) {
    if let Ok(mut conn) = diesel::PgConnection::establish(admin_url) {
        let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server whose configuration `adjust` may change first.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        if std::env::var("TEST_LOG").is_ok() {
            qinaotong::telemetry::init(qinaotong::config::LogFormat::Json);
        }
        let dir = TempDir::new();
        let mut config = Config::development(dir.0.clone());
        config.bind = "127.0.0.1:0".into();
        config.demo_data = false;
        config.db_pool_size = 4;
        config.hash_threads = 2;
        let pg_database = postgres_url().map(|admin| {
            let (url, name) = create_pg_database(&admin);
            config.database_url = qinaotong::config::Secret::new(url);
            (admin, name)
        });
        adjust(&mut config);
        let app = Application::build_with_workers(config.clone(), Some(1)).await.expect("server starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        let state = app.state();
        actix_web::rt::spawn(app.run_until_stopped());
        let client =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Self { address, client, config, state, handle, _data_dir: Some(dir), pg_database }
    }

    /// Stops the server gracefully, draining in-flight requests; the database stays for assertions.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }

    /// A second instance over the same database and data folder, as behind a load balancer.
    pub async fn sibling(&self) -> TestApp {
        self.sibling_with(|_| {}).await
    }

    /// A second instance over the same database, whose configuration `adjust` may change first (as
    /// during a rolling change of settings).
    pub async fn sibling_with(&self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = self.config.clone();
        adjust(&mut config);
        let app = Application::build_with_workers(config.clone(), Some(1)).await.expect("sibling starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let (handle, state) = (app.handle(), app.state());
        actix_web::rt::spawn(app.run_until_stopped());
        TestApp {
            address,
            client: self.client.clone(),
            config,
            state,
            handle,
            _data_dir: None,
            pg_database: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path).send().await.expect("request")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path).json(body).send().await.expect("request")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting and close the pool's connections before the database goes away.
        drop(self.handle.stop(false));
        if let Some((admin, name)) = &self.pg_database {
            drop_pg_database(admin, name);
        }
    }
}

/// Reads a problem document, asserting its status, media type and `code`.
pub async fn assert_problem(res: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(res.status(), status, "unexpected status for expected code {code}");
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(ct, "application/problem+json");
    let body: Value = res.json().await.expect("problem body is JSON");
    assert_eq!(body["code"], code, "problem: {body}");
    assert_eq!(body["status"], status.as_u16());
    assert!(body["type"].as_str().is_some_and(|t| t.ends_with(code)));
    assert!(body["title"].is_string() && body["detail"].is_string());
    body
}

/// A logged-in person.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub refresh: String,
    pub session_id: String,
}

pub const ADMIN_EMAIL: &str = "admin@qinaotong.example";
pub const STRONG_PASSWORD: &str = "Lotus-Bridge-2026";

impl TestApp {
    pub async fn send_json(&self, method: Method, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut req = self.request(method, path).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    pub async fn get_as(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path).bearer_auth(token).send().await.expect("request")
    }

    pub async fn login(&self, login: &str, password: &str) -> Response {
        self.post_json("/v1/auth/login", &serde_json::json!({"login": login, "password": password})).await
    }

    /// Logs in and returns the session, asserting success.
    pub async fn session(&self, login: &str, password: &str) -> Session {
        let res = self.login(login, password).await;
        assert_eq!(res.status(), 200, "login of {login} failed");
        let body: Value = res.json().await.unwrap();
        Session {
            token: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
            session_id: body["session_id"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn admin(&self) -> Session {
        self.session(ADMIN_EMAIL, qinaotong::config::DEV_ADMIN_PASSWORD).await
    }

    /// Registers a resident with this email and logs in.
    pub async fn resident(&self, email: &str) -> Session {
        let res = self
            .post_json(
                "/v1/auth/register",
                &serde_json::json!({"email": email, "password": STRONG_PASSWORD, "full_name": "Chan Siu Ming"}),
            )
            .await;
        assert_eq!(res.status(), 201, "registration of {email} failed: {}", res.text().await.unwrap());
        self.session(email, STRONG_PASSWORD).await
    }

    /// Runs a closure against the server's database (for asserting side effects).
    pub async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut qinaotong::db::DbConn) -> T + Send + 'static,
    ) -> T {
        self.state.db.run(move |c| Ok(f(c))).await.expect("database")
    }

    /// Audit actions recorded so far, oldest first.
    pub async fn audit_actions(&self) -> Vec<(String, i32)> {
        use diesel::prelude::*;
        use qinaotong::db::schema::audit_events::dsl as a;
        self.db(|c| {
            a::audit_events
                .order((a::created_at.asc(), a::id.asc()))
                .select((a::action, a::result))
                .load::<(String, i32)>(c)
                .unwrap()
        })
        .await
    }

    /// The id of a demo organisation by code (needs demo data).
    pub async fn org_id(&self, code: &'static str) -> String {
        use diesel::prelude::*;
        use qinaotong::db::schema::organisations::dsl as o;
        self.db(move |c| o::organisations.filter(o::code.eq(code)).select(o::id).first::<String>(c).unwrap())
            .await
    }
}

/// Starts a server with the demo catalogue and accounts.
pub async fn spawn_demo() -> TestApp {
    TestApp::spawn_with(|c| c.demo_data = true).await
}

/// Four-language text for test fixtures.
pub fn t4(en: &str) -> Value {
    serde_json::json!({"zh-Hant": format!("{en}（繁）"), "zh-Hans": format!("{en}（简）"), "pt": format!("{en} (pt)"), "en": en})
}

/// A form exercising every kind of field, with one required document.
pub fn test_form() -> Value {
    serde_json::json!({
        "fields": [
            {"key": "full_name", "type": "text", "required": true, "label": t4("Full name"), "min": 2, "max": 50},
            {"key": "date_of_birth", "type": "date", "required": true, "label": t4("Date of birth"), "min": "1900-01-01", "max": "2026-01-01"},
            {"key": "household_size", "type": "number", "required": false, "label": t4("Household"), "min": 1, "max": 20},
            {"key": "purpose", "type": "select", "required": true, "label": t4("Purpose"),
             "options": [{"value": "work", "label": t4("Work")}, {"value": "study", "label": t4("Study")}]},
            {"key": "languages", "type": "multiselect", "required": false, "label": t4("Languages"), "min": 1, "max": 2,
             "options": [{"value": "yue", "label": t4("Cantonese")}, {"value": "pt", "label": t4("Portuguese")}, {"value": "en", "label": t4("English")}]},
            {"key": "has_property", "type": "boolean", "required": false, "label": t4("Owns property")},
            {"key": "email", "type": "email", "required": false, "label": t4("Email")},
            {"key": "phone", "type": "phone", "required": false, "label": t4("Phone")},
            {"key": "macao_id", "type": "macao_id", "required": true, "label": t4("Macao ID")},
            {"key": "permit", "type": "mainland_travel_permit", "required": false, "label": t4("Travel permit")},
            {"key": "mainland_id", "type": "mainland_id", "required": false, "label": t4("Mainland ID")},
            {"key": "postcode", "type": "text", "required": false, "label": t4("Postcode"), "pattern": "[0-9]{6}"}
        ],
        "documents": [
            {"kind": "photo", "required": true, "label": t4("Photo")},
            {"kind": "proof_of_address", "required": false, "label": t4("Proof of address")}
        ]
    })
}

/// Form data that passes `test_form` at submission.
pub fn valid_form_data() -> Value {
    serde_json::json!({"full_name": "Chan Tai Man", "date_of_birth": "1990-03-07", "purpose": "work", "macao_id": "1234567(3)"})
}

pub const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

impl TestApp {
    /// Creates an organisation and a service with `test_form` as an admin; returns (org id, service id).
    pub async fn test_service(&self, admin: &Session, code: &str) -> (String, String) {
        let res = self
            .send_json(Method::POST, "/v1/admin/organisations", Some(&admin.token),
                &serde_json::json!({"code": format!("{code}-org"), "kind": "government", "jurisdiction": "macao",
                    "name": t4("Test Bureau"), "description": t4("A bureau for tests"), "holidays": ["2026-12-25"]}))
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let org: Value = res.json().await.unwrap();
        let org_id = org["id"].as_str().unwrap().to_owned();
        let res = self
            .send_json(Method::POST, "/v1/admin/services", Some(&admin.token),
                &serde_json::json!({"organisation_id": org_id, "code": code, "category": "residence",
                    "name": t4(&format!("Service {code}")), "description": t4("Desc"), "instructions": t4("Do this"),
                    "eligibility": t4("Everyone"), "fee_amount": 5000, "fee_currency": "MOP", "sla_days": 10, "form": test_form()}))
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let service: Value = res.json().await.unwrap();
        (org_id, service["id"].as_str().unwrap().to_owned())
    }

    pub async fn create_application(&self, token: &str, service_id: &str, data: Value) -> Response {
        self.send_json(
            Method::POST,
            "/v1/applications",
            Some(token),
            &serde_json::json!({"service_id": service_id, "form_data": data}),
        )
        .await
    }

    pub async fn upload(
        &self,
        token: &str,
        app_id: &str,
        kind: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> Response {
        let form = reqwest::multipart::Form::new()
            .text("kind", kind.to_owned())
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()));
        self.request(Method::POST, &format!("/v1/applications/{app_id}/documents"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("upload")
    }
}

pub fn etag_of(res: &Response) -> String {
    res.headers()["etag"].to_str().unwrap().to_owned()
}

impl TestApp {
    /// A resident submits a demo port-assistance booking (a service that needs no documents); returns the
    /// application id and its organisation id. Needs demo data.
    pub async fn submit_demo_booking(&self, token: &str) -> (String, String) {
        let services: Value = self.get("/v1/services?limit=100").await.json().await.unwrap();
        let booking = services["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["code"] == "hq-port-assistance-booking")
            .unwrap()
            .clone();
        let res = self
            .send_json(
                Method::POST,
                "/v1/applications",
                Some(token),
                &serde_json::json!({"service_id": booking["id"], "submit": true,
                "form_data": {"full_name": "陳大文", "macao_id": "1234567(3)", "travel_date": "2026-12-21"}}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let created: Value = res.json().await.unwrap();
        (created["id"].as_str().unwrap().to_owned(), booking["organisation_id"].as_str().unwrap().to_owned())
    }
}

impl TestApp {
    /// Creates an organisation as an admin; returns its id.
    pub async fn organisation(&self, admin: &Session, code: &str) -> String {
        let res = self
            .send_json(
                Method::POST,
                "/v1/admin/organisations",
                Some(&admin.token),
                &serde_json::json!({"code": code, "kind": "government", "jurisdiction": "macao",
                    "name": t4("Test Bureau"), "description": t4("A bureau for tests"), "holidays": []}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
    }

    /// Creates a service of `org_id` with this form as an admin; returns its id.
    pub async fn service(&self, admin: &Session, org_id: &str, code: &str, form: Value) -> String {
        let res = self
            .send_json(Method::POST, "/v1/admin/services", Some(&admin.token),
                &serde_json::json!({"organisation_id": org_id, "code": code, "category": "residence",
                    "name": t4(&format!("Service {code}")), "description": t4("Desc"), "instructions": t4("Do this"),
                    "eligibility": t4("Everyone"), "fee_amount": 0, "fee_currency": "MOP", "sla_days": 5, "form": form}))
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
    }

    /// Creates a staff account (`officer` or `supervisor`) of `org_id` with `STRONG_PASSWORD`; returns its id.
    pub async fn staff_account(&self, admin: &Session, email: &str, role: &str, org_id: &str) -> String {
        let res = self
            .send_json(
                Method::POST,
                "/v1/admin/staff",
                Some(&admin.token),
                &serde_json::json!({"email": email, "password": STRONG_PASSWORD, "full_name": "Lei Ka Man",
                    "role": role, "organisation_id": org_id}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
    }

    /// Creates an API client of `org_id` with these scopes; returns the created client (`id`, `client_id`,
    /// `client_secret`, ...).
    pub async fn api_client(&self, admin: &Session, org_id: &str, scopes: &[&str]) -> Value {
        let res = self
            .send_json(
                Method::POST,
                "/v1/admin/api-clients",
                Some(&admin.token),
                &serde_json::json!({"organisation_id": org_id, "name": "Case system", "scopes": scopes}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        res.json().await.unwrap()
    }

    /// An access token of a client created by [`TestApp::api_client`], with all its scopes.
    pub async fn client_token(&self, client: &Value) -> String {
        let res = self
            .request(Method::POST, "/v1/oauth/token")
            .basic_auth(client["client_id"].as_str().unwrap(), client["client_secret"].as_str())
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
    }
}

/// One audit row as tests look at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub action: String,
    pub result: i32,
    pub actor_type: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
}

impl TestApp {
    /// Audit rows recorded so far, oldest first.
    pub async fn audit_rows(&self) -> Vec<AuditRow> {
        use diesel::prelude::*;
        use qinaotong::db::schema::audit_events::dsl as a;
        self.db(|c| {
            a::audit_events
                .order((a::created_at.asc(), a::id.asc()))
                .select((a::action, a::result, a::actor_type, a::target_type, a::target_id))
                .load::<(String, i32, String, Option<String>, Option<String>)>(c)
                .unwrap()
        })
        .await
        .into_iter()
        .map(|(action, result, actor_type, target_type, target_id)| AuditRow {
            action,
            result,
            actor_type,
            target_type,
            target_id,
        })
        .collect()
    }
}

/// Polls `check` until it yields a value, for effects that happen in the background (deliveries,
/// other instances, a process starting); panics with `what` after ten seconds. Tests wait with this,
/// never with fixed sleeps.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(std::time::Instant::now() < deadline, "gave up waiting: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// The demo personas (servers started with [`spawn_demo`]).
impl TestApp {
    pub async fn demo_resident(&self) -> Session {
        self.session(qinaotong::seed::DEMO_RESIDENT.0, qinaotong::seed::DEMO_RESIDENT.2).await
    }

    /// An officer of the Hengqin Entry-Exit Service Centre.
    pub async fn officer(&self) -> Session {
        self.session("officer.lei@hq-entry-exit.example", qinaotong::seed::DEMO_PASSWORD).await
    }

    /// An officer of another organisation (the Identification Services Bureau).
    pub async fn other_officer(&self) -> Session {
        self.session("officer.sousa@dsi.example", qinaotong::seed::DEMO_PASSWORD).await
    }

    /// The supervisor of the Hengqin Entry-Exit Service Centre.
    pub async fn supervisor(&self) -> Session {
        self.session("supervisor.wong@hq-entry-exit.example", qinaotong::seed::DEMO_PASSWORD).await
    }

    /// A new resident (`email`) with an empty draft on a new test service (`code`, see `test_form`);
    /// returns the resident's session and the draft's id.
    pub async fn draft_on_test_service(&self, code: &str, email: &str) -> (Session, String) {
        let admin = self.admin().await;
        let (_, service) = self.test_service(&admin, code).await;
        let me = self.resident(email).await;
        let res = self.create_application(&me.token, &service, serde_json::json!({})).await;
        assert_eq!(res.status(), 201);
        let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        (me, id)
    }

    /// An access token of a new API client of `org_id` holding exactly `scopes`.
    pub async fn api_client_token(&self, org_id: &str, scopes: &[&str]) -> String {
        let admin = self.admin().await;
        let client = self.api_client(&admin, org_id, scopes).await;
        self.client_token(&client).await
    }
}
