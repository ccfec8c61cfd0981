//! JSON request bodies: content type checked, size bounded, and deserialisation errors reported with the
//! dotted path of the offending field.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The largest JSON body accepted, in bytes, registered as app data at start.
#[derive(Debug, Clone, Copy)]
pub struct JsonLimit(pub usize);

const DEFAULT_LIMIT: usize = 256 * 1024;

/// The raw JSON body of the request, kept by the JSON extractor for idempotency fingerprints.
#[derive(Clone)]
pub struct RawBody(pub web::Bytes);

/// A JSON body parsed into `T`.
#[derive(Debug)]
pub struct Json<T>(pub T);

/// True for `application/json` and any `application/*+json`.
pub fn is_json(req: &HttpRequest) -> bool {
    let Some(ct) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Reads a whole body, refusing more than `limit` bytes with 413.
pub async fn read_body<S>(payload: &mut S, limit: usize) -> Result<web::BytesMut, ApiError>
where
    S: futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + Unpin,
{
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::malformed(format!("could not read the request body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(format!("the body is larger than {limit} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Parses JSON into `T`; syntax errors are 400, well-formed JSON of the wrong shape is 422 naming the field.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Every request body is an object; serde would otherwise also accept a struct written as an array.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Ok(_) => Err(ApiError::field("body", "invalid_type", "the body must be a JSON object")),
            Err(_) => Err(ApiError::malformed("the body is not valid JSON")),
        };
    }
    crate::http::json_bounds::check(bytes)?;
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_data() {
            let field = if path == "." { "body".to_owned() } else { path };
            let msg = inner.to_string();
            let msg = msg.split(" at line ").next().unwrap_or("invalid value").to_owned();
            let code = if msg.starts_with("missing field") { "required" } else { "invalid_type" };
            let field = match (code, msg.split('`').nth(1)) {
                ("required", Some(name)) if field == "body" => name.to_owned(),
                ("required", Some(name)) => format!("{field}.{name}"),
                _ => field,
            };
            ApiError::field(&field, code, msg)
        } else {
            ApiError::malformed("the body is not valid JSON")
        }
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let limit = req.app_data::<JsonLimit>().map(|l| l.0).unwrap_or(DEFAULT_LIMIT);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        let req = req.clone();
        Box::pin(async move {
            if !json {
                return Err(ApiError::unsupported_media_type("the body must be application/json"));
            }
            if declared.is_some_and(|n| n > limit) {
                return Err(ApiError::payload_too_large(format!("the body is larger than {limit} bytes")));
            }
            let body = read_body(&mut payload, limit).await?.freeze();
            let parsed = parse(&body).map(Json);
            if parsed.is_ok() {
                use actix_web::HttpMessage;
                req.extensions_mut().insert(RawBody(body));
            }
            parsed
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[allow(dead_code)]
        token: String,
    }

    #[test]
    fn only_objects_are_accepted_as_bodies() {
        assert!(parse::<Body>(br#" {"token": "x"}"#).is_ok());
        let e = parse::<Body>(br#"["x"]"#).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code.as_str()), (422, "validation_failed"));
        assert_eq!(e.errors[0].field, "body");
        let e = parse::<Body>(b"[oops").unwrap_err();
        assert_eq!((e.status.as_u16(), e.code.as_str()), (400, "malformed_request"));
        let e = parse::<Body>(br#"{"token": 1}"#).unwrap_err();
        assert_eq!(e.errors[0].field, "token");
    }
}
