//! Uploads: type judged by content, size limits, atomicity, integrity on download.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PDF, TestApp, assert_problem};

async fn files_on_disk(app: &TestApp) -> usize {
    let dir = app.config.data_dir.join("documents");
    std::fs::read_dir(&dir)
        .map(|d| d.filter_map(Result::ok).filter(|e| e.path().is_file()).count())
        .unwrap_or(0)
        + std::fs::read_dir(dir.join("tmp")).map(|d| d.count()).unwrap_or(0)
}

#[actix_web::test]
async fn uploads_are_judged_by_their_bytes_and_bounded_in_size() {
    let app = TestApp::spawn_with(|c| {
        c.max_upload_bytes = 64 * 1024;
        c.max_documents_per_application = 3;
    })
    .await;
    let (me, id) = app.draft_on_test_service("uploads", "uploader@example.mo").await;

    // A kind the service does not ask for.
    let res = app.upload(&me.token, &id, "passport", "p.pdf", PDF.to_vec()).await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "kind");

    let png = [&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..], &[0u8; 64]].concat();
    let jpeg = [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[1u8; 64]].concat();
    let heic = [&[0, 0, 0, 24][..], b"ftypheic", &[0u8; 32]].concat();
    for (bytes, expected) in [(png, "image/png"), (jpeg, "image/jpeg"), (heic, "image/heic")] {
        let res = app.upload(&me.token, &id, "proof_of_address", "scan.bin", bytes).await;
        assert_eq!(res.status(), 201);
        assert_eq!(res.json::<Value>().await.unwrap()["content_type"], expected);
    }
    assert_eq!(files_on_disk(&app).await, 3);

    // A text file named .pdf is not a PDF.
    let res = app.upload(&me.token, &id, "photo", "fake.pdf", b"just some text pretending".to_vec()).await;
    assert_problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    let res = app.upload(&me.token, &id, "photo", "big.pdf", [PDF, &vec![b' '; 70 * 1024]].concat()).await;
    assert_problem(res, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    // The per-application cap.
    let res = app.upload(&me.token, &id, "photo", "p.pdf", PDF.to_vec()).await;
    assert_problem(res, StatusCode::CONFLICT, "document_limit_reached").await;
    // A full application is refused before the kind asked for is judged.
    let res = app.upload(&me.token, &id, "passport", "p.pdf", PDF.to_vec()).await;
    assert_problem(res, StatusCode::CONFLICT, "document_limit_reached").await;
    // Refused uploads leave neither rows nor files behind.
    let list: Value =
        app.get_as(&format!("/v1/applications/{id}/documents"), &me.token).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    assert_eq!(files_on_disk(&app).await, 3);

    let form = reqwest::multipart::Form::new().text("kind", "photo");
    let res = app
        .request(Method::POST, &format!("/v1/applications/{id}/documents"))
        .bearer_auth(&me.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res = app
        .request(Method::POST, &format!("/v1/applications/{id}/documents"))
        .bearer_auth(&me.token)
        .json(&json!({"kind": "photo"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
}

#[actix_web::test]
async fn a_file_changed_on_disk_is_never_served() {
    let app = TestApp::spawn().await;
    let (me, id) = app.draft_on_test_service("integrity", "integrity@example.mo").await;
    let doc: Value = app.upload(&me.token, &id, "photo", "p.pdf", PDF.to_vec()).await.json().await.unwrap();
    let stored = std::fs::read_dir(app.config.data_dir.join("documents"))
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.path().is_file())
        .unwrap()
        .path();
    assert_ne!(stored.file_name().unwrap(), "p.pdf", "files are stored under a name of ours");
    std::fs::write(&stored, b"%PDF-tampered").unwrap();
    let res = app
        .get_as(&format!("/v1/applications/{id}/documents/{}", doc["id"].as_str().unwrap()), &me.token)
        .await;
    let body = assert_problem(res, StatusCode::INTERNAL_SERVER_ERROR, "internal").await;
    assert!(!body.to_string().contains(stored.to_str().unwrap()), "no file paths in responses");
}

async fn upload_typed(
    app: &TestApp,
    token: &str,
    id: &str,
    name: &str,
    mime: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).unwrap();
    let form = reqwest::multipart::Form::new().text("kind", "photo").part("file", part);
    app.request(Method::POST, &format!("/v1/applications/{id}/documents"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_declared_type_or_extension_that_disagrees_with_the_bytes_is_refused() {
    let app = TestApp::spawn().await;
    let (me, id) = app.draft_on_test_service("declared", "declared@example.mo").await;
    let png = [&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..], &[0u8; 64]].concat();
    let jpeg = [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[1u8; 64]].concat();

    // A PNG named x.pdf and sent as application/pdf is not stored.
    let res = upload_typed(&app, &me.token, &id, "x.pdf", "application/pdf", png.clone()).await;
    let body = assert_problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    assert!(body["detail"].as_str().unwrap().contains("image/png"), "{body}");
    // The name alone, or the declared type alone, disagreeing is enough.
    let res = upload_typed(&app, &me.token, &id, "x.pdf", "application/octet-stream", png.clone()).await;
    assert_problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    let res = upload_typed(&app, &me.token, &id, "x.png", "image/jpeg", png.clone()).await;
    assert_problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    let res = app.upload(&me.token, &id, "photo", "x.jpg", png.clone()).await;
    assert_problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    let list: Value =
        app.get_as(&format!("/v1/applications/{id}/documents"), &me.token).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "nothing refused was stored");

    // Aliases agree; octet-stream and a missing type defer to the bytes.
    for (name, mime, bytes) in [
        ("photo.jpg", "image/jpg", jpeg.clone()),
        ("photo.JPEG", "image/jpeg", jpeg),
        ("scan.png", "application/octet-stream", png.clone()),
    ] {
        let res = upload_typed(&app, &me.token, &id, name, mime, bytes).await;
        assert_eq!(res.status(), 201, "{name} as {mime}");
    }
    let res = app.upload(&me.token, &id, "photo", "scan.png", png).await;
    assert_eq!(res.status(), 201);
}

#[actix_web::test]
async fn a_large_download_equals_its_upload_and_a_changed_one_never_arrives_whole() {
    let app = TestApp::spawn().await;
    let (me, id) = app.draft_on_test_service("streamed", "streamed@example.mo").await;
    let original: Vec<u8> = [PDF, &(0..300 * 1024).map(|i| (i % 251) as u8).collect::<Vec<u8>>()].concat();
    let doc: Value =
        app.upload(&me.token, &id, "photo", "big.pdf", original.clone()).await.json().await.unwrap();
    let url = format!("/v1/applications/{id}/documents/{}", doc["id"].as_str().unwrap());

    let res = app.get_as(&url, &me.token).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-length"], original.len().to_string().as_str());
    assert_eq!(res.bytes().await.unwrap().to_vec(), original, "byte for byte");

    // Same size, a few bytes changed near the end, after upload.
    let stored = std::fs::read_dir(app.config.data_dir.join("documents"))
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.path().is_file())
        .unwrap()
        .path();
    let mut altered = original.clone();
    let end = altered.len() - 10;
    altered[end..].copy_from_slice(b"ALTERED!!!");
    std::fs::write(&stored, &altered).unwrap();
    let res = app.get_as(&url, &me.token).await;
    if res.status() == 200 {
        // An error reading the body means it was cut short of its Content-Length.
        if let Ok(body) = res.bytes().await {
            assert!(body.len() < altered.len(), "a changed file is never served whole");
            assert!(!body.ends_with(b"ALTERED!!!"));
        }
    } else {
        assert_problem(res, StatusCode::INTERNAL_SERVER_ERROR, "internal").await;
    }
}
