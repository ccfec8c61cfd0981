//! Strong ETags derived from a resource's version, and `If-Match` preconditions.

use crate::error::ApiError;

/// The ETag of a version: a quoted decimal, such as `"7"`.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// The versions an `If-Match` header accepts: `None` without the header, `Some(None)` for `*`.
#[derive(Debug, Clone)]
pub struct IfMatch(Option<Option<Vec<String>>>);

impl IfMatch {
    /// From the values of every `If-Match` header of a request.
    pub fn parse<'a>(values: impl Iterator<Item = &'a str>) -> Self {
        let values: Vec<&str> = values.collect();
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

    fn header(values: &[&str]) -> IfMatch {
        IfMatch::parse(values.iter().copied())
    }

    #[test]
    fn strong_comparison_against_the_current_version() {
        let two = header(&["\"3\", \"4\""]);
        assert!(two.check(4, true).is_ok());
        assert_eq!(two.check(5, true).unwrap_err().status.as_u16(), 412);
        assert_eq!(header(&["W/\"4\""]).check(4, true).unwrap_err().status.as_u16(), 412);
        assert_eq!(header(&[]).check(4, true).unwrap_err().status.as_u16(), 428);
        assert!(header(&[]).check(4, false).is_ok());
        assert!(header(&["*"]).check(9, true).is_ok());
    }
}
