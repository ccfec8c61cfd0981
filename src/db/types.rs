//! Values as both backends store them: ids and JSON as TEXT, times as UTC `TIMESTAMP` in microseconds.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// Current time truncated to microseconds, so that a value read back equals the value written on both
/// backends (PostgreSQL keeps microseconds, SQLite whatever it is given).
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// A stored timestamp as UTC.
pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// A new opaque, time-ordered identifier (UUID v7).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
