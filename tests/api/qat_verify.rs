//! The checkpoint verifier binary, run as a checkpoint runs it: sync from a real server, then check
//! payloads with no network, including after a revocation, with a stale cache and with a wrong clock.

use std::process::Command;

use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TempDir, spawn_demo};
use crate::permits::vehicle_permit;

const BIN: &str = env!("CARGO_BIN_EXE_qat-verify");

/// Runs the verifier off the test's runtime (which also serves the server it syncs from); returns its
/// exit code and the JSON line it printed, if any.
async fn run(args: &[&str]) -> (i32, Value) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let out = tokio::task::spawn_blocking(move || Command::new(BIN).args(args).output())
        .await
        .expect("join")
        .expect("run qat-verify");
    let line = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(line.trim()).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), json)
}

/// Serves one fixed trust-list answer, as an out-of-date mirror would.
fn mirror(trust_list: String) -> String {
    let server = HttpServer::new(move || {
        let body = trust_list.clone();
        App::new().route(
            "/v1/permits/trust-list",
            web::get().to(move || {
                let body = body.clone();
                async move { HttpResponse::Ok().content_type("application/json").body(body) }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("bind mirror");
    let url = format!("http://127.0.0.1:{}", server.addrs()[0].port());
    actix_web::rt::spawn(server.run());
    url
}

#[actix_web::test]
async fn a_checkpoint_syncs_then_verifies_offline_and_knows_when_its_cache_cannot_be_trusted() {
    let app = spawn_demo().await;
    let (_, permit) = vehicle_permit(&app).await;
    let qr = permit["credential"]["payload"].as_str().unwrap().to_owned();
    let cache = TempDir::new();
    let dir = cache.0.to_str().unwrap();
    let root = URL_SAFE_NO_PAD.encode(app.state.permit_keys.root.public().as_bytes());
    let old_trust_list = app.get("/v1/permits/trust-list").await.text().await.unwrap();

    let (code, _) = run(&["sync", &app.address, "--cache", dir]).await;
    assert_eq!(code, 2, "the first sync needs a pinned root key");
    let wrong_root = URL_SAFE_NO_PAD.encode(app.state.permit_keys.signer.public().as_bytes());
    let (code, _) = run(&["sync", &app.address, "--cache", dir, "--root", &wrong_root]).await;
    assert_eq!(code, 1, "a trust list not signed by the pinned root is refused");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (code, out) = run(&["sync", &app.address, "--cache", dir, "--root", &root]).await;
    assert_eq!((code, &out["status_lists"]), (0, &json!(1)), "{out}");

    // Offline from here: the server could be gone.
    let (code, out) = run(&["check", &qr, "--cache", dir]).await;
    assert_eq!((code, out["result"].as_str()), (0, Some("valid")), "{out}");
    assert_eq!(out["claims"]["permit"]["fields"], json!([["plate_number", "MV-12-34"]]));
    let mut flipped = qr.clone().into_bytes();
    flipped[40] = if flipped[40] == b'Z' { b'Y' } else { b'Z' };
    let (code, out) = run(&["check", std::str::from_utf8(&flipped).unwrap(), "--cache", dir]).await;
    assert_eq!(code, 1, "{out}");
    let oversized = format!("{qr}{}", "0".repeat(5000));
    let (code, out) = run(&["check", &oversized, "--cache", dir]).await;
    assert_eq!((code, out["reason"].as_str()), (1, Some("payload too long")));

    // A wrong clock is reported as such; an expired cache as stale.
    let (code, out) = run(&["check", &qr, "--cache", dir, "--now", "1000000000"]).await;
    assert_eq!((code, &out), (4, &Value::Null), "an earlier clock gives no verdict");
    let later = (chrono::Utc::now() + chrono::Duration::days(8)).timestamp().to_string();
    let (code, _) = run(&["check", &qr, "--cache", dir, "--now", &later]).await;
    assert_eq!(code, 3, "a trust list past its expiry is stale");

    // Revoked: the cached list does not know yet; after a sync the checkpoint does.
    let supervisor = app.supervisor().await;
    let path = format!("/v1/permits/{}/revoke", permit["id"].as_str().unwrap());
    let res = app.send_json(Method::POST, &path, Some(&supervisor.token), &json!({"reason": "stolen"})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(run(&["check", &qr, "--cache", dir]).await.0, 0, "not yet synced");
    assert_eq!(run(&["sync", &app.address, "--cache", dir]).await.0, 0);
    let (code, out) = run(&["check", &qr, "--cache", dir]).await;
    assert_eq!((code, out["result"].as_str()), (1, Some("revoked")), "{out}");

    // A mirror offering the trust list fetched before is refused: the cache never rolls back.
    let (code, _) = run(&["sync", &mirror(old_trust_list), "--cache", dir]).await;
    assert_eq!(code, 3);
    let (code, out) = run(&["check", &qr, "--cache", dir]).await;
    assert_eq!((code, out["result"].as_str()), (1, Some("revoked")), "the cache is unchanged");
}
