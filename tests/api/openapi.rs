//! The committed contract equals what the code generates. `UPDATE_OPENAPI=1` rewrites it on purpose.

use crate::helpers::TestApp;

#[test]
fn committed_openapi_document_matches_the_code() {
    let generated = qinaotong::openapi::document_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(path, &generated).expect("write openapi/openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date: run `UPDATE_OPENAPI=1 cargo test --test api openapi` and commit it"
    );
}

#[actix_web::test]
async fn server_serves_the_committed_document_and_the_docs_page() {
    let app = TestApp::spawn().await;
    let res = app.get("/openapi.json").await;
    assert_eq!(res.status(), 200);
    let served: serde_json::Value = res.json().await.unwrap();
    let committed: serde_json::Value = serde_json::from_str(&qinaotong::openapi::document_json()).unwrap();
    assert_eq!(served, committed);
    assert_eq!(served["openapi"], "3.1.0");

    let res = app.get("/docs").await;
    assert_eq!(res.status(), 308);
    assert_eq!(res.headers()["location"], "/docs/");
    let res = app.get("/docs/").await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("swagger-ui"));
    // Assets come from the binary, not from a CDN.
    let res = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().len() > 100_000);
}

#[test]
fn every_operation_has_an_id_a_summary_and_described_responses() {
    let doc: serde_json::Value = serde_json::from_str(&qinaotong::openapi::document_json()).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let where_ = format!("{method} {path}");
            assert!(op["operationId"].is_string(), "{where_} has no operationId");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{where_} has no summary");
            for (status, res) in op["responses"].as_object().unwrap() {
                assert!(res["description"].as_str().is_some_and(|d| !d.is_empty()), "{where_} {status}");
            }
        }
    }
}
