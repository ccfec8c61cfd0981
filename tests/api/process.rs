//! The server binary as its own process, with its JSON log lines captured: for what only a process shows
//! (signals) or only its log holds (the development message sender).

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::TempDir;

pub struct Process {
    pub base: String,
    pub port: u16,
    pub child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    dir: Option<TempDir>,
}

impl Process {
    /// Starts `qinaotong` on SQLite in a temporary folder with `env` on top, and waits until it answers.
    pub async fn start(env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Self::start_in(TempDir::new(), port, env).await
    }

    /// Starts `qinaotong` with `dir` as its data folder (and SQLite file, unless `env` names another
    /// database), listening on `port`.
    pub async fn start_in(dir: TempDir, port: u16, env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_qinaotong"));
        cmd.env("QAT_DATA_DIR", &dir.0)
            .env("QAT_BIND", format!("127.0.0.1:{port}"))
            .env("QAT_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .env_remove("DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let lines: Arc<Mutex<Vec<String>>> = Arc::default();
        let stdout = child.stdout.take().unwrap();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client.get(format!("{base}/healthz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { base, port, child, lines, dir: Some(dir) }
    }

    /// Kills the process with SIGKILL, as a crash would (nothing drains, nothing is flushed by the
    /// server), and hands back its data folder for a restart.
    pub fn kill(mut self) -> TempDir {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.dir.take().unwrap()
    }

    /// Log lines written so far, parsed.
    pub fn log(&self) -> Vec<Value> {
        self.lines.lock().unwrap().iter().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
