//! Peak resident memory of the server (VmHWM) under the load of DESIGN.md section 8: 256 keep-alive
//! readers, 32 concurrent logins and 4 concurrent 10 MiB uploads for 10 seconds. Runs the release server
//! as a separate process with the demo data, on SQLite, or on PostgreSQL when BENCH_DATABASE_URL is set.
//!
//! cargo bench --bench memory

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

mod support;

const RESIDENT: &str = "chan.taiman@example.mo";
const RESIDENT_PASSWORD: &str = "Lotus-Bridge-2026";
const PASSWORD: &str = "Bench-Harbour-2026";
const READERS: usize = 256;
const LOGINS: usize = 32;
const UPLOADS: usize = 4;
const SECONDS: u64 = 10;

/// `VmHWM` and `VmRSS` of a process, in MiB.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .expect("field")
            / 1024.0
    };
    (field("VmHWM:"), field("VmRSS:"))
}

async fn login(client: &reqwest::Client, base: &str, login: &str, password: &str) -> String {
    let res = client
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"login": login, "password": password}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 200, "login of {login}");
    let body: Value = res.json().await.expect("json");
    body["access_token"].as_str().expect("token").to_owned()
}

/// A new draft on a demo service that takes a travel-permit copy; returns its id.
async fn draft(client: &reqwest::Client, base: &str, token: &str, service: &str) -> String {
    let res = client
        .post(format!("{base}/v1/applications"))
        .bearer_auth(token)
        .json(&json!({"service_id": service, "form_data": {}}))
        .send()
        .await
        .expect("draft");
    assert_eq!(res.status(), 201, "draft");
    res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_owned()
}

/// A PDF just under the upload limit, so that the whole body is accepted.
fn document() -> Vec<u8> {
    let mut pdf =
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec();
    pdf.resize(10 * 1024 * 1024 - 16 * 1024, b'\n');
    pdf
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let server = support::start_server(
        "memory",
        &[
            ("QAT_DEMO_DATA", "true".into()),
            ("QAT_MAX_DOCUMENTS_PER_APPLICATION", "100000".into()),
            ("QAT_MAX_STORED_BYTES_PER_RESIDENT", (1u64 << 40).to_string()),
        ],
    );
    let pid = server.child.id();
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let client = reqwest::Client::builder().pool_max_idle_per_host(READERS + LOGINS).build().expect("client");
        let base = server.base.clone();
        support::wait_ready(&client, &base).await;
        support::register_residents(&client, &base, "memory", LOGINS, PASSWORD).await;
        let token = login(&client, &base, RESIDENT, RESIDENT_PASSWORD).await;
        let services: Value = client
            .get(format!("{base}/v1/services?limit=100"))
            .send()
            .await
            .expect("services")
            .json()
            .await
            .expect("json");
        let service = services["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|s| s["code"] == "hq-entry-exit-record")
            .expect("demo service")["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let app = draft(&client, &base, &token, &service).await;
        let (idle_hwm, _) = memory(pid);

        let stop = Arc::new(AtomicBool::new(false));
        let counts: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
        let mut tasks = Vec::new();
        for _ in 0..READERS {
            let (client, url, token, stop, counts) =
                (client.clone(), format!("{base}/v1/applications/{app}"), token.clone(), stop.clone(), counts.clone());
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let res = client.get(&url).bearer_auth(&token).send().await.expect("read");
                    assert_eq!(res.status(), 200);
                    let _ = res.bytes().await;
                    counts[0].fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        for i in 0..LOGINS {
            let (client, base, stop, counts) = (client.clone(), base.clone(), stop.clone(), counts.clone());
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    login(&client, &base, &format!("memory{i}@example.mo"), PASSWORD).await;
                    counts[1].fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        let body = document();
        for _ in 0..UPLOADS {
            let (client, url, token, stop, counts, body) = (
                client.clone(),
                format!("{base}/v1/applications/{app}/documents"),
                token.clone(),
                stop.clone(),
                counts.clone(),
                body.clone(),
            );
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let form = reqwest::multipart::Form::new().text("kind", "travel_permit_copy").part(
                        "file",
                        reqwest::multipart::Part::bytes(body.clone())
                            .file_name("permit.pdf")
                            .mime_str("application/pdf")
                            .expect("mime"),
                    );
                    let res = client.post(&url).bearer_auth(&token).multipart(form).send().await.expect("upload");
                    assert_eq!(res.status(), 201, "upload: {}", res.text().await.unwrap_or_default());
                    counts[2].fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        let mut peak_rss: f64 = 0.0;
        for _ in 0..SECONDS * 10 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            peak_rss = peak_rss.max(memory(pid).1);
        }
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.expect("task");
        }
        let (hwm, rss) = memory(pid);
        let [reads, logins, uploads] = &*counts;
        println!(
            "load for {SECONDS} s: {} reads by {READERS} keep-alive readers, {} logins by {LOGINS} clients, {} uploads of 10 MiB by {UPLOADS} clients",
            reads.load(Ordering::Relaxed),
            logins.load(Ordering::Relaxed),
            uploads.load(Ordering::Relaxed)
        );
        println!("server VmHWM: idle {idle_hwm:.1} MiB, under load {hwm:.1} MiB (target < 100 MB); VmRSS at the end {rss:.1} MiB");
    });
    drop(server);
}
