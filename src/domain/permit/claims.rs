//! The claims of a permit credential (a CBOR Web Token) and their CBOR form. The credential must fit a
//! printable QR code, so every text is cut to a byte budget here, in one place, and the holder appears
//! only as a surname, initials and the last characters of a travel-permit number.

use ciborium::value::Value;
use serde::Serialize;

/// CWT claim keys (RFC 8392) and the Token Status List's `status` claim.
const ISS: i64 = 1;
const EXP: i64 = 4;
const NBF: i64 = 5;
const IAT: i64 = 6;
const CTI: i64 = 7;
const STATUS: i64 = 65535;
/// The permit itself, a private claim; short because every byte of it is printed.
const PERMIT: &str = "p";

/// Byte budgets of each text on a permit; together they keep the largest credential inside a version 12
/// QR code at error correction M (see the budget test).
pub const MAX_ISSUER: usize = 6;
pub const MAX_TYPE: usize = 10;
pub const MAX_NUMBER: usize = 15;
pub const MAX_DEPARTMENT: usize = 13;
pub const MAX_SURNAME: usize = 10;
pub const MAX_INITIALS: usize = 3;
pub const TRAVEL_PERMIT_TAIL: usize = 4;
pub const MAX_FIELDS: usize = 1;
pub const MAX_FIELD_KEY: usize = 12;
pub const MAX_FIELD_VALUE: usize = 12;
pub const MAX_STATUS_URI: usize = 32;
/// Random bytes of a token id: unique enough for the life of the platform, and short.
pub const TOKEN_ID_BYTES: usize = 8;

/// Where a permit's revocation bit lives (draft-ietf-oauth-status-list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusRef {
    pub idx: u32,
    pub uri: String,
}

/// What a checkpoint reads on a permit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PermitBody {
    /// The kind of permit, such as `vehicle`.
    #[serde(rename = "type")]
    pub kind: String,
    pub number: String,
    /// The issuing organisation's code.
    pub department: String,
    pub surname: String,
    pub initials: String,
    /// Last characters of the holder's travel-permit number, if the application carried one.
    pub travel_permit_tail: Option<String>,
    /// Type-specific fields (a vehicle plate), by form field key.
    pub fields: Vec<(String, String)>,
}

/// Every claim of a permit credential. Times are seconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PermitClaims {
    pub issuer: String,
    pub issued_at: i64,
    pub not_before: i64,
    pub expires_at: i64,
    /// Random, so that two credentials never share one and nothing can be learnt from it.
    #[serde(serialize_with = "hex_bytes")]
    pub token_id: Vec<u8>,
    pub status: StatusRef,
    pub permit: PermitBody,
}

fn hex_bytes<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

/// `s` cut to at most `max` bytes, at a character boundary.
pub fn fit(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Surname and initials from a full name as Macao writes it: surname first ("CHAN Tai Man" gives
/// `CHAN`, `TM`); a Chinese name without spaces shows only its first character, the surname.
pub fn holder_name(full_name: &str) -> (String, String) {
    let mut words = full_name.split_whitespace();
    let Some(first) = words.next() else { return (String::new(), String::new()) };
    if first.chars().next().is_some_and(is_cjk) && !full_name.trim().contains(char::is_whitespace) {
        let surname: String = first.chars().take(1).collect();
        return (surname, String::new());
    }
    let initials: String =
        words.filter_map(|w| w.chars().next()).flat_map(char::to_uppercase).take(MAX_INITIALS).collect();
    (fit(&first.to_uppercase(), MAX_SURNAME), fit(&initials, MAX_INITIALS))
}

/// The last characters of a travel-permit number, never the whole of it.
pub fn travel_permit_tail(number: &str) -> String {
    let chars: Vec<char> = number.trim().chars().collect();
    chars[chars.len().saturating_sub(TRAVEL_PERMIT_TAIL)..].iter().collect()
}

impl PermitBody {
    /// The same permit with every text cut to its budget, as it will be signed.
    pub fn fitted(self) -> Self {
        Self {
            kind: fit(&self.kind, MAX_TYPE),
            number: fit(&self.number, MAX_NUMBER),
            department: fit(&self.department, MAX_DEPARTMENT),
            surname: fit(&self.surname, MAX_SURNAME),
            initials: fit(&self.initials, MAX_INITIALS),
            travel_permit_tail: self
                .travel_permit_tail
                .map(|t| fit(&travel_permit_tail(&t), TRAVEL_PERMIT_TAIL)),
            fields: self
                .fields
                .into_iter()
                .take(MAX_FIELDS)
                .map(|(k, v)| (fit(&k, MAX_FIELD_KEY), fit(&v, MAX_FIELD_VALUE)))
                .collect(),
        }
    }
}

/// Why a payload's claims were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimsError(pub &'static str);

fn int(v: i64) -> Value {
    Value::Integer(v.into())
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

impl PermitClaims {
    /// The CWT payload, every text cut to its budget.
    pub fn to_cbor(&self) -> Vec<u8> {
        let p = self.permit.clone().fitted();
        let fields = p.fields.iter().map(|(k, v)| (text(k), text(v))).collect();
        let permit = Value::Array(vec![
            text(&p.kind),
            text(&p.number),
            text(&p.department),
            text(&p.surname),
            text(&p.initials),
            p.travel_permit_tail.as_deref().map_or(Value::Null, text),
            Value::Map(fields),
        ]);
        let status = Value::Map(vec![(
            text("status_list"),
            Value::Map(vec![
                (text("idx"), int(self.status.idx.into())),
                (text("uri"), text(&fit(&self.status.uri, MAX_STATUS_URI))),
            ]),
        )]);
        let claims = Value::Map(vec![
            (int(ISS), text(&fit(&self.issuer, MAX_ISSUER))),
            (int(EXP), int(self.expires_at)),
            (int(NBF), int(self.not_before)),
            (int(IAT), int(self.issued_at)),
            (int(CTI), Value::Bytes(self.token_id.clone())),
            (int(STATUS), status),
            (text(PERMIT), permit),
        ]);
        let mut out = Vec::new();
        // Writing CBOR into a Vec cannot fail.
        let _ = ciborium::ser::into_writer(&claims, &mut out);
        out
    }

    /// Reads a CWT payload strictly: every claim present exactly once, of its type, nothing else, nothing
    /// after it.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, ClaimsError> {
        let mut reader = bytes;
        let value: Value =
            ciborium::de::from_reader(&mut reader).map_err(|_| ClaimsError("claims are not CBOR"))?;
        if !reader.is_empty() {
            return Err(ClaimsError("bytes after the claims"));
        }
        let Value::Map(entries) = value else { return Err(ClaimsError("claims are not a map")) };
        let mut c = Partial::default();
        for (key, value) in entries {
            let slot = match &key {
                Value::Integer(i) => match i64::try_from(*i).unwrap_or(0) {
                    ISS => Slot::Iss,
                    EXP => Slot::Exp,
                    NBF => Slot::Nbf,
                    IAT => Slot::Iat,
                    CTI => Slot::Cti,
                    STATUS => Slot::Status,
                    _ => return Err(ClaimsError("unknown claim")),
                },
                Value::Text(t) if t == PERMIT => Slot::Permit,
                _ => return Err(ClaimsError("unknown claim")),
            };
            c.put(slot, value)?;
        }
        c.finish()
    }
}

#[derive(Clone, Copy)]
enum Slot {
    Iss,
    Exp,
    Nbf,
    Iat,
    Cti,
    Status,
    Permit,
}

#[derive(Default)]
struct Partial {
    iss: Option<String>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    cti: Option<Vec<u8>>,
    status: Option<StatusRef>,
    permit: Option<PermitBody>,
}

fn once<T>(slot: &mut Option<T>, value: T) -> Result<(), ClaimsError> {
    if slot.replace(value).is_some() {
        return Err(ClaimsError("a claim appears twice"));
    }
    Ok(())
}

fn as_text(v: Value) -> Result<String, ClaimsError> {
    match v {
        Value::Text(t) => Ok(t),
        _ => Err(ClaimsError("a text claim is not text")),
    }
}

fn as_time(v: Value) -> Result<i64, ClaimsError> {
    match v {
        Value::Integer(i) => i64::try_from(i).map_err(|_| ClaimsError("a time is out of range")),
        _ => Err(ClaimsError("a time is not an integer")),
    }
}

fn as_map(v: Value) -> Result<Vec<(Value, Value)>, ClaimsError> {
    match v {
        Value::Map(m) => Ok(m),
        _ => Err(ClaimsError("expected a map")),
    }
}

/// The one entry of a map keyed by `name`, refusing any other key.
fn only(entries: Vec<(Value, Value)>, names: &[&str]) -> Result<Vec<Value>, ClaimsError> {
    let mut out: Vec<Option<Value>> = vec![None; names.len()];
    for (k, v) in entries {
        let Value::Text(k) = k else { return Err(ClaimsError("unexpected key")) };
        let i = names.iter().position(|n| *n == k).ok_or(ClaimsError("unexpected key"))?;
        once(&mut out[i], v)?;
    }
    out.into_iter().map(|v| v.ok_or(ClaimsError("a member is missing"))).collect()
}

fn status_ref(v: Value) -> Result<StatusRef, ClaimsError> {
    let [list] =
        <[Value; 1]>::try_from(only(as_map(v)?, &["status_list"])?).map_err(|_| ClaimsError("status"))?;
    let [idx, uri] =
        <[Value; 2]>::try_from(only(as_map(list)?, &["idx", "uri"])?).map_err(|_| ClaimsError("status"))?;
    let idx = match idx {
        Value::Integer(i) => u32::try_from(i).map_err(|_| ClaimsError("status index out of range"))?,
        _ => return Err(ClaimsError("status index is not an integer")),
    };
    Ok(StatusRef { idx, uri: as_text(uri)? })
}

fn permit_body(v: Value) -> Result<PermitBody, ClaimsError> {
    let Value::Array(items) = v else { return Err(ClaimsError("permit is not an array")) };
    let [kind, number, department, surname, initials, tail, fields] =
        <[Value; 7]>::try_from(items).map_err(|_| ClaimsError("permit has the wrong length"))?;
    let tail = match tail {
        Value::Null => None,
        other => Some(as_text(other)?),
    };
    let fields = as_map(fields)?
        .into_iter()
        .map(|(k, v)| Ok((as_text(k)?, as_text(v)?)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PermitBody {
        kind: as_text(kind)?,
        number: as_text(number)?,
        department: as_text(department)?,
        surname: as_text(surname)?,
        initials: as_text(initials)?,
        travel_permit_tail: tail,
        fields,
    })
}

impl Partial {
    fn put(&mut self, slot: Slot, v: Value) -> Result<(), ClaimsError> {
        match slot {
            Slot::Iss => once(&mut self.iss, as_text(v)?),
            Slot::Exp => once(&mut self.exp, as_time(v)?),
            Slot::Nbf => once(&mut self.nbf, as_time(v)?),
            Slot::Iat => once(&mut self.iat, as_time(v)?),
            Slot::Cti => match v {
                Value::Bytes(b) => once(&mut self.cti, b),
                _ => Err(ClaimsError("token id is not bytes")),
            },
            Slot::Status => once(&mut self.status, status_ref(v)?),
            Slot::Permit => once(&mut self.permit, permit_body(v)?),
        }
    }

    fn finish(self) -> Result<PermitClaims, ClaimsError> {
        let missing = ClaimsError("a claim is missing");
        Ok(PermitClaims {
            issuer: self.iss.ok_or(missing.clone())?,
            expires_at: self.exp.ok_or(missing.clone())?,
            not_before: self.nbf.ok_or(missing.clone())?,
            issued_at: self.iat.ok_or(missing.clone())?,
            token_id: self.cti.ok_or(missing.clone())?,
            status: self.status.ok_or(missing.clone())?,
            permit: self.permit.ok_or(missing)?,
        })
    }
}
