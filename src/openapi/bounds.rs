//! Every value in a body the document describes gets a bound, so that clients, gateways and linters
//! know the largest value the server takes (OWASP API4:2023, unrestricted resource consumption). The
//! bounds are the ones the server enforces whatever the field (`http::json_bounds`): strings and arrays
//! in JSON bodies, integers within their Rust type, pages within the page limit. Parameters and headers
//! are bounded together by the request-head limit (431), not one by one.

use serde_json::{Map, Value, json};

use crate::http::json_bounds::{MAX_ITEMS, MAX_STRING_CHARS};

/// The default upload limit (`QAT_MAX_UPLOAD_BYTES`).
const UPLOAD_BYTES: u64 = 10 * 1024 * 1024;
/// Longest RFC 3339 time the server writes or reads (with offset and fraction).
const DATE_TIME_CHARS: u64 = 64;
/// Schemas returned whole by design: a resident's export is their whole record (right of access).
const WHOLE: [&str; 2] = ["DataExport", "ExportedApplication"];

/// Adds the bounds a schema lacks. `head` is true inside parameters and headers.
fn bound(node: &mut Value, head: bool, whole: bool) {
    match node {
        Value::Object(map) => {
            bound_schema(map, head, whole);
            for (key, child) in map.iter_mut() {
                let head = head || key == "parameters" || key == "headers";
                bound(child, head, whole);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| bound(v, head, whole)),
        _ => {}
    }
}

fn has_type(map: &Map<String, Value>, name: &str) -> bool {
    match map.get("type") {
        Some(Value::String(t)) => t == name,
        Some(Value::Array(ts)) => ts.iter().any(|t| t == name),
        _ => false,
    }
}

fn bound_schema(map: &mut Map<String, Value>, head: bool, whole: bool) {
    let lacks = |map: &Map<String, Value>, keys: &[&str]| keys.iter().all(|k| !map.contains_key(*k));
    if has_type(map, "string") && lacks(map, &["maxLength", "enum", "const"]) {
        let max = match map.get("format").and_then(Value::as_str) {
            _ if head => None,
            Some("date-time") => Some(DATE_TIME_CHARS),
            Some("date") => Some(10),
            Some("binary") => Some(UPLOAD_BYTES),
            _ => Some(MAX_STRING_CHARS as u64),
        };
        if let Some(max) = max {
            map.insert("maxLength".into(), json!(max));
        }
    }
    if has_type(map, "integer") {
        let format =
            map.entry("format").or_insert_with(|| json!("int64")).as_str().unwrap_or("int64").to_owned();
        if lacks(map, &["minimum", "exclusiveMinimum"]) {
            let min = if format == "int32" { json!(i32::MIN) } else { json!(i64::MIN) };
            map.insert("minimum".into(), min);
        }
        if lacks(map, &["maximum", "exclusiveMaximum"]) {
            let unsigned = map.get("minimum").and_then(Value::as_i64).is_some_and(|m| m >= 0);
            let max = match (format.as_str(), unsigned) {
                ("int32", true) => json!(u32::MAX),
                ("int32", false) => json!(i32::MAX),
                (_, true) => json!(u64::MAX),
                (_, false) => json!(i64::MAX),
            };
            map.insert("maximum".into(), max);
        }
    }
    if has_type(map, "array") && !whole && lacks(map, &["maxItems"]) {
        map.insert("maxItems".into(), json!(MAX_ITEMS));
    }
}

/// Bounds every schema, parameter and header of the document; pages hold at most one page.
pub fn apply(doc: &mut Value) {
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        for (name, schema) in schemas.iter_mut() {
            let page = name.starts_with("Page") || name.ends_with("Page");
            if let Some(items) = schema.pointer_mut("/properties/items").and_then(Value::as_object_mut)
                && page
            {
                items.insert("maxItems".into(), json!(crate::api::pagination::MAX_LIMIT));
            }
            bound(schema, false, WHOLE.contains(&name.as_str()));
        }
    }
    if let Some(paths) = doc.get_mut("paths") {
        bound(paths, false, false);
    }
}

/// The budget headers `api::middleware::rate_limit` puts on every `/v1` answer (while the limit is on).
pub fn add_rate_limit_headers(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (_, item) in paths.iter_mut().filter(|(p, _)| p.starts_with("/v1/")) {
        let Some(ops) = item.as_object_mut() else { continue };
        for op in ops.values_mut() {
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { continue };
            for (status, response) in responses.iter_mut() {
                if !(status.starts_with('2') || status.starts_with('4')) {
                    continue;
                }
                let Some(response) = response.as_object_mut() else { continue };
                let headers = response.entry("headers").or_insert_with(|| json!({}));
                if let Some(headers) = headers.as_object_mut() {
                    headers.entry("RateLimit-Policy").or_insert_with(|| {
                        json!({
                            "description": "The caller's budget: `\"default\";q=<requests>;w=<seconds>`.",
                            "schema": {"type": "string", "maxLength": 64}
                        })
                    });
                    headers.entry("RateLimit").or_insert_with(|| {
                        json!({
                            "description": "What is left of it: `\"default\";r=<requests>;t=<seconds>`.",
                            "schema": {"type": "string", "maxLength": 64}
                        })
                    });
                }
            }
        }
    }
}

/// Operations that need a token say what happens without a valid one.
pub fn add_unauthorized(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for op in item.values_mut().filter_map(Value::as_object_mut) {
            let secured = op.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty());
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { continue };
            if secured && !responses.contains_key("401") {
                responses.insert(
                    "401".into(),
                    json!({
                        "description": "No token, or one that is invalid, expired or revoked (`unauthorized`).",
                        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
                    }),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upload_bound_is_the_default_upload_limit() {
        let config = crate::config::Config::development(std::path::PathBuf::from("/tmp/qat"));
        assert_eq!(UPLOAD_BYTES, config.max_upload_bytes as u64);
    }

    #[test]
    fn strings_integers_and_arrays_get_the_bound_of_where_they_are() {
        let mut doc = json!({"paths": {"/v1/x": {"get": {
            "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                "at": {"type": "string", "format": "date-time"},
                "n": {"type": "integer", "format": "int32", "minimum": 0},
                "tags": {"type": "array", "items": {"type": "string", "enum": ["a"]}}
            }}}}}}
        }}}});
        apply(&mut doc);
        assert!(doc.pointer("/paths/~1v1~1x/get/parameters/0/schema/maxLength").is_none());
        let props = doc
            .pointer("/paths/~1v1~1x/get/responses/200/content/application~1json/schema/properties")
            .unwrap();
        assert_eq!(props["at"]["maxLength"], json!(DATE_TIME_CHARS));
        assert_eq!(props["n"]["maximum"], json!(u32::MAX));
        assert_eq!(props["tags"]["maxItems"], json!(MAX_ITEMS));
        assert!(props["tags"]["items"].get("maxLength").is_none(), "an enum is bounded already");
    }
}
