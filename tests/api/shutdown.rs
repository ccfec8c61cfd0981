//! SIGTERM drains in-flight requests: an upload that is still arriving completes, then the process exits.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::PDF;
use crate::process::Process;

#[actix_web::test]
async fn sigterm_lets_an_upload_in_flight_finish() {
    let mut process = Process::start(&[("QAT_DEMO_DATA", "true")]).await;
    let (base, port) = (process.base.clone(), process.port);
    let client = reqwest::Client::new();
    let (login, _, password) = qinaotong::seed::DEMO_RESIDENT;
    let token = process.token(login, password).await;
    let services: Value =
        client.get(format!("{base}/v1/services?limit=100")).send().await.unwrap().json().await.unwrap();
    let mut target = None;
    for s in services["items"].as_array().unwrap() {
        let detail: Value = client
            .get(format!("{base}/v1/services/{}", s["id"].as_str().unwrap()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(kind) = detail["form"]["documents"][0]["kind"].as_str() {
            target = Some((s["id"].as_str().unwrap().to_owned(), kind.to_owned()));
            break;
        }
    }
    let (service, kind) = target.expect("a demo service that takes documents");
    let app: Value = client
        .post(format!("{base}/v1/applications"))
        .bearer_auth(&token)
        .json(&json!({"service_id": service, "form_data": {}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = app["id"].as_str().unwrap();

    // A hand-written multipart request whose file arrives slowly.
    let boundary = "drain-test-boundary";
    let file = [PDF, &vec![b' '; 200_000]].concat();
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let length = head.len() + file.len() + tail.len();
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "POST /v1/applications/{id}/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{head}"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let chunks: Vec<&[u8]> = file.chunks(file.len() / 8 + 1).collect();
    stream.write_all(chunks[0]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // SAFETY: sending a signal to the child process this test started.
    unsafe {
        libc::kill(process.child.id() as i32, libc::SIGTERM);
    }
    for chunk in &chunks[1..] {
        tokio::time::sleep(Duration::from_millis(100)).await;
        stream.write_all(chunk).await.unwrap();
    }
    stream.write_all(tail.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "the upload in flight was cut: {response}");

    let status = crate::helpers::eventually("the server exits after SIGTERM", || {
        let exited = process.child.try_wait().unwrap();
        async move { exited }
    })
    .await;
    assert!(status.success(), "exit status {status:?}");
}
