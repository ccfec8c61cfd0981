//! What the bench binaries share: the release server started as a separate process on a temporary
//! SQLite database, or on a fresh PostgreSQL database when BENCH_DATABASE_URL is set.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Server {
    pub child: Child,
    pub base: String,
    dir: std::path::PathBuf,
    /// (admin URL, database) to drop afterwards, on PostgreSQL.
    database: Option<(String, String)>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((admin, name)) = &self.database {
            let _ = Command::new("psql")
                .args([admin.as_str(), "-q", "-c", &format!("DROP DATABASE IF EXISTS {name}")])
                .status();
        }
    }
}

/// Starts the server with limits that would get in the way of a load lifted, plus `env`.
pub fn start_server(name: &str, env: &[(&str, String)]) -> Server {
    let dir = std::env::temp_dir().join(format!("qat-bench-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let port = 18_000 + (std::process::id() % 1000) as u16;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qinaotong"));
    cmd.env("QAT_DATA_DIR", &dir)
        .env("QAT_BIND", format!("127.0.0.1:{port}"))
        .env("QAT_DEMO_DATA", "false")
        .env("QAT_LOGIN_MAX_FAILURES_PER_ACCOUNT", "1000000")
        .env("QAT_LOGIN_MAX_FAILURES_PER_ADDRESS", "1000000")
        .env("QAT_REGISTER_MAX_PER_ADDRESS", "1000000")
        .env("QAT_RATE_LIMIT_PER_MINUTE", "0")
        .env("QAT_RATE_LIMIT_ANONYMOUS_PER_MINUTE", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut database = None;
    if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
        let name = format!("qat_bench_{name}_{}", std::process::id());
        let status = Command::new("psql")
            .arg(&url)
            // Two commands: CREATE DATABASE cannot share a transaction with anything.
            .args([
                "-q",
                "-c",
                &format!("DROP DATABASE IF EXISTS {name}"),
                "-c",
                &format!("CREATE DATABASE {name}"),
            ])
            .status();
        assert!(status.is_ok_and(|s| s.success()), "could not create the bench database");
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (url.as_str(), String::new()),
        };
        let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
        cmd.env("DATABASE_URL", format!("{base}/{name}{query}"));
        database = Some((url, name));
    }
    let child = cmd.spawn().expect("start server");
    Server { child, base: format!("http://127.0.0.1:{port}"), dir, database }
}

/// Waits until the server answers its liveness probe.
pub async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not start");
}

/// Registers `count` residents `{prefix}{i}@example.mo`, all with `password`.
pub async fn register_residents(
    client: &reqwest::Client,
    base: &str,
    prefix: &str,
    count: usize,
    password: &str,
) {
    for i in 0..count {
        let res = client
            .post(format!("{base}/v1/auth/register"))
            .json(&serde_json::json!({"email": format!("{prefix}{i}@example.mo"), "password": password, "full_name": "Bench Resident"}))
            .send()
            .await
            .expect("register");
        assert_eq!(res.status(), 201, "registering {prefix}{i}");
    }
}
