//! Messages that leave the server by email: password reset codes through a real SMTP conversation with
//! a local server, retried when the relay fails, counted in `/metrics`; the outbox keeps no code.

use std::sync::atomic::Ordering;
use std::time::Duration;

use diesel::prelude::*;
use qinaotong::config::SmtpSettings;
use serde_json::{Value, json};

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

/// Confirms a registration's verification with the code that arrived for it: the contact is proven.
async fn prove(app: &TestApp, login: &str, registered: &Value, code: &str) {
    let token = app.session(login, STRONG_PASSWORD).await.token;
    let verification = registered["verifications"][0]["verification_id"].as_str().unwrap();
    let body = json!({"verification_id": verification, "code": code});
    let res =
        app.send_json(reqwest::Method::POST, "/v1/me/contact-changes/confirm", Some(&token), &body).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// Registers a resident who reads English (so the code stands plainly in the mail) and proves the email
/// with the code that arrives over SMTP: password reset codes go only to proven contacts. The mails and
/// outbox rows of the set-up are cleared, so that the test sees only what follows.
pub async fn register_proven(app: &TestApp, sink: &SmtpSink, email: &str) {
    let body = json!({"email": email, "password": STRONG_PASSWORD, "full_name": "Ho Ka Yan", "preferred_language": "en"});
    let res = app.post_json("/v1/auth/register", &body).await;
    assert_eq!(res.status(), 201);
    let registered: Value = res.json().await.unwrap();
    let mail = mail_to(sink, email, 1).await.remove(0);
    prove(app, email, &registered, &code_in(&mail)).await;
    let me = app.session(email, STRONG_PASSWORD).await;
    assert_eq!(app.get_as("/v1/me", &me.token).await.json::<Value>().await.unwrap()["email_verified"], true);
    sink.mails.lock().unwrap().clear();
    app.db(|c| diesel::delete(qinaotong::db::schema::message_outbox::table).execute(c).unwrap()).await;
}

/// The subject line, with its RFC 2047 base64 words decoded.
fn decoded_subject(mail: &Mail) -> String {
    use base64::Engine;
    let raw = mail.header("Subject").expect("a subject");
    raw.split_whitespace()
        .map(|word| match word.strip_prefix("=?utf-8?b?").and_then(|w| w.strip_suffix("?=")) {
            Some(b64) => {
                String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64).unwrap()).unwrap()
            }
            None => format!(" {word} "),
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
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
    register_proven(&app, &sink, "forgetful@example.mo").await;
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

    // The outbox keeps the outcome, not the code. The relay has the mail a moment before the worker
    // records that it went out.
    let rows: Vec<(String, i32, String)> = eventually("the outbox records the delivery", || async {
        let rows: Vec<(String, i32, String)> = app
            .db(|c| {
                use qinaotong::db::schema::message_outbox::dsl as m;
                m::message_outbox.select((m::status, m::attempts, m::body)).load(c).unwrap()
            })
            .await;
        rows.iter().all(|(status, _, _)| status != "pending").then_some(rows)
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
    // The proof of the address, the reset code and the alert.
    assert!(metrics.contains("qat_messages_total{channel=\"email\",outcome=\"sent\"} 3"), "{metrics}");
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
    register_proven(&app, &sink, "unlucky@example.mo").await;
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

#[actix_web::test]
async fn a_phone_only_resident_gets_the_code_through_the_sms_gateway() {
    use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
    use std::sync::{Arc, Mutex};
    type Received = Arc<Mutex<Vec<(String, Value)>>>;
    // The gateway: HTTP Basic credentials, a JSON body made from the template; busy once.
    let received: Received = Arc::default();
    let busy = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (log, first) = (received.clone(), busy.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/v2/sms", listener.local_addr().unwrap().port());
    let server = HttpServer::new(move || {
        let (log, first) = (log.clone(), first.clone());
        App::new().route(
            "/v2/sms",
            web::post().to(move |req: HttpRequest, body: web::Json<Value>| {
                let (log, first) = (log.clone(), first.clone());
                async move {
                    let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
                    log.lock().unwrap().push((auth.to_owned(), body.0));
                    if first.swap(false, Ordering::SeqCst) {
                        return HttpResponse::ServiceUnavailable().finish();
                    }
                    HttpResponse::Accepted().json(json!({"message_id": "gw-1"}))
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap();
    actix_web::rt::spawn(server.run());
    let app = TestApp::spawn_with(move |c| {
        c.messaging.sms_gateway = Some(qinaotong::config::SmsSettings {
            url,
            username: Some("qat".into()),
            password: Some(qinaotong::config::Secret::new("gateway-secret")),
            token: None,
            template: r#"{"from":"QinAoTong","to":"{to}","body":"{text}"}"#.into(),
            content_type: "application/json".into(),
        });
        c.messaging.poll_interval = Duration::from_millis(50);
        c.messaging.retry_base = Duration::from_millis(50);
    })
    .await;
    let body = json!({"phone": "+853 6612 3456", "password": STRONG_PASSWORD, "full_name": "Ho Ka Yan", "preferred_language": "zh-Hans"});
    let res = app.post_json("/v1/auth/register", &body).await;
    assert_eq!(res.status(), 201);
    let registered: Value = res.json().await.unwrap();
    // The registration's code: refused once by the busy gateway, then accepted.
    let sent = eventually("the registration SMS accepted", || async {
        let got = received.lock().unwrap().clone();
        (got.len() >= 2).then_some(got)
    })
    .await;
    let digits =
        |sms: &Value| sms["body"].as_str().unwrap().chars().filter(char::is_ascii_digit).take(8).collect();
    let code: String = digits(&sent[1].1);
    prove(&app, "+85366123456", &registered, &code).await;
    let res = app.post_json("/v1/auth/password-reset", &json!({"login": "+85366123456"})).await;
    assert_eq!(res.status(), 202);
    let sent = eventually("the reset SMS accepted", || async {
        let got = received.lock().unwrap().clone();
        (got.len() >= 3).then_some(got)
    })
    .await;
    let (auth, sms) = &sent[2];
    assert_eq!(auth, "Basic cWF0OmdhdGV3YXktc2VjcmV0", "qat:gateway-secret");
    assert_eq!(sms["to"], "+85366123456");
    assert_eq!(sms["from"], "QinAoTong");
    let text = sms["body"].as_str().unwrap();
    assert!(text.starts_with("琴澳通重设密码验证码："), "in the resident's language: {text}");
    let code: String = digits(sms);
    let reset = json!({"login": "+85366123456", "code": code, "password": "Granite-Orchid-88"});
    assert_eq!(app.post_json("/v1/auth/password-reset/confirm", &reset).await.status(), 204);
}

#[actix_web::test]
async fn a_login_from_a_new_device_is_announced_and_the_usual_ones_are_not() {
    let sink = SmtpSink::start().await;
    let app = spawn_with_mail(&sink).await;
    register(&app, "watchful@example.mo", "zh-Hant").await;
    let login = |agent: &'static str| {
        app.request(reqwest::Method::POST, "/v1/auth/login")
            .header("user-agent", agent)
            .json(&json!({"login": "watchful@example.mo", "password": STRONG_PASSWORD}))
            .send()
    };
    for agent in ["QinAoTong/2.4 (iPhone)", "QinAoTong/2.4 (iPhone)"] {
        assert_eq!(login(agent).await.unwrap().status(), 200);
    }
    assert_eq!(login("Mozilla/5.0 (X11; Linux)").await.unwrap().status(), 200);
    // The first mail is the registration's code; the second the alert.
    let alert = mail_to(&sink, "watchful@example.mo", 2).await.remove(1);
    assert_eq!(decoded_subject(&alert), "新裝置登入 - 琴澳通", "in the resident's language");
    let kinds: Vec<String> = app
        .db(|c| {
            use qinaotong::db::schema::message_outbox::dsl as m;
            m::message_outbox.filter(m::kind.ne("account.code")).select(m::kind).load(c).unwrap()
        })
        .await;
    assert_eq!(kinds, vec!["security.new_login".to_owned()], "the first and the usual logins are quiet");
}

#[actix_web::test]
async fn mail_never_falls_back_to_plain_text_when_tls_was_asked_for() {
    // The relay offers no STARTTLS and speaks no TLS: with `smtp://` (STARTTLS required) or `smtps://`
    // the code must not travel, and waits in the outbox instead.
    for scheme in ["smtp", "smtps"] {
        let sink = SmtpSink::start().await;
        let url = format!("{scheme}://127.0.0.1:{}", sink.port);
        let app = TestApp::spawn_with(move |c| {
            c.messaging.smtp = Some(SmtpSettings::parse(&url).unwrap());
            c.messaging.mail_from = Some("no-reply@qinaotong.example".into());
            c.messaging.poll_interval = Duration::from_millis(50);
            c.messaging.timeout = Duration::from_secs(2);
        })
        .await;
        register(&app, "careful@example.mo", "en").await;
        app.post_json("/v1/auth/password-reset", &json!({"login": "careful@example.mo"})).await;
        let error: String = eventually("a failed attempt recorded", || async {
            app.db(|c| {
                use qinaotong::db::schema::message_outbox::dsl as m;
                m::message_outbox
                    .filter(m::attempts.ge(1))
                    .select(m::last_error)
                    .first::<Option<String>>(c)
                    .optional()
                    .unwrap()
                    .flatten()
            })
            .await
        })
        .await;
        assert!(sink.mails.lock().unwrap().is_empty(), "{scheme}: nothing sent in clear text");
        let why = if scheme == "smtp" { "STARTTLS" } else { "corrupt message" };
        assert!(error.contains(why), "{scheme}: {error}");
    }
}
