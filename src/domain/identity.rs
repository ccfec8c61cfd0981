//! Identity document numbers that Macao residents present to Hengqin departments.
//!
//! An [`IdentityNumber`] can only be obtained through [`IdentityNumber::parse`], so holding one
//! means the number has the right shape for its [`IdentityKind`], and, for the 18-character
//! Mainland formats, that the embedded date of birth is a real date and the check character
//! matches. None of this proves that the document exists or belongs to the person presenting it.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::FieldError;

/// The kinds of identity document the service accepts.
///
/// On the wire (serde, database, URLs) a kind is the `snake_case` string returned by
/// [`IdentityKind::as_str`]; the two never disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    /// Macao resident identity card (澳門居民身份證), e.g. `1234567(8)`.
    MacaoId,
    /// Mainland Travel Permit for Hong Kong and Macao Residents (港澳居民來往內地通行證),
    /// e.g. `M12345678`.
    MainlandTravelPermit,
    /// Mainland resident identity card (居民身份證), 18 characters.
    MainlandId,
    /// Residence Permit for Hong Kong and Macao Residents (港澳台居民居住證), 18 characters
    /// beginning `810000` (Hong Kong) or `820000` (Macao).
    ResidencePermit,
}

impl IdentityKind {
    /// Every kind, in the order forms should offer them.
    pub const ALL: [IdentityKind; 4] = [
        IdentityKind::MacaoId,
        IdentityKind::MainlandTravelPermit,
        IdentityKind::MainlandId,
        IdentityKind::ResidencePermit,
    ];

    /// Reads the wire name produced by [`IdentityKind::as_str`].
    ///
    /// The match is exact (no trimming, case-sensitive), so it agrees with serde.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == s)
    }

    /// The stable wire name: `macao_id`, `mainland_travel_permit`, `mainland_id` or
    /// `residence_permit`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::MacaoId => "macao_id",
            IdentityKind::MainlandTravelPermit => "mainland_travel_permit",
            IdentityKind::MainlandId => "mainland_id",
            IdentityKind::ResidencePermit => "residence_permit",
        }
    }

    /// English name of the document, suitable for the middle of a sentence after "a".
    pub fn label(self) -> &'static str {
        match self {
            IdentityKind::MacaoId => "Macao resident identity card",
            IdentityKind::MainlandTravelPermit => "Mainland Travel Permit for Hong Kong and Macao Residents",
            IdentityKind::MainlandId => "Mainland resident identity card",
            IdentityKind::ResidencePermit => "Residence Permit for Hong Kong and Macao Residents",
        }
    }
}

impl fmt::Display for IdentityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a raw string is not an acceptable identity number.
///
/// [`IdentityNumber::parse`] reports the first failing rule in this order: `Empty`,
/// `InvalidFormat`, `InvalidPrefix`, `InvalidDate`, `InvalidCheckDigit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityError {
    /// Nothing but whitespace was given.
    Empty,
    /// Wrong length or characters for the kind.
    InvalidFormat,
    /// The check character does not match the rest of the number.
    InvalidCheckDigit,
    /// The leading digits belong to a different kind of document.
    InvalidPrefix,
    /// The embedded date of birth is not a real date between 1900 and 2100.
    InvalidDate,
}

impl IdentityError {
    /// Stable machine-readable code for API clients, which localise by it.
    pub fn code(self) -> &'static str {
        match self {
            IdentityError::Empty => "required",
            IdentityError::InvalidFormat => "invalid_format",
            IdentityError::InvalidCheckDigit => "invalid_check_digit",
            IdentityError::InvalidPrefix => "invalid_prefix",
            IdentityError::InvalidDate => "invalid_date",
        }
    }

    /// English explanation naming the document kind and what is wrong with the number.
    pub fn message(self, kind: IdentityKind) -> String {
        let label = kind.label();
        match self {
            IdentityError::Empty => format!("a {label} number is required"),
            IdentityError::InvalidFormat => format_hint(kind).to_owned(),
            IdentityError::InvalidCheckDigit => format!(
                "the last character of this {label} number does not match the rest of it; \
                 check the number for typing mistakes"
            ),
            IdentityError::InvalidPrefix => match kind {
                IdentityKind::MainlandId => format!(
                    "a {label} number cannot start with 810000, 820000 or 830000; \
                     numbers starting that way belong to residence permits"
                ),
                IdentityKind::ResidencePermit => {
                    format!("a {label} number starts with 810000 (Hong Kong) or 820000 (Macao)")
                }
                IdentityKind::MacaoId | IdentityKind::MainlandTravelPermit => {
                    format!("this {label} number starts with digits that are not issued")
                }
            },
            IdentityError::InvalidDate => format!(
                "characters 7 to 14 of a {label} number must be a real date of birth \
                 written as YYYYMMDD"
            ),
        }
    }

    /// The error as it appears in a problem document, attributed to `field`.
    pub fn field_error(self, field: &str, kind: IdentityKind) -> FieldError {
        FieldError::new(field, self.code(), self.message(kind))
    }
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Without a kind only a generic sentence is possible; `message` is the richer form.
        let text = match self {
            IdentityError::Empty => "identity number is required",
            IdentityError::InvalidFormat => "identity number has the wrong format",
            IdentityError::InvalidCheckDigit => "identity number check character does not match",
            IdentityError::InvalidPrefix => "identity number prefix belongs to another document",
            IdentityError::InvalidDate => "identity number contains an impossible date of birth",
        };
        f.write_str(text)
    }
}

impl std::error::Error for IdentityError {}

fn format_hint(kind: IdentityKind) -> &'static str {
    match kind {
        IdentityKind::MacaoId => {
            "a Macao resident identity card number looks like 1234567(8): \
             1, 5 or 7, six more digits, then a check digit or letter"
        }
        IdentityKind::MainlandTravelPermit => {
            "a Mainland Travel Permit for Hong Kong and Macao Residents number looks like \
             M12345678 or M1234567890: H or M followed by 8 or 10 digits"
        }
        IdentityKind::MainlandId => {
            "a Mainland resident identity card number has 18 characters: \
             17 digits followed by a digit or X"
        }
        IdentityKind::ResidencePermit => {
            "a Residence Permit for Hong Kong and Macao Residents number has 18 characters: \
             17 digits followed by a digit or X"
        }
    }
}

/// A validated identity number together with its kind.
///
/// The stored value is normalised: surrounding whitespace removed, letters in upper case, and a
/// Macao identity card number always written with its check character in parentheses
/// (`1234567(8)`). Two numbers that differ only in those respects compare equal once parsed.
///
/// `Debug` shows only the masked form, so a number that ends up in a log line is not exposed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdentityNumber {
    kind: IdentityKind,
    value: String,
}

impl IdentityNumber {
    /// Validates `raw` as a number of the given kind and normalises it.
    pub fn parse(kind: IdentityKind, raw: &str) -> Result<Self, IdentityError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(IdentityError::Empty);
        }
        // ASCII-only upper-casing: full Unicode rules map a few non-Latin letters (such as the
        // dotless ı) onto ASCII ones, which would let look-alike characters through.
        let upper = trimmed.to_ascii_uppercase();
        let value = match kind {
            IdentityKind::MacaoId => normalise_macao_id(&upper)?,
            IdentityKind::MainlandTravelPermit => {
                check_travel_permit(&upper)?;
                upper
            }
            IdentityKind::MainlandId | IdentityKind::ResidencePermit => {
                check_eighteen(kind, &upper)?;
                upper
            }
        };
        Ok(Self { kind, value })
    }

    /// The kind this number was validated as.
    pub fn kind(&self) -> IdentityKind {
        self.kind
    }

    /// The normalised number, suitable for storage and exact-match lookups.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The number with everything but its first and last two letters or digits replaced by
    /// `*`, for showing back to a user or an officer; punctuation such as the parentheses of a
    /// Macao card stays in place. At most three real characters are ever revealed.
    pub fn masked(&self) -> String {
        let significant = self.value.chars().filter(char::is_ascii_alphanumeric).count();
        let mut position = 0;
        self.value
            .chars()
            .map(|c| {
                if !c.is_ascii_alphanumeric() {
                    return c;
                }
                let shown = position == 0 || position + 2 >= significant;
                position += 1;
                if shown { c } else { '*' }
            })
            .collect()
    }

    /// The date of birth embedded in an 18-character Mainland number, as
    /// `(year, month, day)`; `None` for kinds that carry no date.
    ///
    /// Always a real calendar date with a year in `1900..=2100` when present.
    pub fn birth_date(&self) -> Option<(u16, u8, u8)> {
        match self.kind {
            IdentityKind::MainlandId | IdentityKind::ResidencePermit => {
                split_birth_date(self.value.as_bytes().get(6..14)?)
            }
            IdentityKind::MacaoId | IdentityKind::MainlandTravelPermit => None,
        }
    }
}

impl fmt::Debug for IdentityNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityNumber").field("kind", &self.kind).field("value", &self.masked()).finish()
    }
}

/// Convenience for form validation: validates `raw` as `kind`, returning the normalised string
/// or a [`FieldError`] for `field` whose `code` is one of [`IdentityError::code`].
pub fn validate_field(field: &str, kind: IdentityKind, raw: &str) -> Result<String, FieldError> {
    IdentityNumber::parse(kind, raw)
        .map(|number| number.value)
        .map_err(|error| error.field_error(field, kind))
}

/// Accepts `1234567(8)` or `12345678` and always returns the parenthesised form, because the
/// card prints the parentheses but many people leave them out when typing.
fn normalise_macao_id(upper: &str) -> Result<String, IdentityError> {
    let (body, check) = match upper.as_bytes() {
        [body @ .., b'(', check, b')'] if body.len() == 7 => (body, *check),
        [body @ .., check] if body.len() == 7 => (body, *check),
        _ => return Err(IdentityError::InvalidFormat),
    };
    let first_ok = matches!(body.first(), Some(b'1' | b'5' | b'7'));
    let rest_ok = body.iter().skip(1).all(u8::is_ascii_digit);
    let check_ok = check.is_ascii_digit() || check.is_ascii_uppercase();
    if !(first_ok && rest_ok && check_ok) {
        return Err(IdentityError::InvalidFormat);
    }
    let mut normalised: String = body.iter().copied().map(char::from).collect();
    normalised.push('(');
    normalised.push(char::from(check));
    normalised.push(')');
    Ok(normalised)
}

fn check_travel_permit(upper: &str) -> Result<(), IdentityError> {
    match upper.as_bytes() {
        [b'H' | b'M', digits @ ..]
            if matches!(digits.len(), 8 | 10) && digits.iter().all(u8::is_ascii_digit) =>
        {
            Ok(())
        }
        _ => Err(IdentityError::InvalidFormat),
    }
}

/// Region codes that mark residence permits (Hong Kong, Macao, Taiwan). They never appear on a
/// Mainland identity card, so seeing one there means the wrong document kind was chosen.
const RESIDENCE_PERMIT_REGIONS: [&[u8]; 3] = [b"810000", b"820000", b"830000"];

/// The subset of residence-permit region codes issued to Hong Kong and Macao residents.
const HK_MACAO_PERMIT_REGIONS: [&[u8]; 2] = [b"810000", b"820000"];

fn check_eighteen(kind: IdentityKind, upper: &str) -> Result<(), IdentityError> {
    let Ok(chars) = <&[u8; 18]>::try_from(upper.as_bytes()) else {
        return Err(IdentityError::InvalidFormat);
    };
    let (body, [check]) = chars.split_at(17) else {
        return Err(IdentityError::InvalidFormat);
    };
    if !body.iter().all(u8::is_ascii_digit) || !(check.is_ascii_digit() || *check == b'X') {
        return Err(IdentityError::InvalidFormat);
    }

    let region = &chars[..6];
    let prefix_ok = match kind {
        IdentityKind::ResidencePermit => HK_MACAO_PERMIT_REGIONS.contains(&region),
        _ => !RESIDENCE_PERMIT_REGIONS.contains(&region),
    };
    if !prefix_ok {
        return Err(IdentityError::InvalidPrefix);
    }

    if split_birth_date(&chars[6..14]).is_none() {
        return Err(IdentityError::InvalidDate);
    }

    if mod11_2_check(body) != Some(*check) {
        return Err(IdentityError::InvalidCheckDigit);
    }
    Ok(())
}

/// ISO 7064 MOD 11-2 check character over 17 ASCII digits, as printed on Mainland identity
/// cards and residence permits. `None` if the input is not 17 digits.
fn mod11_2_check(body: &[u8]) -> Option<u8> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK_CHARS: &[u8; 11] = b"10X98765432";
    if body.len() != WEIGHTS.len() || !body.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = body.iter().zip(WEIGHTS).map(|(digit, weight)| u32::from(digit - b'0') * weight).sum();
    CHECK_CHARS.get((sum % 11) as usize).copied()
}

/// Reads `YYYYMMDD` and returns it only if it is a real Gregorian date in 1900..=2100.
fn split_birth_date(yyyymmdd: &[u8]) -> Option<(u16, u8, u8)> {
    if yyyymmdd.len() != 8 || !yyyymmdd.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let number = |digits: &[u8]| digits.iter().fold(0u16, |acc, digit| acc * 10 + u16::from(digit - b'0'));
    let year = number(&yyyymmdd[..4]);
    let month = u8::try_from(number(&yyyymmdd[4..6])).ok()?;
    let day = u8::try_from(number(&yyyymmdd[6..])).ok()?;
    if !(1900..=2100).contains(&year) || !(1..=12).contains(&month) {
        return None;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days_in_month).contains(&day).then_some((year, month, day))
}

#[cfg(test)]
#[path = "identity_tests.rs"]
mod tests;
