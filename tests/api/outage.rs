//! The database going away and coming back is survived without a restart (PostgreSQL through a proxy
//! that the test can cut).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use qinaotong::config::Config;

use crate::helpers::{TestApp, assert_problem, postgres_url};

/// A TCP forwarder to PostgreSQL that can refuse new connections and cut the open ones.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (up2, links2) = (up.clone(), links.clone());
        actix_web::rt::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                let target = target.clone();
                let link = actix_web::rt::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links2.lock().await.push(link);
            }
        });
        Self { port, up, links }
    }

    async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().await.drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn host_port(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or("");
    let authority = rest.split('/').next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("127.0.0.1:5432");
    if host.contains(':') { host.to_owned() } else { format!("{host}:5432") }
}

/// A server whose PostgreSQL connections all pass through a proxy the test can cut; `None` (the test
/// is skipped) without PostgreSQL.
async fn behind_proxy(adjust: impl FnOnce(&mut Config)) -> Option<(Proxy, TestApp)> {
    let Some(admin_url) = postgres_url() else {
        eprintln!("skipped: needs TEST_DATABASE_URL (PostgreSQL)");
        return None;
    };
    let proxy = Proxy::start(host_port(&admin_url)).await;
    let proxy_port = proxy.port;
    let app = TestApp::spawn_with(move |c| {
        let direct = c.database_url.expose().to_owned();
        c.database_url = qinaotong::config::Secret::new(direct.replacen(
            &host_port(&direct),
            &format!("127.0.0.1:{proxy_port}"),
            1,
        ));
        adjust(c);
    })
    .await;
    Some((proxy, app))
}

#[actix_web::test]
async fn readiness_follows_the_database_and_recovers_without_restart() {
    let Some((proxy, app)) = behind_proxy(|c| {
        c.db_connect_timeout = Duration::from_millis(500);
        c.db_queue_timeout = Duration::from_millis(1500);
    })
    .await
    else {
        return;
    };
    assert_eq!(app.get("/readyz").await.status(), 200);

    proxy.cut().await;
    let res = app.get("/readyz").await;
    assert!(res.headers().contains_key("retry-after"));
    let body = assert_problem(res, StatusCode::SERVICE_UNAVAILABLE, "service_unavailable").await;
    let text = body.to_string().to_lowercase();
    assert!(!text.contains("postgres") && !text.contains("select"), "leaks internals: {text}");
    // Liveness does not depend on the database.
    assert_eq!(app.get("/healthz").await.status(), 200);

    proxy.restore();
    crate::helpers::eventually("readiness recovers after the database returned", || async {
        (app.get("/readyz").await.status() == 200).then_some(())
    })
    .await;
}

/// Reads on PostgreSQL run on each worker's own connections; when PostgreSQL drops them (a restart, a
/// failover, a terminated backend), the next read finds out on use and is answered on a new connection
/// instead of failing.
#[actix_web::test]
async fn reads_whose_connection_was_cut_are_answered_on_a_new_one() {
    let Some((proxy, app)) = behind_proxy(|_| {}).await else {
        return;
    };
    let resident = app.resident("cut.reader@example.mo").await;
    // Every read connection of the worker is open before the cut.
    for _ in 0..4 {
        assert_eq!(app.get_as("/v1/me", &resident.token).await.status(), 200);
    }

    proxy.cut().await;
    proxy.restore();
    for i in 0..4 {
        let res = app.get_as("/v1/me", &resident.token).await;
        assert_eq!(res.status(), 200, "read {i} after the cut");
        let me: serde_json::Value = res.json().await.unwrap();
        assert_eq!(me["email"], "cut.reader@example.mo");
    }
}

/// A URL with options only libpq knows (here `gssencmode`) still serves reads: the workers' own
/// connections are not used when they cannot connect, and every query goes through the pool.
#[actix_web::test]
async fn a_url_the_read_driver_cannot_use_still_serves_reads_through_the_pool() {
    if postgres_url().is_none() {
        eprintln!("skipped: needs TEST_DATABASE_URL (PostgreSQL)");
        return;
    }
    let app = TestApp::spawn_with(|c| {
        let url = c.database_url.expose().to_owned();
        let sep = if url.contains('?') { '&' } else { '?' };
        c.database_url = qinaotong::config::Secret::new(format!("{url}{sep}gssencmode=disable"));
    })
    .await;
    let resident = app.resident("libpq.options@example.mo").await;
    let res = app.get_as("/v1/me", &resident.token).await;
    assert_eq!(res.status(), 200);
    let me: serde_json::Value = res.json().await.unwrap();
    assert_eq!(me["email"], "libpq.options@example.mo");
}
