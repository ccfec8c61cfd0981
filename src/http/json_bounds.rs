//! Bounds on what a JSON body may hold, checked on the raw bytes before it is parsed: no string longer
//! than [`MAX_STRING_CHARS`] characters and no array of more than [`MAX_ITEMS`] items, whatever the
//! field. The OpenAPI document publishes these bounds on every string and array that has no tighter one
//! of its own, so a client knows the largest value it may send, and a longer one is refused (422).

use crate::error::ApiError;

/// Longest string in a JSON body, in characters (an escape such as `\u00e9` is one character). Small
/// enough that one character more still fits the body limit however it is written (a surrogate pair
/// in escapes takes 12 bytes), so a string one too long is told apart from a body too large.
pub const MAX_STRING_CHARS: usize = 16_384;
/// Most items of one array in a JSON body.
pub const MAX_ITEMS: usize = 1_000;

/// Refuses a body with a string or an array beyond the bounds. Malformed JSON passes: the parser that
/// follows reports it better.
pub fn check(bytes: &[u8]) -> Result<(), ApiError> {
    // One entry per open container: the items so far of an array, or none for an object.
    let mut open: Vec<Option<usize>> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let (chars, end) = string_chars(bytes, i + 1);
                if chars > MAX_STRING_CHARS {
                    return Err(ApiError::field(
                        "body",
                        "too_long",
                        format!("a string in the body is longer than {MAX_STRING_CHARS} characters"),
                    ));
                }
                item(&mut open)?;
                i = end;
                continue;
            }
            b'[' => {
                item(&mut open)?;
                open.push(Some(0));
            }
            b'{' => {
                item(&mut open)?;
                open.push(None);
            }
            b']' | b'}' => {
                open.pop();
            }
            b',' | b':' | b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => {
                item(&mut open)?;
                while i + 1 < bytes.len() && !b",]} \t\r\n".contains(&bytes[i + 1]) {
                    i += 1;
                }
            }
        }
        i += 1;
    }
    Ok(())
}

/// Counts a value that starts inside the innermost container (strings in objects are keys or values,
/// neither counted).
fn item(open: &mut [Option<usize>]) -> Result<(), ApiError> {
    if let Some(Some(n)) = open.last_mut() {
        *n += 1;
        if *n > MAX_ITEMS {
            return Err(ApiError::field(
                "body",
                "too_many_items",
                format!("an array in the body has more than {MAX_ITEMS} items"),
            ));
        }
    }
    Ok(())
}

/// The characters of the string starting at `start` (after its opening quote) and the index after its
/// closing quote.
fn string_chars(bytes: &[u8], start: usize) -> (usize, usize) {
    let (mut chars, mut i) = (0, start);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return (chars, i + 1),
            b'\\' if bytes.get(i + 1) == Some(&b'u') => {
                // The second half of a surrogate pair completes the character the first half began.
                let hex = bytes.get(i + 2..i + 4);
                let low =
                    hex.is_some_and(|h| h[0].eq_ignore_ascii_case(&b'd') && b"cdefCDEF".contains(&h[1]));
                chars += usize::from(!low);
                i += 6;
            }
            b'\\' => {
                chars += 1;
                i += 2;
            }
            b => {
                // Continuation bytes belong to the character their lead byte started.
                chars += usize::from(b & 0xC0 != 0x80);
                i += 1;
            }
        }
    }
    (chars, bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_one_too_long_fits_the_body_limit() {
        let config = crate::config::Config::development(std::path::PathBuf::from("/tmp/qat"));
        assert!((MAX_STRING_CHARS + 1) * 12 + 1024 < config.max_json_body);
    }

    fn body_with_string(chars: usize, unit: &str) -> Vec<u8> {
        format!(r#"{{"a": [1, {{"b": "{}"}}], "c": true}}"#, unit.repeat(chars)).into_bytes()
    }

    #[test]
    fn strings_are_counted_in_characters() {
        assert!(check(&body_with_string(MAX_STRING_CHARS, "x")).is_ok());
        assert!(check(&body_with_string(MAX_STRING_CHARS, "澳")).is_ok(), "three bytes, one character");
        assert!(check(&body_with_string(MAX_STRING_CHARS, "\\u00e9")).is_ok(), "an escape is one character");
        assert!(check(&body_with_string(MAX_STRING_CHARS / 2, "\\ud83d\\ude00")).is_ok(), "a pair is one");
        assert!(check(&body_with_string(MAX_STRING_CHARS, "\\\"")).is_ok());
        let e = check(&body_with_string(MAX_STRING_CHARS + 1, "x")).unwrap_err();
        assert_eq!((e.status.as_u16(), e.errors[0].code.as_str()), (422, "too_long"));
    }

    #[test]
    fn arrays_are_counted_at_every_depth() {
        let items = |n: usize| vec!["{\"k\": [\"v\", 2]}"; n].join(",");
        assert!(check(format!(r#"{{"xs": [{}]}}"#, items(MAX_ITEMS)).as_bytes()).is_ok());
        let e = check(format!(r#"{{"xs": [{}]}}"#, items(MAX_ITEMS + 1)).as_bytes()).unwrap_err();
        assert_eq!(e.errors[0].code, "too_many_items");
        let nested = format!(r#"{{"o": {{"xs": [[{}]]}}}}"#, vec!["-1.5e3"; MAX_ITEMS + 1].join(", "));
        assert!(check(nested.as_bytes()).is_err());
        let keys = (0..MAX_ITEMS + 5).map(|i| format!(r#""k{i}": "v""#)).collect::<Vec<_>>().join(",");
        assert!(check(format!("{{{keys}}}").as_bytes()).is_ok(), "object members are not items");
        assert!(check(b"{\"a\": [1, 2").is_ok() && check(b"{\"a\": \"open").is_ok(), "left to the parser");
    }
}
