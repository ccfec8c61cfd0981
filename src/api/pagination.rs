//! Cursor pagination shared by every list: `?limit=` (1-100, default 20) and an opaque `?cursor=`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of items and the cursor of the next one (null on the last page).
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A position in a list: the sort key of the last item seen and its id (the tie-breaker).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cursor {
    pub k: String,
    pub id: String,
}

impl PageParams {
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::field("limit", "out_of_range", "limit must be between 1 and 100")),
        }
    }

    pub fn cursor(&self) -> Result<Option<Cursor>, ApiError> {
        let Some(raw) = &self.cursor else { return Ok(None) };
        URL_SAFE_NO_PAD
            .decode(raw)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .map(Some)
            .ok_or_else(|| ApiError::malformed("cursor is not one this server issued"))
    }

    /// The cursor as a (timestamp, id) position.
    pub fn time_cursor(&self) -> Result<Option<(NaiveDateTime, String)>, ApiError> {
        match self.cursor()? {
            None => Ok(None),
            Some(c) => NaiveDateTime::parse_from_str(&c.k, "%Y-%m-%dT%H:%M:%S%.f")
                .map(|t| Some((t, c.id)))
                .map_err(|_| ApiError::malformed("cursor is not one this server issued")),
        }
    }
}

pub fn encode_cursor(k: &str, id: &str) -> String {
    let c = Cursor { k: k.to_owned(), id: id.to_owned() };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap_or_default())
}

pub fn time_key(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// Builds a page from `limit + 1` loaded rows: the extra row only says there is a next page.
pub fn page<R, T>(
    mut rows: Vec<R>,
    limit: i64,
    key: impl Fn(&R) -> (String, String),
    map: impl Fn(R) -> T,
) -> Page<T> {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|r| {
            let (k, id) = key(r);
            encode_cursor(&k, &id)
        })
    } else {
        None
    };
    Page { items: rows.into_iter().map(map).collect(), next_cursor }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Cursors come back from clients: anything else than one this server issued is a 400, never a
        /// panic, and an issued one reads back as written.
        #[test]
        fn cursors_round_trip_and_anything_else_is_malformed(raw in any::<String>(), k in any::<String>(), id in any::<String>()) {
            for cursor in [raw.clone(), URL_SAFE_NO_PAD.encode(raw.as_bytes())] {
                let params = PageParams { limit: None, cursor: Some(cursor) };
                if let Err(e) = params.cursor() {
                    prop_assert_eq!(e.code.as_str(), "malformed_request");
                }
                if let Err(e) = params.time_cursor() {
                    prop_assert_eq!(e.status.as_u16(), 400);
                }
            }
            let issued = PageParams { limit: None, cursor: Some(encode_cursor(&k, &id)) };
            let back = issued.cursor().unwrap().unwrap();
            prop_assert_eq!((back.k, back.id), (k, id));
        }
    }
}
