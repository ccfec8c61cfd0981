//! Admins' patterns: bounded in length and compiled size, anchored to the whole value.

use regex::{Regex, RegexBuilder};

use super::{PATTERN_MAX_CHARS, PATTERN_SIZE_LIMIT};

/// Why an admin's pattern cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PatternError {
    Empty,
    TooLong,
    Syntax,
    TooBig,
}

impl PatternError {
    pub(super) fn message(self) -> String {
        match self {
            PatternError::Empty => "must not be empty".to_owned(),
            PatternError::TooLong => format!("may be at most {PATTERN_MAX_CHARS} characters"),
            PatternError::Syntax => "is not a valid regular expression".to_owned(),
            PatternError::TooBig => {
                format!("is too complex: it compiles to more than {} KiB", PATTERN_SIZE_LIMIT / 1024)
            }
        }
    }
}

/// Compiles an admin's pattern so that it must match the whole value.
pub(super) fn compile_pattern(pattern: &str) -> Result<Regex, PatternError> {
    if pattern.is_empty() {
        return Err(PatternError::Empty);
    }
    if pattern.chars().count() > PATTERN_MAX_CHARS {
        return Err(PatternError::TooLong);
    }
    let build = |source: &str| {
        RegexBuilder::new(source)
            .size_limit(PATTERN_SIZE_LIMIT)
            .dfa_size_limit(PATTERN_SIZE_LIMIT)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(_) => PatternError::TooBig,
                _ => PatternError::Syntax,
            })
    };
    // The pattern must stand on its own first: otherwise `a)|(b` would compile once wrapped
    // and match far more than the admin meant.
    build(pattern)?;
    // `\A` and `\z` rather than `^` and `$`, which a `(?m)` in the pattern would turn into
    // line anchors.
    build(&format!(r"\A(?:{pattern})\z"))
}
