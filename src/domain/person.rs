//! A person's name as accounts carry it.

use super::FieldError;

/// Longest full name, in characters: room for long Portuguese names and romanisations.
pub const MAX_NAME_CHARS: usize = 200;

/// A full name: trimmed, not empty, at most [`MAX_NAME_CHARS`] characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullName(String);

impl FullName {
    /// The name in `raw`, or the problem with it as an error on the field `full_name`.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let name = raw.trim();
        if name.is_empty() {
            Err(FieldError::new("full_name", "required", "full_name must not be empty"))
        } else if name.chars().count() > MAX_NAME_CHARS {
            Err(FieldError::new(
                "full_name",
                "too_long",
                format!("full_name must be at most {MAX_NAME_CHARS} characters"),
            ))
        } else if name.chars().any(char::is_control) {
            Err(FieldError::new("full_name", "invalid_characters", "full_name contains control characters"))
        } else {
            Ok(Self(name.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// For requests that report every bad field at once: the trimmed name, with its problem (if any)
/// added to `errors`.
pub fn check_full_name(raw: &str, errors: &mut Vec<FieldError>) -> String {
    FullName::parse(raw).map(FullName::into_inner).unwrap_or_else(|e| {
        errors.push(e);
        raw.trim().to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(FullName::parse("  陳大文 ").unwrap().as_str(), "陳大文");
        assert_eq!(FullName::parse("   ").unwrap_err().code, "required");
        assert_eq!(FullName::parse(&"a".repeat(201)).unwrap_err().code, "too_long");
        assert!(FullName::parse(&"a".repeat(200)).is_ok());
        assert_eq!(FullName::parse("Ho\u{7}Kit").unwrap_err().code, "invalid_characters");
    }
}
