//! Strong ETags derived from a resource's version, and `If-Match` preconditions.

use actix_web::HttpRequest;
use actix_web::http::header;

use crate::error::ApiError;

/// The ETag of a version: a quoted decimal, such as `"7"`.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// The versions an `If-Match` header accepts: `None` without the header, `Some(None)` for `*`.
#[derive(Debug, Clone)]
pub struct IfMatch(Option<Option<Vec<String>>>);

impl IfMatch {
    pub fn from_request(req: &HttpRequest) -> Self {
        let values: Vec<&str> =
            req.headers().get_all(header::IF_MATCH).filter_map(|v| v.to_str().ok()).collect();
        if values.is_empty() {
            return Self(None);
        }
        let tags: Vec<String> = values
            .iter()
            .flat_map(|v| v.split(','))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        if tags.iter().any(|t| t == "*") {
            return Self(Some(None));
        }
        Self(Some(Some(tags)))
    }

    /// Checks the precondition against the current version: 428 when required and absent, 412 when it
    /// names another version (weak tags never match: the comparison is strong).
    pub fn check(&self, version: i32, required: bool) -> Result<(), ApiError> {
        match &self.0 {
            None if required => Err(ApiError::precondition_required()),
            None | Some(None) => Ok(()),
            Some(Some(tags)) if tags.contains(&etag(version)) => Ok(()),
            Some(Some(_)) => Err(ApiError::precondition_failed()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn strong_comparison_against_the_current_version() {
        let req = TestRequest::default().insert_header(("If-Match", "\"3\", \"4\"")).to_http_request();
        assert!(IfMatch::from_request(&req).check(4, true).is_ok());
        assert_eq!(IfMatch::from_request(&req).check(5, true).unwrap_err().status.as_u16(), 412);
        let weak = TestRequest::default().insert_header(("If-Match", "W/\"4\"")).to_http_request();
        assert_eq!(IfMatch::from_request(&weak).check(4, true).unwrap_err().status.as_u16(), 412);
        let none = TestRequest::default().to_http_request();
        assert_eq!(IfMatch::from_request(&none).check(4, true).unwrap_err().status.as_u16(), 428);
        assert!(IfMatch::from_request(&none).check(4, false).is_ok());
        let any = TestRequest::default().insert_header(("If-Match", "*")).to_http_request();
        assert!(IfMatch::from_request(&any).check(9, true).is_ok());
    }
}
