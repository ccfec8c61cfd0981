//! Rules for choosing a password.
//!
//! The policy follows current guidance for memorised secrets: a length range, a deny-list of
//! passwords attackers try first, and no use of the account holder's own details. There are
//! deliberately no composition rules (digits, symbols, mixed case), because they push people
//! towards predictable patterns without making passwords harder to guess.

use std::fmt;

use super::FieldError;

/// Fewest characters (Unicode scalar values) a new password may have.
pub const MIN_CHARS: usize = 8;
/// Most characters (Unicode scalar values) a new password may have. The cap keeps the cost of
/// hashing bounded for any request.
pub const MAX_CHARS: usize = 128;

/// A personal detail this long or longer may not be the whole password.
const PERSONAL_EQUALS_MIN_CHARS: usize = 4;
/// A personal detail this long or longer may not appear anywhere in the password. Shorter
/// fragments are left alone because they turn up in unrelated passwords by coincidence.
const PERSONAL_CONTAINS_MIN_CHARS: usize = 5;

/// Frequently used passwords of at least [`MIN_CHARS`] characters, lower case, one per line.
/// Shorter ones are omitted because the length rule already refuses them.
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// A password acceptable for a new account or a password change.
///
/// A caller may rely on: between [`MIN_CHARS`] and [`MAX_CHARS`] characters, exactly as typed
/// (no trimming or other normalisation), not on the common-password list in any letter case,
/// not one character repeated, and not equal to or containing the personal details passed to
/// [`NewPassword::parse`]. `Debug` never shows the password, and there is no `Display`, so it
/// cannot end up in a log line by accident.
pub struct NewPassword(String);

impl NewPassword {
    /// Checks `raw` against the policy.
    ///
    /// `context` holds the account holder's own details, such as the local part of their email
    /// address, their name and the digits of their phone number. Entries are compared without
    /// regard to case or surrounding whitespace; a password may not equal an entry of four or
    /// more characters, nor contain one of five or more. Shorter entries are ignored.
    ///
    /// Rules are checked in the order of [`PasswordError`]'s variants and the first failure is
    /// returned.
    pub fn parse(raw: &str, context: &[&str]) -> Result<Self, PasswordError> {
        // Not trimmed: spaces are legitimate password characters (passphrases), and the hash
        // must be computed over exactly what the user will type at login.
        let length = raw.chars().count();
        if length < MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if length > MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        let lower = raw.to_lowercase();
        if is_common(&lower) || is_one_repeated_char(&lower) {
            return Err(PasswordError::Common);
        }
        if contains_personal_data(&lower, context) {
            return Err(PasswordError::ContainsPersonalData);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The password itself, for hashing. The name is deliberately loud so that every use
    /// stands out in review.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

fn is_common(lower: &str) -> bool {
    // A linear scan of a few kilobytes once per registration or password change costs less
    // than building and keeping a set around.
    COMMON_PASSWORDS.lines().any(|line| line.trim() == lower)
}

fn is_one_repeated_char(lower: &str) -> bool {
    let mut chars = lower.chars();
    chars.next().is_some_and(|first| chars.all(|other| other == first))
}

fn contains_personal_data(lower: &str, context: &[&str]) -> bool {
    context.iter().any(|detail| {
        let detail = detail.trim().to_lowercase();
        let length = detail.chars().count();
        (length >= PERSONAL_EQUALS_MIN_CHARS && lower == detail)
            || (length >= PERSONAL_CONTAINS_MIN_CHARS && lower.contains(&detail))
    })
}

/// Why a password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordError {
    /// Fewer than [`MIN_CHARS`] characters.
    TooShort,
    /// More than [`MAX_CHARS`] characters.
    TooLong,
    /// On the common-password list, or a single character repeated.
    Common,
    /// Equal to or containing one of the account holder's own details.
    ContainsPersonalData,
}

impl PasswordError {
    /// Stable machine-readable code for API clients, which localise by it.
    pub fn code(self) -> &'static str {
        match self {
            PasswordError::TooShort => "too_short",
            PasswordError::TooLong => "too_long",
            PasswordError::Common => "common_password",
            PasswordError::ContainsPersonalData => "contains_personal_data",
        }
    }

    /// English explanation of what is wrong, phrased so it never repeats the password.
    pub fn message(self) -> &'static str {
        match self {
            PasswordError::TooShort => "a password needs at least 8 characters",
            PasswordError::TooLong => "a password can have at most 128 characters",
            PasswordError::Common => {
                "this password is too common and easy to guess; choose a less predictable one"
            }
            PasswordError::ContainsPersonalData => {
                "a password must not contain your name, email address or phone number"
            }
        }
    }

    /// The error as it appears in a problem document, attributed to `field`.
    pub fn field_error(self, field: &str) -> FieldError {
        FieldError::new(field, self.code(), self.message())
    }
}

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for PasswordError {}

#[cfg(test)]
#[path = "password_tests.rs"]
mod tests;
