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

/// Rounds of each pair; medians are reported, so one disturbed round cannot tip a figure.
const ROUNDS: usize = 3;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo test --all-targets` also runs bench targets, without `--bench`: nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).min(4);
    println!("hashing threads: {threads}");

    let server = start_server(threads);
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    // The login clients run on threads of their own: on the readers' runtime their tasks would queue
    // ahead of the reads' in the client itself and be counted as the server's latency.
    let storm_rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let storm_handle = storm_rt.handle().clone();
    rt.block_on(async {
        let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().expect("client");
        let base = server.base.clone();
        support::wait_ready(&client, &base).await;
        support::register_residents(&client, &base, "bench", ACCOUNTS, PASSWORD).await;
        let token = login(&client, &base, 0).await["access_token"].as_str().expect("token").to_owned();

        // 16 concurrent clients logging in over the 50 accounts until stopped; counts the logins.
        let storm = |stop: Arc<AtomicBool>, count: Arc<AtomicU64>| {
            (0..16)
                .map(|w| {
                    let (client, base, stop, count) = (client.clone(), base.clone(), stop.clone(), count.clone());
                    storm_handle.spawn(async move {
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

        // Raw hashing and logins through the API alternate, so that the machine's other load (it
        // changes by tens of percent from one minute to the next on shared machines) hits both.
        let (mut raws, mut rates) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            raws.push(
                tokio::task::spawn_blocking(move || raw_verifications_per_second(threads, 4))
                    .await
                    .expect("raw"),
            );
            let (stop, count) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
            let started = Instant::now();
            let workers = storm(stop.clone(), count.clone());
            tokio::time::sleep(Duration::from_secs(6)).await;
            stop.store(true, Ordering::Relaxed);
            for w in workers {
                w.await.expect("worker");
            }
            rates.push(count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64());
        }
        let rounds = |v: &[f64]| v.iter().map(|x| format!("{x:.1}")).collect::<Vec<_>>().join(", ");
        let (raw, logins) = (median(raws.clone()), median(rates.clone()));
        println!("raw argon2id verifications/s: {raw:.1} (median of rounds {})", rounds(&raws));
        println!(
            "logins/s (16 clients, 50 accounts): {logins:.1}  = {:.0}% of raw (target >= 90%; rounds {})",
            logins / raw * 100.0,
            rounds(&rates)
        );

        // Idle and storm reads alternate too; the round with the median ratio is reported.
        let mut pairs = Vec::new();
        for _ in 0..ROUNDS {
            let mut idle = open_loop_reads(&client, &base, &token, 500, 4).await;
            idle.sort_by(f64::total_cmp);
            let stop = Arc::new(AtomicBool::new(false));
            let workers = storm(stop.clone(), Arc::new(AtomicU64::new(0)));
            tokio::time::sleep(Duration::from_secs(1)).await;
            let mut loaded = open_loop_reads(&client, &base, &token, 500, 4).await;
            stop.store(true, Ordering::Relaxed);
            for w in workers {
                w.await.expect("worker");
            }
            loaded.sort_by(f64::total_cmp);
            pairs.push((idle, loaded));
        }
        let ratio = |(idle, loaded): &(Vec<f64>, Vec<f64>)| percentile(loaded, 0.99) / percentile(idle, 0.99);
        let ratios: Vec<f64> = pairs.iter().map(ratio).collect();
        pairs.sort_by(|a, b| ratio(a).total_cmp(&ratio(b)));
        let (idle, loaded) = &pairs[pairs.len() / 2];
        println!(
            "GET /v1/me at 500/s open loop: idle p50 {:.2} ms p99 {:.2} ms; during login storm p50 {:.2} ms p99 {:.2} ms = {:.1}x idle (target <= 3x; median of rounds {})",
            percentile(idle, 0.5),
            percentile(idle, 0.99),
            percentile(loaded, 0.5),
            percentile(loaded, 0.99),
            percentile(loaded, 0.99) / percentile(idle, 0.99),
            rounds(&ratios)
        );
    });
    drop(server);
}
