//! The language of catalogue texts: `?lang=` when given (and then it must be one we serve), otherwise the
//! best match of `Accept-Language`, otherwise Traditional Chinese.

use std::future::{Ready, ready};

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponseBuilder, dev::Payload};

use crate::domain::locale::Locale;
use crate::error::ApiError;

#[derive(Debug, Clone, Copy)]
pub struct Lang(pub Locale);

fn lang_param(query: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v)
}

impl FromRequest for Lang {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(tag) = lang_param(req.query_string()) {
            return ready(Locale::parse_tag(&tag).map(Lang).ok_or_else(|| {
                ApiError::field(
                    "lang",
                    "unsupported_language",
                    "lang must be zh-Hant, zh-Hans, pt or en (or a region of them)",
                )
            }));
        }
        let accepted = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Locale::negotiate)
            .unwrap_or(Locale::ZhHant);
        ready(Ok(Lang(accepted)))
    }
}

impl Lang {
    /// Marks a response as localised.
    pub fn mark(self, res: &mut HttpResponseBuilder) {
        res.insert_header((header::CONTENT_LANGUAGE, self.0.as_str()))
            .insert_header((header::VARY, "Accept-Language"));
    }
}
