//! People's names as accounts store them.

use super::FieldError;

/// Longest full name, in characters.
pub const FULL_NAME_MAX_CHARS: usize = 200;

/// Checks a full name: 1 to 200 characters once trimmed, no control characters. Returns the trimmed
/// name; a problem is added to `errors`, so that one answer can list every bad field of a request.
pub fn check_full_name(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let name = raw.trim();
    if name.is_empty() {
        errors.push(FieldError::new("full_name", "required", "full_name must not be empty"));
    } else if name.chars().count() > FULL_NAME_MAX_CHARS {
        errors.push(FieldError::new("full_name", "too_long", "full_name must be at most 200 characters"));
    } else if name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "full_name",
            "invalid_characters",
            "full_name contains control characters",
        ));
    }
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(raw: &str) -> (String, Vec<String>) {
        let mut errors = Vec::new();
        let name = check_full_name(raw, &mut errors);
        (name, errors.into_iter().map(|e| e.code).collect())
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(codes("  陳大文 "), ("陳大文".to_owned(), vec![]));
        assert_eq!(codes("   ").1, ["required"]);
        assert_eq!(codes(&"x".repeat(201)).1, ["too_long"]);
        assert_eq!(codes(&"x".repeat(200)).1, Vec::<String>::new());
        assert_eq!(codes("A\u{7}B").1, ["invalid_characters"]);
    }
}
