//! Push messages to registered devices through local FCM and APNs stand-ins: an approval reaches an
//! Android and an iOS phone once, in the resident's language, through provider outages and with two
//! instances sharing the outbox; unregistered tokens are dropped; devices follow their sessions.

use std::sync::atomic::Ordering;
use std::time::Duration;

use diesel::prelude::*;
use qinaotong::config::{ApnsSettings, Config, FcmSettings, Secret};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{STRONG_PASSWORD, Session, TestApp, assert_problem, eventually, t4};
use crate::push_stand_ins::{APNS_KEY, KEY_ID, Provider, TEAM_ID, TOPIC, start_apns, start_fcm};

fn with_push(c: &mut Config, fcm: &Provider, apns: &Provider) {
    c.messaging.fcm =
        Some(FcmSettings::from_json(&fcm.service_account(), Some(fcm.base.clone()), None).unwrap());
    c.messaging.apns = Some(ApnsSettings {
        key_id: KEY_ID.into(),
        team_id: TEAM_ID.into(),
        private_key: Secret::new(APNS_KEY),
        topic: TOPIC.into(),
        base_url: apns.base.clone(),
    });
    c.messaging.poll_interval = Duration::from_millis(50);
    c.messaging.retry_base = Duration::from_millis(50);
}

async fn spawn(fcm: &Provider, apns: &Provider) -> TestApp {
    let (f, a) = (fcm.clone(), apns.clone());
    TestApp::spawn_with(move |c| with_push(c, &f, &a)).await
}

/// A resident who reads Portuguese, logged in.
async fn resident(app: &TestApp, email: &str) -> Session {
    let body = json!({"email": email, "password": STRONG_PASSWORD, "full_name": "Ho Ka Yan", "preferred_language": "pt"});
    assert_eq!(app.post_json("/v1/auth/register", &body).await.status(), 201);
    app.session(email, STRONG_PASSWORD).await
}

async fn register_device(app: &TestApp, s: &Session, platform: &str, token: &str) -> reqwest::Response {
    let body = json!({"platform": platform, "push_token": token, "app_version": "2.4.0", "locale": "pt-MO"});
    app.send_json(Method::POST, "/v1/me/devices", Some(&s.token), &body).await
}

async fn device(app: &TestApp, s: &Session, platform: &str, token: &str) -> String {
    let res = register_device(app, s, platform, token).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

async fn outbox_settled(app: &TestApp) {
    eventually("no message left pending", || async {
        let pending: i64 = app
            .db(|c| {
                use qinaotong::db::schema::message_outbox::dsl as m;
                m::message_outbox.filter(m::status.eq("pending")).count().get_result(c).unwrap()
            })
            .await;
        (pending == 0).then_some(())
    })
    .await
}

/// An officer approves a submitted application of the resident; returns its reference.
async fn approve(app: &TestApp, resident: &Session) -> String {
    let admin = app.admin().await;
    let org = app.organisation(&admin, "push-org").await;
    let form = json!({"fields": [{"key": "full_name", "type": "text", "required": true, "label": t4("Full name")}], "documents": []});
    let service = app.service(&admin, &org, "push-permit", form).await;
    app.staff_account(&admin, "officer@push.example", "officer", &org).await;
    let officer = app.session("officer@push.example", STRONG_PASSWORD).await;
    let body = json!({"service_id": service, "submit": true, "form_data": {"full_name": "Chan Tai Man"}});
    let res = app.send_json(Method::POST, "/v1/applications", Some(&resident.token), &body).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let path = format!("/v1/org/applications/{}/transition", created["id"].as_str().unwrap());
    for action in ["start_review", "approve"] {
        let res = app
            .request(Method::POST, &path)
            .bearer_auth(&officer.token)
            .header("If-Match", "*")
            .json(&json!({"action": action}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{action}: {}", res.text().await.unwrap());
    }
    created["reference"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn an_approval_reaches_android_and_ios_once_in_the_residents_language_through_outages() {
    let (fcm, apns) = (start_fcm(), start_apns());
    // Both providers fail the first attempts: the messages wait and go out later.
    fcm.fail_next.store(2, Ordering::SeqCst);
    apns.fail_next.store(2, Ordering::SeqCst);
    let app = spawn(&fcm, &apns).await;
    // A second instance shares the outbox, as behind a load balancer.
    let other = app.sibling().await;
    let me = resident(&app, "phones@example.mo").await;
    device(&other, &me, "android", "fcm-token-android-1").await;
    device(&app, &me, "ios", "apns-token-ios-1").await;
    let reference = approve(&app, &me).await;

    let approved = |p: &Provider, token: &str| {
        p.to(token).into_iter().filter(|m| m.data["status"] == "approved").collect::<Vec<_>>()
    };
    eventually("the approval on both phones", || async {
        (!approved(&fcm, "fcm-token-android-1").is_empty() && !approved(&apns, "apns-token-ios-1").is_empty())
            .then_some(())
    })
    .await;
    outbox_settled(&app).await;
    let (android, ios) = (approved(&fcm, "fcm-token-android-1"), approved(&apns, "apns-token-ios-1"));
    assert_eq!((android.len(), ios.len()), (1, 1), "exactly once per device");
    for m in [&android[0], &ios[0]] {
        assert_eq!(m.title, "Pedido aprovado");
        assert!(m.body.contains(&reference) && m.body.contains("Service push-permit (pt)"), "{}", m.body);
        assert!(!m.body.contains("Chan Tai Man"), "no form contents in a message");
        assert_eq!(m.data["reference"], reference.as_str());
    }
    assert_eq!(ios[0].provider, "apns");
    assert_eq!((fcm.failed.load(Ordering::SeqCst), apns.failed.load(Ordering::SeqCst)), (2, 2));
    assert!(fcm.rejected.lock().unwrap().is_empty(), "{:?}", fcm.rejected.lock().unwrap());
    assert!(apns.rejected.lock().unwrap().is_empty(), "{:?}", apns.rejected.lock().unwrap());
    // Submitted, in review, approved: three changes, each once per phone, however many instances ran.
    assert_eq!((fcm.to("fcm-token-android-1").len(), apns.to("apns-token-ios-1").len()), (3, 3));
    let metrics =
        app.get("/metrics").await.text().await.unwrap() + &other.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("qat_messages_total{channel=\"push\",outcome=\"retried\"}"), "{metrics}");

    // Support sees what was sent, masked, and the look is audited with the resident as its subject.
    let admin = app.admin().await;
    let me_id = app.get_as("/v1/me", &me.token).await.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page: Value = app
        .get_as(&format!("/v1/admin/residents/{me_id}/message-deliveries"), &admin.token)
        .await
        .json()
        .await
        .unwrap();
    let push: Vec<&Value> =
        page["items"].as_array().unwrap().iter().filter(|i| i["channel"] == "push").collect();
    assert_eq!(push.len(), 6);
    assert!(
        push.iter().all(|i| i["status"] == "sent" && i["recipient"].as_str().unwrap().starts_with("device "))
    );
    assert!(!page.to_string().contains("fcm-token-android-1"), "no token in the support view");
    assert!(app.audit_actions().await.iter().any(|(a, r)| a == "message.list_deliveries" && *r == 200));
    let res = app
        .get_as(&format!("/v1/admin/residents/{}/message-deliveries", uuid::Uuid::now_v7()), &admin.token)
        .await;
    assert_problem(res, reqwest::StatusCode::NOT_FOUND, "not_found").await;
}

#[actix_web::test]
async fn unregistered_tokens_are_dropped_and_devices_follow_their_sessions() {
    let (fcm, apns) = (start_fcm(), start_apns());
    let app = spawn(&fcm, &apns).await;
    let me = resident(&app, "moved@example.mo").await;
    fcm.unregistered.lock().unwrap().insert("fcm-gone".into());
    apns.unregistered.lock().unwrap().insert("apns-gone".into());
    device(&app, &me, "android", "fcm-gone").await;
    device(&app, &me, "ios", "apns-gone").await;
    // A security alert goes to every device; the providers call both tokens unregistered.
    let change = json!({"current_password": STRONG_PASSWORD, "new_password": "Granite-Orchid-88"});
    let res = app.send_json(Method::PUT, "/v1/me/password", Some(&me.token), &change).await;
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    let devices = eventually("both devices dropped", || async {
        let page: Value = app.get_as("/v1/me/devices", &me.token).await.json().await.unwrap();
        page["items"].as_array().unwrap().is_empty().then_some(page)
    })
    .await;
    assert_eq!(devices["next_cursor"], Value::Null);
    outbox_settled(&app).await;
    let dead: Vec<(String, Option<String>)> = app
        .db(|c| {
            use qinaotong::db::schema::message_outbox::dsl as m;
            m::message_outbox
                .filter(m::channel.eq("push"))
                .select((m::status, m::last_error))
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(dead.len(), 2);
    assert!(
        dead.iter().all(|(s, e)| s == "dead" && e.as_deref().unwrap().contains("nregistered")),
        "{dead:?}"
    );

    // Devices registered by a session go when it logs out; the cap holds per account.
    let phone = app.session("moved@example.mo", "Granite-Orchid-88").await;
    let kept = device(&app, &me, "web", "fcm-web-1").await;
    device(&app, &phone, "android", "fcm-phone").await;
    let res = app.post_json("/v1/auth/logout", &json!({"refresh_token": phone.refresh})).await;
    assert_eq!(res.status(), 204);
    let page: Value = app.get_as("/v1/me/devices", &me.token).await.json().await.unwrap();
    let ids: Vec<&str> =
        page["items"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![kept.as_str()]);
    for i in 0..4 {
        device(&app, &me, "android", &format!("fcm-extra-{i}")).await;
    }
    let res = register_device(&app, &me, "android", "fcm-one-too-many").await;
    assert_problem(res, reqwest::StatusCode::CONFLICT, "device_limit_reached").await;
    let res = register_device(&app, &me, "blackberry", "x").await;
    let body = assert_problem(res, reqwest::StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "platform");
    let other = resident(&app, "other@example.mo").await;
    let res = app
        .request(Method::DELETE, &format!("/v1/me/devices/{kept}"))
        .bearer_auth(&other.token)
        .send()
        .await
        .unwrap();
    assert_problem(res, reqwest::StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .request(Method::DELETE, &format!("/v1/me/devices/{kept}"))
        .bearer_auth(&me.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    // Erasing the account takes every device with it (the other resident registered none).
    let res = app.request(Method::DELETE, "/v1/me").bearer_auth(&me.token).send().await.unwrap();
    assert_eq!(res.status(), 204);
    let left: i64 = app
        .db(|c| {
            use qinaotong::db::schema::devices::dsl as d;
            d::devices.count().get_result(c).unwrap()
        })
        .await;
    assert_eq!(left, 0);
}

#[actix_web::test]
async fn preferences_route_events_and_security_alerts_stay_on() {
    let (fcm, apns) = (start_fcm(), start_apns());
    let app = spawn(&fcm, &apns).await;
    let me = resident(&app, "quiet@example.mo").await;
    let prefs: Value = app.get_as("/v1/me/notification-preferences", &me.token).await.json().await.unwrap();
    assert_eq!(prefs["decisions"], json!({"push": true, "email": true, "sms": false}));
    assert_eq!(prefs["security"], json!({"push": true, "email": true, "sms": true}));
    let path = "/v1/me/notification-preferences";
    let off = json!({"security": {"email": false}});
    let res = app.send_json(Method::PATCH, path, Some(&me.token), &off).await;
    let body = assert_problem(res, reqwest::StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "security.email");
    assert_eq!(body["errors"][0]["code"], "always_on");
    let quiet = json!({"status_changes": {"push": false}, "decisions": {"push": false}});
    let res = app.send_json(Method::PATCH, path, Some(&me.token), &quiet).await;
    assert_eq!(res.status(), 200);
    let prefs: Value = res.json().await.unwrap();
    assert_eq!(prefs["decisions"], json!({"push": false, "email": true, "sms": false}));
    assert_eq!(prefs["information_requests"]["push"], true, "what was not named stays");

    device(&app, &me, "android", "fcm-quiet").await;
    approve(&app, &me).await;
    let change = json!({"current_password": STRONG_PASSWORD, "new_password": "Granite-Orchid-88"});
    assert_eq!(app.send_json(Method::PUT, "/v1/me/password", Some(&me.token), &change).await.status(), 204);
    outbox_settled(&app).await;
    let got = fcm.to("fcm-quiet");
    assert_eq!(got.len(), 1, "only the security alert: {got:?}");
    assert_eq!(got[0].title, "Palavra-passe alterada");
}

#[actix_web::test]
async fn production_refuses_to_start_with_an_enabled_channel_missing_its_provider() {
    let mut c = Config::development(std::env::temp_dir());
    c.env = qinaotong::config::Environment::Production;
    c.demo_data = false;
    c.admin_email = None;
    c.admin_password = None;
    c.jwt_private_key = Some(Secret::new("-----BEGIN PRIVATE KEY-----"));
    c.database_url = Secret::new("postgres://127.0.0.1:1/none");
    c.metrics_token = Some(Secret::new("a-long-scrape-token"));
    c.data_key = Some(Secret::new("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="));
    let refusal = |c: Config| async move {
        match qinaotong::startup::Application::build(c).await {
            Ok(_) => panic!("started"),
            Err(e) => e.to_string(),
        }
    };
    assert!(refusal(c.clone()).await.contains("QAT_SMTP_URL"));
    c.messaging.smtp = Some(qinaotong::config::SmtpSettings::parse("smtps://mail.example").unwrap());
    c.messaging.mail_from = Some("no-reply@qinaotong.example".into());
    assert!(refusal(c.clone()).await.contains("QAT_SMS_URL"));
    c.messaging.sms = false;
    assert!(refusal(c.clone()).await.contains("FCM"));
    c.messaging.email = false;
    assert!(refusal(c).await.contains("must include email"));
}

#[actix_web::test]
async fn a_stopped_server_leaves_its_outbox_and_the_next_one_sends_it_once() {
    let fcm = start_fcm();
    fcm.fail_next.store(1_000, Ordering::SeqCst);
    let dir = crate::helpers::TempDir::new();
    let data_dir = dir.0.display().to_string();
    let account = fcm.service_account();
    let env = [
        ("QAT_DEMO_DATA", "false"),
        ("QAT_DATA_DIR", data_dir.as_str()),
        ("QAT_FCM_SERVICE_ACCOUNT", account.as_str()),
        ("QAT_FCM_BASE_URL", fcm.base.as_str()),
        ("QAT_MESSAGE_RETRY_BASE_MS", "200"),
        ("QAT_MESSAGE_MAX_ATTEMPTS", "50"),
    ];
    let first = crate::process::Process::start(&env).await;
    let http = reqwest::Client::new();
    let post = |base: &str, path: &str| http.post(format!("{base}{path}"));
    let body = json!({"email": "restart@example.mo", "password": STRONG_PASSWORD, "full_name": "Ho Ka Yan"});
    assert_eq!(post(&first.base, "/v1/auth/register").json(&body).send().await.unwrap().status(), 201);
    let login = json!({"login": "restart@example.mo", "password": STRONG_PASSWORD});
    let tokens: Value =
        post(&first.base, "/v1/auth/login").json(&login).send().await.unwrap().json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    let device = json!({"platform": "android", "push_token": "fcm-restart"});
    let res = post(&first.base, "/v1/me/devices").bearer_auth(token).json(&device).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let change = json!({"current_password": STRONG_PASSWORD, "new_password": "Granite-Orchid-88"});
    let res = http
        .put(format!("{}/v1/me/password", first.base))
        .bearer_auth(token)
        .json(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    // FCM is down: the alert is retried, then the server stops between two attempts.
    eventually("a few refused attempts", || async { (fcm.failed.load(Ordering::SeqCst) >= 3).then_some(()) })
        .await;
    // SAFETY: sending a signal to the child process this test started.
    unsafe {
        libc::kill(first.child.id() as i32, libc::SIGTERM);
    }
    let mut first = first;
    eventually("the server exits after SIGTERM", || {
        let exited = first.child.try_wait().unwrap();
        async move { exited }
    })
    .await;
    let mut conn = diesel::SqliteConnection::establish(&format!("{data_dir}/qinaotong.sqlite3")).unwrap();
    let status: String = {
        use qinaotong::db::schema::message_outbox::dsl as m;
        m::message_outbox.filter(m::channel.eq("push")).select(m::status).first(&mut conn).unwrap()
    };
    assert_eq!(status, "pending", "the message waits in the outbox");
    assert!(fcm.to("fcm-restart").is_empty());

    fcm.fail_next.store(0, Ordering::SeqCst);
    let _second = crate::process::Process::start(&env).await;
    let sent = eventually("the alert sent by the next server", || async {
        let got = fcm.to("fcm-restart");
        (!got.is_empty()).then_some(got)
    })
    .await;
    assert_eq!(sent[0].data["kind"], "security.password_changed");
    eventually("the attempt recorded", || {
        use qinaotong::db::schema::message_outbox::dsl as m;
        let status: String =
            m::message_outbox.filter(m::channel.eq("push")).select(m::status).first(&mut conn).unwrap();
        async move { (status == "sent").then_some(()) }
    })
    .await;
    assert_eq!(fcm.to("fcm-restart").len(), 1, "sent once");
}
