//! Messages that leave the server by email: password reset codes through a real SMTP conversation with
//! a local server, retried when the relay fails, counted in `/metrics`; the outbox keeps no code.

use std::sync::atomic::Ordering;
use std::time::Duration;

use diesel::prelude::*;
use qinaotong::config::SmtpSettings;
use serde_json::json;

use crate::helpers::{STRONG_PASSWORD, TestApp, eventually};
use crate::smtp_sink::{Mail, SmtpSink};

/// A server whose email goes to `sink`, polling the outbox often and retrying quickly.
pub async fn spawn_with_mail(sink: &SmtpSink) -> TestApp {
    let url = sink.url();
    TestApp::spawn_with(move |c| {
        c.messaging.smtp = Some(SmtpSettings::parse(&url).unwrap());
        c.messaging.mail_from = Some("Qin Ao Tong <no-reply@qinaotong.example>".into());
        c.messaging.poll_interval = Duration::from_millis(50);
        c.messaging.retry_base = Duration::from_millis(100);
    })
    .await
}

pub async fn register(app: &TestApp, email: &str, language: &str) {
    let body = json!({"email": email, "password": STRONG_PASSWORD, "full_name": "Ho Ka Yan", "preferred_language": language});
    let res = app.post_json("/v1/auth/register", &body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}

/// The eight digits that follow "code: " in the mail's text part.
fn code_in(mail: &Mail) -> String {
    let at = mail.data.find("code: ").expect("the mail carries a code") + 6;
    mail.data[at..at + 8].to_owned()
}

async fn mail_to(sink: &SmtpSink, address: &str, count: usize) -> Vec<Mail> {
    eventually(&format!("{count} mail(s) to {address}"), || async {
        let mails = sink.mails_to(address);
        (mails.len() >= count).then_some(mails)
    })
    .await
}

#[actix_web::test]
async fn a_reset_code_arrives_by_smtp_after_the_relay_fails_and_sets_the_password() {
    let sink = SmtpSink::start().await;
    let app = spawn_with_mail(&sink).await;
    register(&app, "forgetful@example.mo", "en").await;
    // The relay is down for the first two attempts: the code is delayed, not lost.
    sink.fail_next.store(2, Ordering::SeqCst);
    let res = app.post_json("/v1/auth/password-reset", &json!({"login": "forgetful@example.mo"})).await;
    assert_eq!(res.status(), 202);

    let mail = mail_to(&sink, "forgetful@example.mo", 1).await.remove(0);
    assert_eq!(sink.refused.load(Ordering::SeqCst), 2, "two refused attempts before it went through");
    assert!(mail.authenticated, "the server logs in to the relay with the URL's credentials");
    assert_eq!(mail.from, "no-reply@qinaotong.example");
    assert!(mail.header("Content-Type").unwrap().starts_with("multipart/alternative"));
    assert!(mail.data.contains("text/plain") && mail.data.contains("text/html"));
    let code = code_in(&mail);
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{code}");

    // The outbox keeps the outcome, not the code.
    let rows: Vec<(String, i32, String)> = app
        .db(|c| {
            use qinaotong::db::schema::message_outbox::dsl as m;
            m::message_outbox.select((m::status, m::attempts, m::body)).load(c).unwrap()
        })
        .await;
    assert_eq!(rows, vec![("sent".to_owned(), 3, String::new())]);

    let reset = json!({"login": "forgetful@example.mo", "code": code, "password": "Granite-Orchid-88"});
    assert_eq!(app.post_json("/v1/auth/password-reset/confirm", &reset).await.status(), 204);
    assert_eq!(app.login("forgetful@example.mo", "Granite-Orchid-88").await.status(), 200);

    // The owner hears of the change, in their language, however they route other events.
    let alert = mail_to(&sink, "forgetful@example.mo", 2).await.remove(1);
    assert_eq!(alert.header("Subject").unwrap(), "Password changed - Qin Ao Tong");

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("qat_messages_total{channel=\"email\",outcome=\"retried\"} 2"), "{metrics}");
    assert!(metrics.contains("qat_messages_total{channel=\"email\",outcome=\"sent\"} 2"), "{metrics}");
    assert!(metrics.contains("qat_messages_total{channel=\"email\",outcome=\"dead\"} 0"), "{metrics}");
}

#[actix_web::test]
async fn a_relay_that_never_accepts_ends_in_the_dead_letter_state() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(move |c| {
        c.messaging.smtp = Some(SmtpSettings::parse(&url).unwrap());
        c.messaging.mail_from = Some("no-reply@qinaotong.example".into());
        c.messaging.poll_interval = Duration::from_millis(50);
        c.messaging.retry_base = Duration::from_millis(50);
        c.messaging.max_attempts = 3;
    })
    .await;
    register(&app, "unlucky@example.mo", "zh-Hant").await;
    sink.fail_next.store(100, Ordering::SeqCst);
    app.post_json("/v1/auth/password-reset", &json!({"login": "unlucky@example.mo"})).await;
    let row: (String, i32, Option<String>, String) = eventually("the message given up", || async {
        app.db(|c| {
            use qinaotong::db::schema::message_outbox::dsl as m;
            m::message_outbox
                .filter(m::status.eq("dead"))
                .select((m::status, m::attempts, m::last_error, m::body))
                .first(c)
                .optional()
                .unwrap()
        })
        .await
    })
    .await;
    assert_eq!(row.1, 3, "as many attempts as configured");
    assert!(row.2.unwrap().contains("451"), "the relay's answer is kept for support");
    assert_eq!(row.3, "", "a dead code message keeps no code");
    assert_eq!(sink.refused.load(Ordering::SeqCst), 3);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("qat_messages_total{channel=\"email\",outcome=\"dead\"} 1"), "{metrics}");
    assert!(metrics.contains("qat_messages_total{channel=\"email\",outcome=\"failed\"} 3"), "{metrics}");
}
