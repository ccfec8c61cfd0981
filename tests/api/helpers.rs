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
    _data_dir: TempDir,
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
            config.database_url = url;
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
        Self { address, client, config, state, handle, _data_dir: dir, pg_database }
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
