//! Contact details: email addresses and phone numbers in the normalised form they are stored in.
//!
//! The constructors are the only way to obtain an [`Email`], [`Phone`] or [`LoginId`], and they
//! normalise as well as validate, so two inputs that mean the same address or number always
//! produce equal values. Registration and login both go through here, which is what makes
//! lookups by login identifier match.

use std::fmt;

use super::FieldError;

/// Longest accepted email address, in characters (the limit of the SMTP forward path).
pub const EMAIL_MAX_CHARS: usize = 254;
/// Longest accepted part before the `@`, in characters.
pub const EMAIL_LOCAL_MAX_CHARS: usize = 64;
/// DNS limit on a single domain label.
const DOMAIN_LABEL_MAX_CHARS: usize = 63;

/// Digits after the `+853` country code.
const MACAO_NATIONAL_DIGITS: usize = 8;
/// Digits after the `+86` country code; Mainland mobile numbers all start with `1`.
const MAINLAND_NATIONAL_DIGITS: usize = 11;
/// Longest number E.164 allows, country code included.
const E164_MAX_DIGITS: usize = 15;

/// Why a raw string is not an acceptable email address or phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactError {
    /// Nothing but whitespace was given.
    Empty,
    /// Not a plausible email address.
    InvalidEmail,
    /// Not a plausible phone number, or the wrong number of digits for its country.
    InvalidPhone,
    /// A well-formed international number from a country other than Macao or Mainland China.
    UnsupportedCountry,
    /// An email address, or the part before its `@`, exceeds the length limits.
    TooLong,
}

impl ContactError {
    /// Stable machine-readable code for API clients, which localise by it.
    pub fn code(self) -> &'static str {
        match self {
            ContactError::Empty => "required",
            ContactError::InvalidEmail => "invalid_email",
            ContactError::InvalidPhone => "invalid_phone",
            ContactError::UnsupportedCountry => "unsupported_country",
            ContactError::TooLong => "too_long",
        }
    }

    /// English explanation of what is wrong and what would be accepted.
    pub fn message(self) -> &'static str {
        match self {
            ContactError::Empty => "this field is required",
            ContactError::InvalidEmail => "enter an email address such as name@example.com",
            ContactError::InvalidPhone => {
                "enter a Macao number of 8 digits, such as +853 6234 5678, \
                 or a Mainland mobile number of 11 digits after +86"
            }
            ContactError::UnsupportedCountry => {
                "only Macao (+853) and Mainland China (+86) phone numbers are supported"
            }
            ContactError::TooLong => {
                "an email address can have at most 254 characters, \
                 and at most 64 before the @"
            }
        }
    }

    /// The error as it appears in a problem document, attributed to `field`.
    pub fn field_error(self, field: &str) -> FieldError {
        FieldError::new(field, self.code(), self.message())
    }
}

impl fmt::Display for ContactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for ContactError {}

/// A syntactically valid email address, trimmed and lower-cased.
///
/// A caller may rely on: at most [`EMAIL_MAX_CHARS`] ASCII characters, no upper-case letters,
/// exactly one `@`, a local part of 1 to [`EMAIL_LOCAL_MAX_CHARS`] characters made of letters,
/// digits, dots (not leading, trailing or doubled) and ``!#$%&'*+-/=?^_`{|}~``, and a domain of
/// at least two dot-separated labels of letters, digits and inner hyphens whose last label is
/// not all digits. Whether mail is actually delivered is not known until a message is sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    /// Validates and normalises `raw`.
    ///
    /// Errors: [`ContactError::Empty`], [`ContactError::TooLong`] or
    /// [`ContactError::InvalidEmail`].
    pub fn parse(raw: &str) -> Result<Self, ContactError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ContactError::Empty);
        }
        if trimmed.chars().count() > EMAIL_MAX_CHARS {
            return Err(ContactError::TooLong);
        }
        // Checked before lower-casing: Unicode lower-casing turns a few non-ASCII characters
        // (the Kelvin sign, for one) into ASCII letters, which would smuggle look-alikes in.
        // Internationalised addresses are refused because outgoing mail cannot carry them.
        if !trimmed.is_ascii() {
            return Err(ContactError::InvalidEmail);
        }
        // Addresses are treated case-insensitively as a whole. Strictly the local part is case
        // sensitive, but no mainstream provider relies on that and users do not expect it.
        let lower = trimmed.to_ascii_lowercase();
        let Some((local, domain)) = lower.split_once('@') else {
            return Err(ContactError::InvalidEmail);
        };
        if local.len() > EMAIL_LOCAL_MAX_CHARS {
            return Err(ContactError::TooLong);
        }
        if !is_valid_local_part(local) || !is_valid_domain(domain) {
            return Err(ContactError::InvalidEmail);
        }
        Ok(Self(lower))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The normalised address, by value.
    pub fn into_inner(self) -> String {
        self.0
    }

    /// The part before the `@`, for example to keep it out of a new password.
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or("", |(local, _)| local)
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, domain)| domain)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_valid_local_part(local: &str) -> bool {
    // Quoted local parts and other rarely used RFC 5322 forms are refused on purpose: they are
    // a common source of injection into mail headers and almost never belong to real users.
    let allowed = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    !local.is_empty()
        && local.chars().all(allowed)
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
}

fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let labels_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= DOMAIN_LABEL_MAX_CHARS
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    // An all-digit top-level label means an IP address, which no real mailbox uses here.
    let tld_ok = labels.last().is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()));
    labels_ok && tld_ok
}

/// A Macao or Mainland China phone number in E.164 form.
///
/// A caller may rely on the value being either `+853` followed by exactly 8 digits or `+86`
/// followed by exactly 11 digits starting with `1`, with nothing else in the string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

impl Phone {
    /// Validates `raw` and converts it to E.164.
    ///
    /// Spaces, hyphens, dots and parentheses may separate digits anywhere. The country code is
    /// written with `+` or `00` (`+853 6234 5678`, `(+853) 6234-5678`, `0085362345678`,
    /// `+86 138 0013 8000`); a number with no country code must have exactly 8 digits and is
    /// taken to be a Macao number.
    ///
    /// Errors: [`ContactError::Empty`], [`ContactError::InvalidPhone`] for anything malformed or
    /// of the wrong length, and [`ContactError::UnsupportedCountry`] for a plausible
    /// international number outside Macao and Mainland China.
    pub fn parse(raw: &str) -> Result<Self, ContactError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ContactError::Empty);
        }
        let mut digits = String::with_capacity(trimmed.len());
        let mut has_plus = false;
        for c in trimmed.chars() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if !has_plus && digits.is_empty() => has_plus = true,
                '-' | '.' | '(' | ')' => {}
                c if c.is_whitespace() => {}
                _ => return Err(ContactError::InvalidPhone),
            }
        }

        if has_plus {
            return Self::from_international(&digits);
        }
        if let Some(international) = digits.strip_prefix("00") {
            return Self::from_international(international);
        }
        // Without + or 00 a leading 853 or 86 is not read as a country code: "85362345678"
        // could just as well be a mistyped local number, so it is refused rather than guessed.
        if digits.len() == MACAO_NATIONAL_DIGITS {
            return Ok(Self(format!("+853{digits}")));
        }
        Err(ContactError::InvalidPhone)
    }

    /// `digits` is everything after the international prefix: country code, then number.
    fn from_international(digits: &str) -> Result<Self, ContactError> {
        if let Some(national) = digits.strip_prefix("853") {
            return if national.len() == MACAO_NATIONAL_DIGITS {
                Ok(Self(format!("+853{national}")))
            } else {
                Err(ContactError::InvalidPhone)
            };
        }
        if let Some(national) = digits.strip_prefix("86") {
            return if national.len() == MAINLAND_NATIONAL_DIGITS && national.starts_with('1') {
                Ok(Self(format!("+86{national}")))
            } else {
                Err(ContactError::InvalidPhone)
            };
        }
        // Only call it another country when it could be a real international number at all;
        // country codes never start with 0, and too short or too long is plain garbage.
        let plausible = !digits.starts_with('0') && (7..=E164_MAX_DIGITS).contains(&digits.len());
        if plausible { Err(ContactError::UnsupportedCountry) } else { Err(ContactError::InvalidPhone) }
    }

    /// The number in E.164 form, e.g. `+85362345678`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number in E.164 form, by value.
    pub fn into_inner(self) -> String {
        self.0
    }

    /// The country calling code without `+`: `"853"` or `"86"`.
    pub fn country_code(&self) -> &str {
        self.split().0
    }

    /// The digits after the country code, e.g. `"62345678"`.
    pub fn national_number(&self) -> &str {
        self.split().1
    }

    /// The number with all but its last four digits hidden, keeping the country code so the
    /// user can tell which of their numbers is meant: `+853****5678`, `+86*******8000`.
    pub fn masked(&self) -> String {
        let (country, national) = self.split();
        let hidden = national.len().saturating_sub(4);
        let visible = national.get(hidden..).unwrap_or_default();
        format!("+{country}{}{visible}", "*".repeat(hidden))
    }

    fn split(&self) -> (&str, &str) {
        if let Some(national) = self.0.strip_prefix("+853") {
            ("853", national)
        } else if let Some(national) = self.0.strip_prefix("+86") {
            ("86", national)
        } else {
            // Unreachable while the constructor is the only way in; kept total rather than
            // panicking so a future change cannot turn a formatting call into a crash.
            ("", self.0.trim_start_matches('+'))
        }
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A login identifier: an email if it contains '@', else a phone number. Normalised the same way
/// registration stores it, so that lookups match.
///
/// Anything without an `@` is judged as a phone number, so a mistyped email address without
/// one is reported as [`ContactError::InvalidPhone`]; login forms should show a neutral message
/// rather than that code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LoginId {
    Email(Email),
    Phone(Phone),
}

impl LoginId {
    /// Parses `raw` with [`Email::parse`] if it contains `@`, otherwise with [`Phone::parse`].
    pub fn parse(raw: &str) -> Result<Self, ContactError> {
        if raw.contains('@') {
            Email::parse(raw).map(LoginId::Email)
        } else {
            Phone::parse(raw).map(LoginId::Phone)
        }
    }

    /// The normalised email address or E.164 phone number.
    pub fn as_str(&self) -> &str {
        match self {
            LoginId::Email(email) => email.as_str(),
            LoginId::Phone(phone) => phone.as_str(),
        }
    }
}

impl fmt::Display for LoginId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[path = "contact_tests.rs"]
mod tests;
