//! The catalogue in four languages, filters and pagination; admins add organisations, services and form
//! versions.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_demo, t4, test_form};

async fn service_named(app: &TestApp, id: &str, accept: Option<&str>, query: &str) -> (String, String) {
    let mut req = app.request(Method::GET, &format!("/v1/services/{id}{query}"));
    if let Some(a) = accept {
        req = req.header("Accept-Language", a);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["vary"], "Accept-Language");
    let lang = res.headers()["content-language"].to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    (lang, body["name"].as_str().unwrap().to_owned())
}

#[actix_web::test]
async fn the_demo_catalogue_speaks_four_languages() {
    let app = spawn_demo().await;
    let list: Value = app.get("/v1/services?limit=100").await.json().await.unwrap();
    let items = list["items"].as_array().unwrap();
    assert!(items.len() >= 8, "at least eight demo services");
    for category in ["immigration", "residence", "travel"] {
        assert!(items.iter().any(|s| s["category"] == category), "no {category} service");
    }
    let id = items[0]["id"].as_str().unwrap();
    let mut names = Vec::new();
    for (accept, expected) in [
        (Some("zh-MO"), "zh-Hant"),
        (Some("zh-HK,en;q=0.5"), "zh-Hant"),
        (Some("zh-TW"), "zh-Hant"),
        (Some("zh-CN"), "zh-Hans"),
        (Some("zh-SG"), "zh-Hans"),
        (Some("zh-Hans-CN"), "zh-Hans"),
        (Some("pt-PT"), "pt"),
        (Some("en-GB"), "en"),
        (Some("fr-FR, en;q=0.3, pt;q=0.8"), "pt"),
        (Some("de"), "zh-Hant"),
        (None, "zh-Hant"),
    ] {
        let (lang, name) = service_named(&app, id, accept, "").await;
        assert_eq!(lang, expected, "Accept-Language {accept:?}");
        names.push((lang, name));
    }
    let distinct: std::collections::HashSet<&String> = names.iter().map(|(_, n)| n).collect();
    assert_eq!(distinct.len(), 4, "four different texts: {names:?}");
    // ?lang= wins over the header.
    let (lang, _) = service_named(&app, id, Some("zh-CN"), "?lang=en").await;
    assert_eq!(lang, "en");
    let res = app.get(&format!("/v1/services/{id}?lang=xx")).await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "lang");

    let orgs: Value = app.get("/v1/organisations?lang=pt").await.json().await.unwrap();
    assert!(orgs["items"].as_array().unwrap().len() >= 4);
}

#[actix_web::test]
async fn services_filter_search_and_page_in_a_stable_order() {
    let app = spawn_demo().await;
    let travel: Value = app.get("/v1/services?category=travel").await.json().await.unwrap();
    assert!(travel["items"].as_array().unwrap().iter().all(|s| s["category"] == "travel"));
    let res = app.get("/v1/services?category=space").await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let org = app.org_id("hq-entry-exit").await;
    let own: Value = app.get(&format!("/v1/services?organisation_id={org}")).await.json().await.unwrap();
    assert!(!own["items"].as_array().unwrap().is_empty());
    assert!(own["items"].as_array().unwrap().iter().all(|s| s["organisation_id"] == org.as_str()));

    // Text search matches names in any language.
    for q in ["口岸", "Posto", "port"] {
        let found: Value = app.get(&format!("/v1/services?q={}", urlencode(q))).await.json().await.unwrap();
        assert!(!found["items"].as_array().unwrap().is_empty(), "nothing for {q}");
    }
    let none: Value = app.get("/v1/services?q=%25%25nothing%25").await.json().await.unwrap();
    assert!(none["items"].as_array().unwrap().is_empty());

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/v1/services?limit=3&cursor={c}"),
            None => "/v1/services?limit=3".into(),
        };
        let page: Value = app.get(&url).await.json().await.unwrap();
        seen.extend(page["items"].as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let all: Value = app.get("/v1/services?limit=100").await.json().await.unwrap();
    let codes: Vec<String> =
        all["items"].as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap().to_owned()).collect();
    assert_eq!(seen, codes);
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted);
    assert_problem(
        app.get("/v1/services?limit=101").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_problem(app.get("/v1/services/does-not-exist").await, StatusCode::NOT_FOUND, "not_found").await;
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[actix_web::test]
async fn a_new_form_version_is_drafted_beside_the_live_one_and_published() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, service) = app.test_service(&admin, "versioned-service").await;
    let detail: Value = app.get(&format!("/v1/services/{service}?lang=en")).await.json().await.unwrap();
    assert_eq!(detail["form"]["version"], 1);
    assert_eq!(detail["form"]["fields"][3]["options"][1], json!({"value": "study", "label": "Study"}));
    assert_eq!(detail["form"]["documents"][0], json!({"kind": "photo", "required": true, "label": "Photo"}));
    assert_eq!(detail["fee"], json!({"amount": 5000, "currency": "MOP"}));

    let mut v2 = test_form();
    v2["fields"]
        .as_array_mut()
        .unwrap()
        .push(json!({"key": "employer", "type": "text", "required": true, "label": t4("Employer")}));
    let res = app
        .send_json(
            Method::POST,
            &format!("/v1/admin/services/{service}/versions"),
            Some(&admin.token),
            &json!({"form": v2}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let draft: Value = res.json().await.unwrap();
    assert_eq!((draft["version"].as_i64(), draft["state"].as_str()), (Some(2), Some("draft")));
    let live: Value = app.get(&format!("/v1/services/{service}")).await.json().await.unwrap();
    assert_eq!(live["form"]["version"], 1, "the draft is not live yet");

    let res = app
        .request(Method::POST, &format!("/v1/admin/services/{service}/versions/2/publish"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let live: Value = app.get(&format!("/v1/services/{service}")).await.json().await.unwrap();
    assert_eq!(live["form"]["version"], 2);
    let res = app
        .request(Method::POST, &format!("/v1/admin/services/{service}/versions/2/publish"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::CONFLICT, "version_not_draft").await;
    let res = app
        .request(Method::POST, &format!("/v1/admin/services/{service}/versions/9/publish"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;

    // Broken definitions are refused field by field.
    let bad = json!({"form": {"fields": [{"key": "Bad Key", "type": "select", "required": true, "label": {"en": "x"}}]}});
    let res = app
        .send_json(Method::POST, &format!("/v1/admin/services/{service}/versions"), Some(&admin.token), &bad)
        .await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.iter().any(|f| f.starts_with("form.fields[0].key")), "{fields:?}");
    assert!(fields.iter().any(|f| f.starts_with("form.fields[0].label")), "{fields:?}");
    assert!(fields.iter().any(|f| f.starts_with("form.fields[0].options")), "{fields:?}");
}
