//! The authorisation matrix: every `/v1` operation of the committed OpenAPI document, called by every kind
//! of caller, compared with the expected outcomes in `matrix.tsv` beside this file.
//!
//! Objects named in paths belong to resident A and organisation X. Each call that names an object is
//! repeated with ids that do not exist, because the contract is that an object a caller may not see answers
//! exactly like one that is not there, and that a 401 or 403 is decided before any lookup.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PDF, STRONG_PASSWORD, Session, TestApp, t4};

/// Every kind of caller. There is no API client without scopes, because `createApiClient` requires at
/// least one and a token request without `scope` gets all of the client's.
const PERSONAS: [&str; 11] = [
    "anonymous",
    "resident_a",
    "resident_b",
    "officer_x",
    "supervisor_x",
    "officer_y",
    "admin",
    "client_x_read",
    "client_x_write",
    "client_x_webhooks",
    "client_y_all",
];

/// Callers entitled to none of resident A's or organisation X's objects.
const OUTSIDERS: [&str; 4] = ["anonymous", "resident_b", "officer_y", "client_y_all"];

fn persona(name: &str) -> usize {
    PERSONAS.iter().position(|p| *p == name).expect("a known persona")
}

const TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/matrix.tsv");
const OPENAPI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

/// One operation of the OpenAPI document.
struct Operation {
    id: String,
    method: Method,
    template: String,
    /// Path parameters in order, each with whether it is a number.
    params: Vec<(String, bool)>,
    /// Whether the operation takes `If-Match`; the matrix always sends `*` so that a precondition never hides
    /// the authorisation answer.
    if_match: bool,
}

fn operations() -> Vec<Operation> {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(OPENAPI).expect("read openapi.json"))
        .expect("openapi.json is JSON");
    let mut ops = Vec::new();
    for (template, item) in doc["paths"].as_object().expect("paths") {
        if !template.starts_with("/v1/") {
            continue;
        }
        let shared = item["parameters"].as_array().cloned().unwrap_or_default();
        for (method, op) in item.as_object().expect("path item") {
            if !["get", "put", "post", "delete", "patch", "head", "options", "trace"]
                .contains(&method.as_str())
            {
                continue;
            }
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {template} has no operationId"));
            let all: Vec<Value> =
                shared.iter().chain(op["parameters"].as_array().into_iter().flatten()).cloned().collect();
            let named = |p: &Value| {
                p["name"].as_str().unwrap_or_else(|| panic!("{id}: unnamed parameter")).to_owned()
            };
            ops.push(Operation {
                id: id.to_owned(),
                method: Method::from_bytes(method.to_uppercase().as_bytes()).expect("method"),
                template: template.clone(),
                params: all
                    .iter()
                    .filter(|p| p["in"] == "path")
                    .map(|p| (named(p), p["schema"]["type"] == "integer"))
                    .collect(),
                if_match: all
                    .iter()
                    .any(|p| p["in"] == "header" && named(p).eq_ignore_ascii_case("if-match")),
            });
        }
    }
    ops
}

/// An expected outcome: any 2xx, or one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    Ok,
    Status(u16),
}

impl Expected {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "ok" => Some(Self::Ok),
            n => n.parse().ok().filter(|n| (100..600).contains(n)).map(Self::Status),
        }
    }

    fn matches(self, status: u16) -> bool {
        match self {
            Self::Ok => (200..300).contains(&status),
            Self::Status(s) => s == status,
        }
    }
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ok => f.write_str("ok"),
            Self::Status(s) => write!(f, "{s}"),
        }
    }
}

type Table = BTreeMap<(String, String), Expected>;

/// Reads `matrix.tsv`: `operationId<TAB>persona<TAB>expected[<TAB>comment]`, `#` comments and blank lines
/// allowed. Every operation of the document needs exactly one row per persona, and every row must name an
/// operation that still exists, so the table cannot silently fall behind the API.
fn read_table(ops: &[Operation]) -> Result<Table, Vec<String>> {
    let text = std::fs::read_to_string(TABLE).expect("read matrix.tsv");
    let mut table = Table::new();
    let mut problems = Vec::new();
    let known: BTreeSet<&str> = ops.iter().map(|o| o.id.as_str()).collect();
    for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l)) {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let (op, who, expected) = match cols.as_slice() {
            [op, who, expected, ..] => (*op, *who, *expected),
            _ => {
                problems.push(format!("matrix.tsv:{n}: expected operationId, persona and outcome: {line:?}"));
                continue;
            }
        };
        if !known.contains(op) {
            problems.push(format!("matrix.tsv:{n}: {op} is not an operation of openapi.json"));
        }
        if !PERSONAS.contains(&who) {
            problems.push(format!("matrix.tsv:{n}: unknown persona {who}"));
        }
        let Some(expected) = Expected::parse(expected) else {
            problems.push(format!("matrix.tsv:{n}: outcome must be ok or an HTTP status, not {expected:?}"));
            continue;
        };
        if table.insert((op.to_owned(), who.to_owned()), expected).is_some() {
            problems.push(format!("matrix.tsv:{n}: a second row for {op} as {who}"));
        }
    }
    for op in ops {
        for who in PERSONAS {
            if !table.contains_key(&(op.id.clone(), who.to_owned())) {
                problems.push(format!("matrix.tsv: no row for {} as {who}", op.id));
            }
        }
    }
    if problems.is_empty() { Ok(table) } else { Err(problems) }
}

enum Body {
    Empty,
    Json(Value),
    Form(Vec<(&'static str, String)>),
    /// A one-page PDF as the optional `photo` of the matrix services.
    Upload,
}

/// How to call one operation: path parameters and body.
struct Call {
    params: BTreeMap<String, String>,
    body: Body,
}

impl Call {
    fn empty() -> Self {
        Self { params: BTreeMap::new(), body: Body::Empty }
    }

    fn json(body: Value) -> Self {
        Self { params: BTreeMap::new(), body: Body::Json(body) }
    }

    fn with(mut self, name: &str, value: &str) -> Self {
        self.params.insert(name.to_owned(), value.to_owned());
        self
    }
}

struct Outcome {
    status: u16,
    body: Value,
}

impl Outcome {
    /// The problem `code`, or the OAuth `error`, for reports.
    fn code(&self) -> &str {
        self.body["code"].as_str().or_else(|| self.body["error"].as_str()).unwrap_or("-")
    }
}

async fn send(
    app: &TestApp,
    op: &Operation,
    token: Option<&str>,
    params: &BTreeMap<String, String>,
    body: &Body,
) -> Outcome {
    let mut path = op.template.clone();
    for (name, _) in &op.params {
        let value = params.get(name).unwrap_or_else(|| panic!("{}: no value for {{{name}}}", op.id));
        path = path.replace(&format!("{{{name}}}"), value);
    }
    let mut req = app.request(op.method.clone(), &path);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if op.if_match {
        req = req.header("If-Match", "*");
    }
    req = match body {
        Body::Empty => req,
        Body::Json(v) => req.json(v),
        Body::Form(f) => req.form(f),
        Body::Upload => req.multipart(
            reqwest::multipart::Form::new()
                .text("kind", "photo")
                .part("file", reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("photo.pdf")),
        ),
    };
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let bytes = res.bytes().await.unwrap_or_default();
    Outcome { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

/// Ids that name nothing, in place of every path parameter.
fn missing_params(op: &Operation) -> BTreeMap<String, String> {
    op.params
        .iter()
        .map(|(name, numeric)| {
            let value = if *numeric { "999999".to_owned() } else { uuid::Uuid::now_v7().to_string() };
            (name.clone(), value)
        })
        .collect()
}

/// A form with one required field and one optional document: applications can be submitted without
/// documents and still take one.
fn form() -> Value {
    json!({
        "fields": [{"key": "full_name", "type": "text", "required": true, "label": t4("Full name")}],
        "documents": [{"kind": "photo", "required": false, "label": t4("Photo")}]
    })
}

/// A webhook receiver on a random loopback port that accepts everything, so deliveries succeed at once.
fn start_receiver() -> String {
    let server = HttpServer::new(|| {
        App::new().route("/hook", web::post().to(|| async { HttpResponse::Ok().finish() }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("bind receiver");
    let url = format!("http://127.0.0.1:{}/hook", server.addrs()[0].port());
    actix_web::rt::spawn(server.run());
    url
}

struct Persona {
    token: Option<String>,
    login: String,
    password: String,
}

/// The server, the personas and the objects the calls point at.
struct World {
    app: TestApp,
    /// In the order of `PERSONAS`.
    personas: Vec<Persona>,
    /// The admin's session, for fixtures.
    admin: Session,
    receiver: String,
    org_x: String,
    /// Applications are made on this service of X.
    service_x: String,
    /// Form versions are drafted and published on this service of X, so that applications stay untouched.
    catalogue_service: String,
    officer_x_id: String,
    /// A resident the public authentication operations log in as and reset.
    public_login: String,
    public_login_id: String,
    /// Credentials of `client_x_read`, for `issueClientToken`.
    client_credentials: (String, String),
    /// Resident A's submitted application, with one document.
    application: String,
    document: String,
    /// A notification of resident A.
    notification: String,
    /// An endpoint of `client_x_webhooks` and an event it was sent.
    endpoint: String,
    event: String,
    /// Resident A's permit, issued by X on approval, and its QR payload.
    permit: String,
    permit_qr: String,
    /// X's service whose live version issues a permit on approval.
    permit_service: String,
    serial: u32,
}

impl World {
    async fn build() -> World {
        let receiver = start_receiver();
        let app = TestApp::spawn_with(|c| {
            c.webhook_allow_private = true;
            c.webhook_poll_interval = Duration::from_millis(50);
            // Every row gets fresh objects of the same resident and client; quotas are tested in quotas.rs.
            c.max_open_drafts_per_resident = 10_000;
            c.max_webhook_endpoints_per_client = 10_000;
            c.max_redeliveries_per_minute = 10_000;
            c.messaging.max_devices_per_account = 10_000;
        })
        .await;
        let admin = app.admin().await;
        let org_x = app.organisation(&admin, "matrix-x").await;
        let org_y = app.organisation(&admin, "matrix-y").await;
        let service_x = app.service(&admin, &org_x, "matrix-booking", form()).await;
        let catalogue_service = app.service(&admin, &org_x, "matrix-catalogue", form()).await;
        let officer_x_id = app.staff_account(&admin, "officer@x.matrix.example", "officer", &org_x).await;
        app.staff_account(&admin, "supervisor@x.matrix.example", "supervisor", &org_x).await;
        app.staff_account(&admin, "officer@y.matrix.example", "officer", &org_y).await;

        let public_login = "public@matrix.example".to_owned();
        let public = app.resident(&public_login).await;
        let me: Value = app.get_as("/v1/me", &public.token).await.json().await.unwrap();
        let public_login_id = me["id"].as_str().unwrap().to_owned();

        let person = |token: String, login: &str, password: &str| Persona {
            token: Some(token),
            login: login.to_owned(),
            password: password.to_owned(),
        };
        let mut by_name = BTreeMap::new();
        by_name.insert("anonymous", Persona { token: None, login: String::new(), password: String::new() });
        for (name, login) in
            [("resident_a", "resident.a@matrix.example"), ("resident_b", "resident.b@matrix.example")]
        {
            by_name.insert(name, person(app.resident(login).await.token, login, STRONG_PASSWORD));
        }
        for (name, login) in [
            ("officer_x", "officer@x.matrix.example"),
            ("supervisor_x", "supervisor@x.matrix.example"),
            ("officer_y", "officer@y.matrix.example"),
        ] {
            by_name.insert(
                name,
                person(app.session(login, STRONG_PASSWORD).await.token, login, STRONG_PASSWORD),
            );
        }
        by_name.insert(
            "admin",
            person(admin.token.clone(), crate::helpers::ADMIN_EMAIL, qinaotong::config::DEV_ADMIN_PASSWORD),
        );
        let mut client_credentials = None;
        for (name, org, scopes) in [
            ("client_x_read", &org_x, vec!["applications:read"]),
            ("client_x_write", &org_x, vec!["applications:write"]),
            ("client_x_webhooks", &org_x, vec!["webhooks:manage"]),
            ("client_y_all", &org_y, vec!["applications:read", "applications:write", "webhooks:manage"]),
        ] {
            let client = app.api_client(&admin, org, &scopes).await;
            if name == "client_x_read" {
                let secret = |k: &str| client[k].as_str().unwrap().to_owned();
                client_credentials = Some((secret("client_id"), secret("client_secret")));
            }
            by_name.insert(name, person(app.client_token(&client).await, "", ""));
        }
        let personas: Vec<Persona> =
            PERSONAS.iter().map(|n| by_name.remove(n).unwrap_or_else(|| panic!("no persona {n}"))).collect();

        let mut world = World {
            app,
            personas,
            admin,
            receiver,
            org_x,
            service_x,
            catalogue_service,
            officer_x_id,
            public_login,
            public_login_id,
            client_credentials: client_credentials.unwrap(),
            application: String::new(),
            document: String::new(),
            notification: String::new(),
            endpoint: String::new(),
            event: String::new(),
            permit: String::new(),
            permit_qr: String::new(),
            permit_service: String::new(),
            serial: 0,
        };
        // The endpoint exists before the application is submitted, so that it is sent an event to redeliver.
        world.endpoint = world.new_endpoint().await;
        world.application = world.new_application(false).await;
        let res = world
            .app
            .upload(world.token("resident_a"), &world.application, "photo", "photo.pdf", PDF.to_vec())
            .await;
        assert_eq!(res.status(), 201, "upload: {}", res.text().await.unwrap());
        world.document = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let res = world
            .app
            .request(Method::POST, &format!("/v1/applications/{}/submit", world.application))
            .bearer_auth(world.token("resident_a"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "submit: {}", res.text().await.unwrap());
        let notes: Value =
            world.app.get_as("/v1/notifications", world.token("resident_a")).await.json().await.unwrap();
        world.notification =
            notes["items"][0]["id"].as_str().expect("a notification of the submission").to_owned();
        world.event = world.delivered_event().await;
        world.permit_service = world.new_permit_service().await;
        (world.permit, world.permit_qr) = world.approved_permit().await;
        world
    }

    /// A permit signing key whose window has ended, as after a rotation, to withdraw.
    async fn retired_permit_key(&self) -> String {
        use diesel::prelude::*;
        use qinaotong::db::schema::permit_keys::dsl as k;
        let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        let kid = hex::encode(qinaotong::domain::permit::cose::kid_of(&key.verifying_key()));
        let public = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            key.verifying_key().as_bytes(),
        );
        let id = kid.clone();
        self.app
            .db(move |c| {
                let t = qinaotong::db::types::now();
                diesel::insert_into(k::permit_keys)
                    .values((
                        k::kid.eq(id),
                        k::public_key.eq(public),
                        k::signs_from.eq(t - chrono::Duration::days(2)),
                        k::signs_until.eq(t - chrono::Duration::days(1)),
                        k::created_at.eq(t - chrono::Duration::days(2)),
                    ))
                    .execute(c)
                    .unwrap()
            })
            .await;
        kid
    }

    /// A service of X whose second, live version issues a permit.
    async fn new_permit_service(&self) -> String {
        let service = self.app.service(&self.admin, &self.org_x, "matrix-permit", form()).await;
        let res = self
            .app
            .send_json(
                Method::POST,
                &format!("/v1/admin/services/{service}/versions"),
                Some(&self.admin.token),
                &json!({"form": form(), "permit": {"type": "matrix", "validity_days": 30}}),
            )
            .await;
        assert_eq!(res.status(), 201, "permit version: {}", res.text().await.unwrap());
        let path = format!("/v1/admin/services/{service}/versions/2/publish");
        let res = self.app.send_json(Method::POST, &path, Some(&self.admin.token), &json!({})).await;
        assert_eq!(res.status(), 200, "publish: {}", res.text().await.unwrap());
        service
    }

    /// A new permit of resident A: an application on X's permit service, approved by X's supervisor.
    async fn approved_permit(&self) -> (String, String) {
        let service = &self.permit_service;
        let res = self
            .app
            .send_json(
                Method::POST,
                "/v1/applications",
                Some(self.token("resident_a")),
                &json!({"service_id": service, "form_data": {"full_name": "Chan Tai Man"}, "submit": true}),
            )
            .await;
        assert_eq!(res.status(), 201, "application: {}", res.text().await.unwrap());
        let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        for action in ["start_review", "approve"] {
            let res = self
                .app
                .request(Method::POST, &format!("/v1/org/applications/{id}/transition"))
                .bearer_auth(self.token("supervisor_x"))
                .header("If-Match", "*")
                .json(&json!({"action": action}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{action}: {}", res.text().await.unwrap());
        }
        let page: Value =
            self.app.get_as("/v1/permits", self.token("resident_a")).await.json().await.unwrap();
        let permit = &page["items"][0];
        (
            permit["id"].as_str().unwrap().to_owned(),
            permit["credential"]["payload"].as_str().unwrap().to_owned(),
        )
    }

    fn token(&self, name: &str) -> &str {
        self.personas[persona(name)].token.as_deref().unwrap()
    }

    fn next(&mut self) -> u32 {
        self.serial += 1;
        self.serial
    }

    /// A new application of resident A on X's service: a draft, or submitted and unassigned.
    async fn new_application(&self, submit: bool) -> String {
        let res = self
            .app
            .send_json(
                Method::POST,
                "/v1/applications",
                Some(self.token("resident_a")),
                &json!({"service_id": self.service_x, "form_data": {"full_name": "Chan Tai Man"}, "submit": submit}),
            )
            .await;
        assert_eq!(res.status(), 201, "application: {}", res.text().await.unwrap());
        res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
    }

    /// A new webhook endpoint of `client_x_webhooks`.
    async fn new_endpoint(&self) -> String {
        let res = self
            .app
            .send_json(
                Method::POST,
                "/v1/webhooks/endpoints",
                Some(self.token("client_x_webhooks")),
                &json!({"url": self.receiver}),
            )
            .await;
        assert_eq!(res.status(), 201, "endpoint: {}", res.text().await.unwrap());
        res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
    }

    /// The id of an event delivered to the shared endpoint, once the worker has sent one.
    async fn delivered_event(&self) -> String {
        let path = format!("/v1/webhooks/endpoints/{}/deliveries", self.endpoint);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let page: Value =
                self.app.get_as(&path, self.token("client_x_webhooks")).await.json().await.unwrap();
            if let Some(id) = page["items"][0]["event_id"].as_str() {
                return id.to_owned();
            }
            assert!(Instant::now() < deadline, "no delivery to the endpoint: {page}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A reset code for the public login. Codes are only ever written to the development sender's log
    /// line, which an in-process server does not expose, so a pending reset with a known code is stored the
    /// way `requestPasswordReset` stores one.
    async fn reset_code(&mut self) -> String {
        use diesel::prelude::*;
        use qinaotong::db::schema::password_resets::dsl as r;
        let code = format!("{:08}", self.next());
        let account = self.public_login_id.clone();
        let hash = qinaotong::auth::sha256_hex(&format!("{account}:{code}"));
        self.app
            .db(move |c| {
                let t = qinaotong::db::types::now();
                diesel::insert_into(r::password_resets)
                    .values((
                        r::id.eq(qinaotong::db::types::new_id()),
                        r::account_id.eq(account),
                        r::code_hash.eq(hash),
                        r::attempts.eq(0),
                        r::expires_at.eq(t + chrono::Duration::minutes(10)),
                        r::created_at.eq(t),
                    ))
                    .execute(c)
                    .unwrap()
            })
            .await;
        code
    }
}

impl World {
    /// A pending verification of a new phone number for resident A, with its code, stored the way
    /// `requestContactChange` stores one (codes only ever leave through the message sender).
    async fn contact_verification(&mut self) -> (String, String) {
        use diesel::prelude::*;
        use qinaotong::db::schema::contact_verifications::dsl as v;
        let n = self.next();
        let me: Value = self.app.get_as("/v1/me", self.token("resident_a")).await.json().await.unwrap();
        let account = me["id"].as_str().unwrap().to_owned();
        let (id, code) = (qinaotong::db::types::new_id(), format!("{n:08}"));
        let hash = qinaotong::app::contact_codes::code_hash(&id, &code);
        let row = id.clone();
        self.app
            .db(move |c| {
                let t = qinaotong::db::types::now();
                diesel::insert_into(v::contact_verifications)
                    .values((
                        v::id.eq(row),
                        v::account_id.eq(account),
                        v::channel.eq("phone"),
                        v::value.eq(format!("+8536{n:07}")),
                        v::code_hash.eq(hash),
                        v::attempts.eq(0),
                        v::expires_at.eq(t + chrono::Duration::minutes(10)),
                        v::created_at.eq(t),
                    ))
                    .execute(c)
                    .unwrap()
            })
            .await;
        (id, code)
    }
}

/// The password `changePassword` gives a persona, distinct per persona.
fn changed_password(who: usize) -> String {
    format!("Jade-Terrace-{who}-Moonrise")
}

/// How to call `op` as persona `who`, with the owner's objects in the path. Operations that use up or
/// change their object get a fresh one per call, so that every row sees the same starting point. `None`
/// when the matrix does not know the operation yet.
async fn recipe(w: &mut World, op: &str, who: usize) -> Option<Call> {
    let n = w.next();
    let call = match op {
        // Public.
        "registerResident" => Call::json(
            json!({"email": format!("new{n}@matrix.example"), "password": STRONG_PASSWORD, "full_name": "Ho Ka Yan"}),
        ),
        "login" => Call::json(json!({"login": w.public_login, "password": STRONG_PASSWORD})),
        "refreshToken" | "logout" => {
            let s = w.app.session(&w.public_login, STRONG_PASSWORD).await;
            Call::json(json!({"refresh_token": s.refresh}))
        }
        "issueClientToken" => {
            let (id, secret) = w.client_credentials.clone();
            Call {
                params: BTreeMap::new(),
                body: Body::Form(vec![
                    ("grant_type", "client_credentials".into()),
                    ("client_id", id),
                    ("client_secret", secret),
                ]),
            }
        }
        // Unknown logins get the same answer, and each call names another so the per-login limit stays out.
        "requestPasswordReset" => Call::json(json!({"login": format!("nobody{n}@matrix.example")})),
        "resetPassword" => {
            let code = w.reset_code().await;
            Call::json(json!({"login": w.public_login, "code": code, "password": STRONG_PASSWORD}))
        }
        "getJwks" | "listOrganisations" | "listServices" => Call::empty(),
        "getService" => Call::empty().with("service_id", &w.service_x),

        // The caller's own account.
        "getMe"
        | "listSessions"
        | "exportMyData"
        | "listIdentityDocuments"
        | "listMyAccessLog"
        | "deleteMe" => Call::empty(),
        "updateMe" => Call::json(json!({"full_name": "Chan Siu Ming"})),
        "changePassword" => Call::json(
            json!({"current_password": w.personas[who].password, "new_password": changed_password(who)}),
        ),
        "revokeSession" => {
            let a = &w.personas[persona("resident_a")];
            let s = w.app.session(&a.login, &a.password).await;
            Call::empty().with("session_id", &s.session_id)
        }
        // A fresh phone number each time, so the resident's email login stays as it is.
        "requestContactChange" => Call::json(json!({"channel": "phone", "value": format!("+8536{n:07}"),
            "current_password": w.personas[who].password})),
        "confirmContactChange" => {
            let (id, code) = w.contact_verification().await;
            Call::json(json!({"verification_id": id, "code": code}))
        }
        "addIdentityDocument" => Call::json(json!({"kind": "macao_id", "number": format!("1{n:06}(3)")})),

        // Resident applications and notifications.
        "createApplication" => {
            Call::json(json!({"service_id": w.service_x, "form_data": {"full_name": "Chan Tai Man"}}))
        }
        "listMyApplications" | "listNotifications" => Call::empty(),
        "getApplication" | "listApplicationEvents" | "listDocuments" => {
            Call::empty().with("application_id", &w.application)
        }
        "downloadDocument" => {
            Call::empty().with("application_id", &w.application).with("document_id", &w.document)
        }
        "updateApplication" => Call::json(json!({"form_data": {"full_name": "Chan Tai Man"}}))
            .with("application_id", &w.new_application(false).await),
        "submitApplication" | "withdrawApplication" => {
            Call::empty().with("application_id", &w.new_application(false).await)
        }
        "uploadDocument" => Call { params: BTreeMap::new(), body: Body::Upload }
            .with("application_id", &w.new_application(false).await),
        "markNotificationRead" => Call::empty().with("notification_id", &w.notification),

        // The organisation side.
        "listOrgApplications" | "listOrgStaff" => Call::empty(),
        "getOrgApplication" => Call::empty().with("application_id", &w.application),
        "downloadOrgDocument" => {
            Call::empty().with("application_id", &w.application).with("document_id", &w.document)
        }
        "addApplicationNote" => Call::json(json!({"text": "Checked against the register."}))
            .with("application_id", &w.application),
        // Officers may only take unassigned applications for themselves, so officer X is the assignee.
        "assignApplication" => Call::json(json!({"assignee_id": w.officer_x_id}))
            .with("application_id", &w.new_application(true).await),
        "transitionApplication" => Call::json(json!({"action": "start_review"}))
            .with("application_id", &w.new_application(true).await),

        // Webhooks.
        "createWebhookEndpoint" => Call::json(json!({"url": w.receiver})),
        "listWebhookEndpoints" => Call::empty(),
        "deleteWebhookEndpoint" => Call::empty().with("endpoint_id", &w.new_endpoint().await),
        "rotateWebhookSecret" | "listWebhookDeliveries" => Call::empty().with("endpoint_id", &w.endpoint),
        "redeliverWebhook" => Call::json(json!({"event_id": w.event})).with("endpoint_id", &w.endpoint),

        // Administration.
        "createOrganisation" => Call::json(json!({"code": format!("matrix-org-{n}"), "kind": "business",
            "jurisdiction": "hengqin", "name": t4("Matrix Property"), "description": t4("Property manager")})),
        "createService" => {
            Call::json(json!({"organisation_id": w.org_x, "code": format!("matrix-service-{n}"),
            "category": "residence", "name": t4("Parking card"), "description": t4("Desc"),
            "instructions": t4("Do this"), "eligibility": t4("Everyone"), "fee_amount": 0, "sla_days": 5,
            "form": form()}))
        }
        "createServiceVersion" => {
            Call::json(json!({"form": form()})).with("service_id", &w.catalogue_service)
        }
        "publishServiceVersion" => {
            let res = w
                .app
                .send_json(
                    Method::POST,
                    &format!("/v1/admin/services/{}/versions", w.catalogue_service),
                    Some(&w.admin.token),
                    &json!({"form": form()}),
                )
                .await;
            assert_eq!(res.status(), 201, "version: {}", res.text().await.unwrap());
            let version = res.json::<Value>().await.unwrap()["version"].to_string();
            Call::empty().with("service_id", &w.catalogue_service).with("version", &version)
        }
        "createStaffAccount" => Call::json(json!({"email": format!("staff{n}@matrix.example"),
            "password": STRONG_PASSWORD, "full_name": "Sousa Ana", "role": "officer", "organisation_id": w.org_x})),
        "disableStaffAccount" => {
            let id =
                w.app.staff_account(&w.admin, &format!("staff{n}@matrix.example"), "officer", &w.org_x).await;
            Call::empty().with("account_id", &id)
        }
        "createApiClient" => Call::json(
            json!({"organisation_id": w.org_x, "name": "Back office", "scopes": ["applications:read"]}),
        ),
        "revokeApiClient" | "rotateApiClientSecret" => {
            let client = w.app.api_client(&w.admin, &w.org_x, &["applications:read"]).await;
            Call::empty().with("client_ref", client["id"].as_str().unwrap())
        }
        "listAuditEvents" => Call::empty(),

        // Permits.
        "listMyPermits" | "getPermitTrustList" => Call::empty(),
        "getPermit" => Call::empty().with("permit_id", &w.permit),
        "verifyPermit" => Call::json(json!({"qr": w.permit_qr})),
        "getPermitStatusList" => Call::empty().with("list_id", "1"),
        "withdrawPermitKey" => Call::empty().with("kid", &w.retired_permit_key().await),
        "revokePermit" => {
            Call::json(json!({"reason": "Matrix check."})).with("permit_id", &w.approved_permit().await.0)
        }
        "listMessageDeliveries" => {
            let me: Value = w.app.get_as("/v1/me", w.token("resident_a")).await.json().await.unwrap();
            Call::empty().with("account_id", me["id"].as_str().unwrap())
        }

        // Push devices and preferences.
        "registerDevice" => {
            Call::json(json!({"platform": "android", "push_token": format!("matrix-token-{n}")}))
        }
        "listMyDevices" | "getNotificationPreferences" => Call::empty(),
        "deleteDevice" => {
            let body = json!({"platform": "ios", "push_token": format!("matrix-ios-{n}")});
            let res =
                w.app.send_json(Method::POST, "/v1/me/devices", Some(w.token("resident_a")), &body).await;
            assert_eq!(res.status(), 201, "device: {}", res.text().await.unwrap());
            let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
            Call::empty().with("device_id", &id)
        }
        "updateNotificationPreferences" => Call::json(json!({"decisions": {"sms": true}})),
        _ => return None,
    };
    Some(call)
}

#[actix_web::test]
async fn every_operation_answers_every_kind_of_caller_as_the_table_says() {
    let ops = operations();
    let table = read_table(&ops).unwrap_or_else(|problems| panic!("matrix.tsv:\n{}", problems.join("\n")));
    let started = Instant::now();
    let mut w = World::build().await;
    let mut mismatches = Vec::new();
    let (mut hidden, mut decided_first) = (0, 0);
    // deleteMe erases its caller, so it goes last.
    let order = ops.iter().filter(|o| o.id != "deleteMe").chain(ops.iter().filter(|o| o.id == "deleteMe"));
    for op in order {
        for (who, name) in PERSONAS.iter().enumerate() {
            let expected = table[&(op.id.clone(), (*name).to_owned())];
            let Some(call) = recipe(&mut w, &op.id, who).await else {
                mismatches
                    .push(format!("{}\t(all)\tthe matrix has no request recipe for this operation", op.id));
                break;
            };
            let token = w.personas[who].token.clone();
            let missing = if op.params.is_empty() {
                None
            } else {
                Some(send(&w.app, op, token.as_deref(), &missing_params(op), &call.body).await)
            };
            let got = send(&w.app, op, token.as_deref(), &call.params, &call.body).await;
            if op.id == "changePassword" && (200..300).contains(&got.status) {
                w.personas[who].password = changed_password(who);
            }
            let line = |what: &str, want: &dyn std::fmt::Display, o: &Outcome| {
                format!("{}\t{name}{what}\texpected {want}\tgot {}\tcode {}", op.id, o.status, o.code())
            };
            if !expected.matches(got.status) {
                mismatches.push(line("", &expected, &got));
            } else if let Some(code) = match got.status {
                401 => Some("unauthorized"),
                403 => Some("forbidden"),
                404 => Some("not_found"),
                _ => None,
            } && got.code() != code
            {
                mismatches.push(line("", &format!("{expected} {code}"), &got));
            }
            // Lists and every other answer an outsider gets must not name the owner's objects either.
            if OUTSIDERS.contains(name) && (200..300).contains(&got.status) {
                let text = got.body.to_string();
                let owned = [&w.application, &w.document, &w.notification, &w.endpoint, &w.permit];
                if let Some(id) = owned.into_iter().find(|id| text.contains(id.as_str())) {
                    mismatches.push(format!("{}\t{name}\tthe answer names {id}, an object of A or X", op.id));
                }
            }
            let Some(missing) = missing else { continue };
            // A missing id is refused like the owner's object when the caller is refused outright, and is
            // otherwise not found.
            let refused = matches!(expected, Expected::Status(401 | 403));
            let want = if refused { expected } else { Expected::Status(404) };
            if !want.matches(missing.status) {
                mismatches.push(line(" (missing id)", &want, &missing));
            }
            // An object the caller may not see answers exactly like one that does not exist.
            if expected == Expected::Status(404) && got.status == 404 {
                hidden += 1;
                if got.body != missing.body {
                    mismatches.push(format!(
                        "{}\t{name}\tnot yours differs from not there: {} vs {}",
                        op.id, got.body, missing.body
                    ));
                }
            }
            // A refusal decided before any lookup cannot depend on the object.
            if refused && got.status == missing.status {
                decided_first += 1;
                if got.body != missing.body {
                    mismatches.push(format!(
                        "{}\t{name}\tthe refusal depends on the object: {} vs {}",
                        op.id, got.body, missing.body
                    ));
                }
            }
        }
    }
    eprintln!(
        "authorisation matrix: {} operations, {} rows, {hidden} hidden objects, {decided_first} early refusals, {:.1?}",
        ops.len(),
        table.len(),
        started.elapsed()
    );
    assert!(hidden > 0 && decided_first > 0, "the object comparisons did not run");
    assert!(
        mismatches.is_empty(),
        "{} of {} rows disagree with matrix.tsv (operation, persona, expected, got, code):\n{}",
        mismatches.len(),
        table.len(),
        mismatches.join("\n")
    );
}
