//! Failed-login counters in the database, shared by every instance.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::login_throttle as t;

/// Seconds until `key` may try again, if it is blocked now.
pub fn blocked_for(conn: &mut DbConn, keys: &[String], now: NaiveDateTime) -> QueryResult<Option<u64>> {
    let until: Option<NaiveDateTime> = t::table
        .filter(t::key.eq_any(keys))
        .filter(t::blocked_until.gt(now))
        .select(t::blocked_until.assume_not_null())
        .order(t::blocked_until.desc())
        .first(conn)
        .optional()?;
    Ok(until.map(|u| (u - now).num_seconds().max(1) as u64))
}

/// Counts one attempt for `key` and returns the count in the window; at `limit` the key is blocked, for
/// longer each time it keeps failing (30 s, doubling, at most the window).
pub fn record_failure(
    conn: &mut DbConn,
    key: &str,
    limit: u32,
    window: Duration,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::update(t::table.find(key).filter(t::window_started_at.lt(now - window)))
        .set((t::failures.eq(0), t::window_started_at.eq(now), t::blocked_until.eq(None::<NaiveDateTime>)))
        .execute(conn)?;
    // One upsert, so two first failures at once cannot collide (on PostgreSQL a caught unique violation
    // would abort the surrounding transaction).
    macro_rules! upsert {
        ($c:expr) => {
            diesel::insert_into(t::table)
                .values((t::key.eq(key), t::failures.eq(1), t::window_started_at.eq(now)))
                .on_conflict(t::key)
                .do_update()
                .set(t::failures.eq(t::failures + 1))
                .execute($c)
        };
    }
    match conn {
        DbConn::Pg(c) => upsert!(c)?,
        DbConn::Sqlite(c) => upsert!(c)?,
    };
    let failures: i32 = t::table.find(key).select(t::failures).first(conn)?;
    if failures >= limit as i32 {
        let over = (failures - limit as i32).clamp(0, 16) as u32;
        let secs = (30i64 << over).min(window.num_seconds().max(30));
        diesel::update(t::table.find(key))
            .set(t::blocked_until.eq(Some(now + Duration::seconds(secs))))
            .execute(conn)?;
    }
    Ok(failures)
}

/// Takes back one counted attempt (a login that turned out to be right).
pub fn forgive(conn: &mut DbConn, key: &str) -> QueryResult<()> {
    diesel::update(t::table.find(key).filter(t::failures.gt(0)))
        .set(t::failures.eq(t::failures - 1))
        .execute(conn)?;
    Ok(())
}

pub fn clear(conn: &mut DbConn, key: &str) -> QueryResult<()> {
    diesel::delete(t::table.find(key)).execute(conn).map(|_| ())
}

/// Deletes counters whose window started before `before` and that block nobody any more.
pub fn purge(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        t::table
            .filter(t::window_started_at.lt(before))
            .filter(t::blocked_until.is_null().or(t::blocked_until.lt(before))),
    )
    .execute(conn)
}
