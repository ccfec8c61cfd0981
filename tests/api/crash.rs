//! A crash in the middle of a burst of creates: 1,000 clients create an application each with their own
//! `Idempotency-Key`, the server is killed with SIGKILL part-way and started again on the same database,
//! and every client retries with its key until it has an answer. Exactly 1,000 applications exist, and
//! each client holds the id that its key answers.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::helpers::{STRONG_PASSWORD, TempDir, create_pg_database, drop_pg_database, postgres_url};
use crate::process::Process;

const CLIENTS: usize = 1000;
const AT_ONCE: usize = 64;
/// Answers received before the kill: far enough in that requests are in flight, far from the end.
const KILL_AFTER: usize = 300;

/// Sends one create until it gets an answer: through the kill, the restart and any 409 or 503 on the
/// way. Counts the attempts that found no server, and the answers that a crash took from their client
/// after the create committed (the retry then gets the stored answer).
async fn create_until_answered(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: &Value,
    key: &str,
    (refused, recovered): (&AtomicUsize, &AtomicUsize),
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut failed = false;
    loop {
        assert!(Instant::now() < deadline, "no answer for {key} within a minute");
        let sent = client
            .post(format!("{base}/v1/applications"))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body)
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        match sent {
            Ok(res) if res.status() == 201 => {
                if failed && res.headers().contains_key("idempotent-replayed") {
                    recovered.fetch_add(1, Ordering::Relaxed);
                }
                return res.json().await.unwrap();
            }
            // Still running elsewhere, or the server is starting or saturated: ask again.
            Ok(res) if [409, 503].contains(&res.status().as_u16()) => {}
            Ok(res) => panic!("{key}: {} {}", res.status(), res.text().await.unwrap()),
            Err(_) => {
                failed = true;
                refused.fetch_add(1, Ordering::Relaxed);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn a_crash_during_a_thousand_creates_loses_and_duplicates_nothing() {
    let pg = postgres_url().map(|admin| {
        let (url, name) = create_pg_database(&admin);
        (admin, url, name)
    });
    let mut env = vec![
        ("QAT_RATE_LIMIT_PER_MINUTE", "0"),
        ("QAT_MAX_OPEN_DRAFTS_PER_RESIDENT", "100000"),
        ("QAT_DB_POOL_SIZE", "4"),
        ("RUST_LOG", "warn"),
    ];
    if let Some((_, url, _)) = &pg {
        env.push(("DATABASE_URL", url.as_str()));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Process::start_in(TempDir::new(), port, &env).await;
    let base = server.base.clone();
    let client = reqwest::Client::builder().pool_max_idle_per_host(AT_ONCE).build().unwrap();
    let email = "burst@example.mo";
    let res = client
        .post(format!("{base}/v1/auth/register"))
        .json(&json!({"email": email, "password": STRONG_PASSWORD, "full_name": "Wong Ka Lok"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let login: Value = client
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"login": email, "password": STRONG_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let services: Value =
        client.get(format!("{base}/v1/services")).send().await.unwrap().json().await.unwrap();
    let body = json!({"service_id": services["items"][0]["id"], "form_data": {}});

    let answered = Arc::new(AtomicUsize::new(0));
    let (refused, recovered) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let started = Instant::now();
    let burst = futures_util::stream::iter(0..CLIENTS)
        .map(|i| {
            let (client, base, token, body, answered) = (&client, &base, &token, &body, &answered);
            let counters = (&refused, &recovered);
            async move {
                let key = format!("burst-{i}");
                let created = create_until_answered(client, base, token, body, &key, counters).await;
                answered.fetch_add(1, Ordering::Relaxed);
                (key, created["id"].as_str().unwrap().to_owned())
            }
        })
        .buffer_unordered(AT_ONCE)
        .collect::<Vec<_>>();
    let crash = async {
        while answered.load(Ordering::Relaxed) < KILL_AFTER {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let at_kill = answered.load(Ordering::Relaxed);
        let dir = server.kill();
        (at_kill, Process::start_in(dir, port, &env).await)
    };
    let (answers, (at_kill, restarted)) = tokio::join!(burst, crash);
    let elapsed = started.elapsed();
    println!(
        "{CLIENTS} creates, {AT_ONCE} at once, killed after {at_kill} answers, {} refused attempts, {} \
         answers lost after commit and replayed, {elapsed:?}",
        refused.load(Ordering::Relaxed),
        recovered.load(Ordering::Relaxed)
    );
    assert!(at_kill < CLIENTS, "the kill came after the last answer");
    assert!(refused.load(Ordering::Relaxed) > 0, "no request met the dead server: the kill missed the burst");

    // Exactly one application per key, and the one each client was told about.
    let mut stored = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let page_url = match &cursor {
            Some(c) => format!("{base}/v1/applications?limit=100&cursor={c}"),
            None => format!("{base}/v1/applications?limit=100"),
        };
        let page: Value =
            client.get(page_url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            assert!(stored.insert(item["id"].as_str().unwrap().to_owned()), "listed twice: {item}");
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(stored.len(), CLIENTS, "applications after the crash");
    let told: HashSet<&String> = answers.iter().map(|(_, id)| id).collect();
    assert_eq!(told.len(), CLIENTS, "two clients were told the same id");
    assert!(answers.iter().all(|(_, id)| stored.contains(id)), "a client holds an id that does not exist");
    // The key's stored answer is the one its client holds.
    let again = futures_util::stream::iter(&answers)
        .map(|(key, id)| {
            let (client, base, token, body) = (&client, &base, &token, &body);
            async move {
                let res = client
                    .post(format!("{base}/v1/applications"))
                    .bearer_auth(token)
                    .header("Idempotency-Key", key)
                    .json(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.headers()["idempotent-replayed"], "true", "{key} was not stored");
                let replayed: Value = res.json().await.unwrap();
                assert_eq!(replayed["id"].as_str(), Some(id.as_str()), "{key} answers another id");
            }
        })
        .buffer_unordered(AT_ONCE)
        .count()
        .await;
    assert_eq!(again, CLIENTS);
    drop(restarted);
    if let Some((admin, _, name)) = pg {
        drop_pg_database(&admin, &name);
    }
}
