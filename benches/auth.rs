//! Login throughput against raw argon2id, and the tail latency of authenticated reads while logins
//! saturate the hashing pool (DESIGN.md section 8). Runs the release server as a separate process on a
//! temporary SQLite database, or on PostgreSQL when BENCH_DATABASE_URL is set (a fresh database is made).
//!
//! cargo bench --bench auth

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod support;
use support::Server;

const ACCOUNTS: usize = 50;
const PASSWORD: &str = "Bench-Harbour-2026";

fn raw_verifications_per_second(threads: usize, seconds: u64) -> f64 {
    let hash = qinaotong::auth::passwords::hash_blocking(PASSWORD).expect("hash");
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (hash, count) = (hash.clone(), count.clone());
            std::thread::spawn(move || {
                while Instant::now() < deadline {
                    assert!(qinaotong::auth::passwords::verify_blocking(PASSWORD, &hash));
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn start_server(threads: usize) -> Server {
    support::start_server("auth", &[("QAT_HASH_THREADS", threads.to_string())])
}

async fn login(client: &reqwest::Client, base: &str, i: usize) -> Value {
    let res = client
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"login": format!("bench{i}@example.mo"), "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 200);
    res.json().await.expect("json")
}

/// Open loop: requests are sent on a fixed schedule whatever the answers, and latency counts from the
/// scheduled moment, so a stalled server cannot hide its queueing (no coordinated omission).
async fn open_loop_reads(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    rate: u64,
    seconds: u64,
) -> Vec<f64> {
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for i in 0..rate * seconds {
        let scheduled = start + interval * i as u32;
        tokio::time::sleep_until(scheduled).await;
        let (client, url, token) = (client.clone(), format!("{base}/v1/me"), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let res = client.get(url).bearer_auth(token).send().await.expect("read");
            assert_eq!(res.status(), 200);
            let _ = res.bytes().await;
            scheduled.elapsed().as_secs_f64() * 1000.0
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn main() {
    // `cargo test --all-targets` also runs bench targets, without `--bench`: nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).min(4);
    println!("hashing threads: {threads}");
    let raw = raw_verifications_per_second(threads, 5);
    println!("raw argon2id verifications/s: {raw:.1}");

    let server = start_server(threads);
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().expect("client");
        let base = server.base.clone();
        support::wait_ready(&client, &base).await;
        support::register_residents(&client, &base, "bench", ACCOUNTS, PASSWORD).await;
        let token = login(&client, &base, 0).await["access_token"].as_str().expect("token").to_owned();

        // Logins per second with 16 concurrent clients over the 50 accounts.
        let stop = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicU64::new(0));
        let storm = |stop: Arc<AtomicBool>, count: Arc<AtomicU64>| {
            (0..16)
                .map(|w| {
                    let (client, base, stop, count) = (client.clone(), base.clone(), stop.clone(), count.clone());
                    tokio::spawn(async move {
                        let mut i = w;
                        while !stop.load(Ordering::Relaxed) {
                            login(&client, &base, i % ACCOUNTS).await;
                            count.fetch_add(1, Ordering::Relaxed);
                            i += 16;
                        }
                    })
                })
                .collect::<Vec<_>>()
        };
        let started = Instant::now();
        let workers = storm(stop.clone(), count.clone());
        tokio::time::sleep(Duration::from_secs(10)).await;
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.await.expect("worker");
        }
        let logins = count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
        println!("logins/s (16 clients, 50 accounts): {logins:.1}  = {:.0}% of raw (target >= 90%)", logins / raw * 100.0);

        let mut idle = open_loop_reads(&client, &base, &token, 500, 5).await;
        idle.sort_by(f64::total_cmp);
        let stop = Arc::new(AtomicBool::new(false));
        let workers = storm(stop.clone(), Arc::new(AtomicU64::new(0)));
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut loaded = open_loop_reads(&client, &base, &token, 500, 5).await;
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.await.expect("worker");
        }
        loaded.sort_by(f64::total_cmp);
        let (p99_idle, p99_loaded) = (percentile(&idle, 0.99), percentile(&loaded, 0.99));
        println!(
            "GET /v1/me at 500/s open loop: idle p50 {:.2} ms p99 {:.2} ms; during login storm p50 {:.2} ms p99 {:.2} ms = {:.1}x idle (target <= 3x)",
            percentile(&idle, 0.5),
            p99_idle,
            percentile(&loaded, 0.5),
            p99_loaded,
            p99_loaded / p99_idle
        );
    });
    drop(server);
}
