//! Malformed multipart uploads, generated: every answer is a 201 or a problem document with a 4xx
//! status, never a 500, and nothing half-stored is left behind.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{PDF, TestApp};

const BOUNDARY: &str = "qatfuzzboundary";

/// Bodies made of pieces of real multipart (boundaries, headers, part names, file starts) and noise.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(format!("--{BOUNDARY}\r\n").into_bytes()),
        Just(format!("--{BOUNDARY}--\r\n").into_bytes()),
        Just(b"Content-Disposition: form-data; name=\"kind\"\r\n\r\nphoto\r\n".to_vec()),
        Just(b"Content-Disposition: form-data; name=\"file\"; filename=\"x.pdf\"\r\n".to_vec()),
        Just(b"Content-Disposition: form-data; name=\"file\"\r\n".to_vec()),
        Just(b"Content-Type: application/pdf\r\n\r\n".to_vec()),
        Just(b"Content-Disposition: form-data; name=\"\xff\xfe\"\r\n\r\n".to_vec()),
        Just(PDF.to_vec()),
        Just(b"\r\n".to_vec()),
        prop::collection::vec(any::<u8>(), 0..64),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

#[actix_web::test]
async fn generated_multipart_bodies_get_an_answer_never_a_failure() {
    let app = TestApp::spawn().await;
    let (me, id) = app.draft_on_test_service("fuzz-upload", "fuzz@example.mo").await;
    let url = format!("/v1/applications/{id}/documents");
    let mut runner = TestRunner::deterministic();
    let strategy = body();
    let mut stored = 0;
    for _ in 0..48 {
        let bytes = strategy.new_tree(&mut runner).unwrap().current();
        let res = app
            .request(Method::POST, &url)
            .bearer_auth(&me.token)
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(bytes.clone())
            .timeout(std::time::Duration::from_secs(5))
            .send()
            .await
            .unwrap_or_else(|e| panic!("no answer ({e}) for {:?}", String::from_utf8_lossy(&bytes)));
        let status = res.status().as_u16();
        if status == 201 {
            stored += 1;
            continue;
        }
        let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
        assert!((400..500).contains(&status), "{status} for {:?}", String::from_utf8_lossy(&bytes));
        assert_eq!(ct.as_deref(), Some("application/problem+json"), "{status}");
    }
    let docs: Value = app.get_as(&url, &me.token).await.json().await.unwrap();
    assert_eq!(docs["items"].as_array().unwrap().len(), stored, "only answered uploads are stored");
}
