//! Working-day arithmetic for due dates, in Macao local time.
//!
//! Departments promise to decide within a number of working days: Monday to Friday in
//! Asia/Macau, minus public holidays, which the caller supplies because they are published
//! year by year. All instants stay in UTC; only the choice of calendar day is local.
//!
//! The functions work arithmetically (whole weeks at a time, then the holidays), so even an
//! absurd number of days costs no more than a realistic one.

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone, Utc, Weekday,
};
use chrono_tz::Asia::Macau;

/// The last second of a working day: a deadline "on" a day holds until then.
// Evaluated at compile time, so the `panic!` can only ever fail the build, never a request.
const END_OF_DAY: NaiveTime = match NaiveTime::from_hms_opt(23, 59, 59) {
    Some(t) => t,
    None => panic!("23:59:59 is a valid time"),
};

/// Adds `days` working days (Mon-Fri in Asia/Macau, skipping `holidays`) to the Macao-local
/// date of `start`; the result is the end of that working day (23:59:59 Asia/Macau) as UTC.
/// 0 days -> end of the start day if it is a working day, else end of the next working day.
/// Counting starts the day after `start`.
///
/// `holidays` may be in any order and contain repeats or weekend dates. If the answer would
/// lie beyond the last date chrono can represent, the result is [`DateTime::<Utc>::MAX_UTC`]
/// rather than a panic.
pub fn due_date(start: DateTime<Utc>, days: u32, holidays: &[NaiveDate]) -> DateTime<Utc> {
    let holidays = Holidays::new(holidays);
    let start_day = macao_date(start);
    let day = if days == 0 {
        if holidays.is_working_day(start_day) {
            Some(start_day)
        } else {
            nth_working_day_after(start_day, 1, &holidays)
        }
    } else {
        nth_working_day_after(start_day, u64::from(days), &holidays)
    };
    match day {
        Some(day) => end_of_macao_day(day),
        None => DateTime::<Utc>::MAX_UTC,
    }
}

/// Working days (Asia/Macau) strictly after the local date of `from` up to and including the
/// local date of `to`; 0 if to <= from. Used to extend a due date by the time an application
/// spent waiting for the resident (the clock pauses in needs_info).
///
/// Two instants on the same Macao day give 0; `from` on Friday and `to` on the following
/// Monday give 1. `holidays` may be in any order and contain repeats or weekend dates.
pub fn working_days_between(from: DateTime<Utc>, to: DateTime<Utc>, holidays: &[NaiveDate]) -> u32 {
    if to <= from {
        return 0;
    }
    let (a, b) = (macao_date(from), macao_date(to));
    if b <= a {
        return 0;
    }
    let holidays = Holidays::new(holidays);
    let count = weekdays_between(a, b) - holidays.count_between(a, b);
    // More than u32::MAX working days cannot fit between two chrono dates, but saturating
    // costs nothing and keeps the conversion total.
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// True when `date` is Monday to Friday and not in `holidays`.
pub fn is_working_day(date: NaiveDate, holidays: &[NaiveDate]) -> bool {
    is_weekday(date) && !holidays.contains(&date)
}

/// The calendar date in Macao at instant `t`.
fn macao_date(t: DateTime<Utc>) -> NaiveDate {
    let utc = t.naive_utc();
    let offset = Macau.offset_from_utc_datetime(&utc).fix();
    // `DateTime::with_timezone` would panic for instants within hours of the end of
    // chrono's range; the checked form lets those saturate instead.
    utc.checked_add_offset(offset).map(|local| local.date()).unwrap_or(NaiveDate::MAX)
}

/// 23:59:59 Macao time on `day`, as UTC.
fn end_of_macao_day(day: NaiveDate) -> DateTime<Utc> {
    let local = NaiveDateTime::new(day, END_OF_DAY);
    match Macau.from_local_datetime(&local).latest() {
        Some(t) => t.with_timezone(&Utc),
        // Only a clock change skipping over midnight could make 23:59:59 not exist; Macao
        // has not changed clocks since 1979, so fall back to its standard offset, UTC+8.
        None => DateTime::from_naive_utc_and_offset(local - TimeDelta::hours(8), Utc),
    }
}

fn is_weekday(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The holidays that matter for counting: weekday ones only (a holiday on a Sunday takes
/// no working day away), sorted and without repeats so ranges can be counted by search.
struct Holidays(Vec<NaiveDate>);

impl Holidays {
    fn new(dates: &[NaiveDate]) -> Self {
        let mut v: Vec<NaiveDate> = dates.iter().copied().filter(|d| is_weekday(*d)).collect();
        v.sort_unstable();
        v.dedup();
        Self(v)
    }

    fn is_working_day(&self, date: NaiveDate) -> bool {
        is_weekday(date) && self.0.binary_search(&date).is_err()
    }

    /// Weekday holidays in `(after, through]`.
    fn count_between(&self, after: NaiveDate, through: NaiveDate) -> u64 {
        let lo = self.0.partition_point(|d| *d <= after);
        let hi = self.0.partition_point(|d| *d <= through);
        (hi.saturating_sub(lo)) as u64
    }
}

/// The `n`-th working day after `day` (n >= 1), or `None` past the end of chrono's range.
fn nth_working_day_after(day: NaiveDate, n: u64, holidays: &Holidays) -> Option<NaiveDate> {
    // Jump over `n` weekdays, then over as many more as the holidays in the stretch just
    // jumped. Each round lands on a weekday; once a stretch holds no holiday its last day
    // is a working day and exactly `n` working days have passed. Holidays are finite, so
    // this ends after at most one round per holiday plus one.
    let mut cursor = day;
    let mut remaining = n;
    while remaining > 0 {
        let next = nth_weekday_after(cursor, remaining)?;
        remaining = holidays.count_between(cursor, next);
        cursor = next;
    }
    Some(cursor)
}

/// The `n`-th Monday-to-Friday date after `day` (n >= 1).
fn nth_weekday_after(day: NaiveDate, n: u64) -> Option<NaiveDate> {
    let wd = u64::from(day.weekday().num_days_from_monday());
    // Counting weekdays after a Saturday or Sunday is the same as counting after the
    // Friday before it, which keeps the arithmetic below to one case.
    let (base, wd) = if wd > 4 { (day.checked_sub_days(Days::new(wd - 4))?, 4) } else { (day, wd) };
    let weeks = (n - 1) / 5;
    let rest = (n - 1) % 5 + 1;
    let weekend = if wd + rest > 4 { 2 } else { 0 };
    let offset = weeks.checked_mul(7)?.checked_add(rest + weekend)?;
    base.checked_add_days(Days::new(offset))
}

/// Weekdays in `(after, through]`; `after < through`.
fn weekdays_between(after: NaiveDate, through: NaiveDate) -> u64 {
    let count = weekdays_through(through) - weekdays_through(after);
    u64::try_from(count).unwrap_or(0)
}

/// Weekdays from 0001-01-01 (a Monday) up to and including `date`, extended to earlier dates
/// so that differences stay right; only differences of this are meaningful.
fn weekdays_through(date: NaiveDate) -> i64 {
    let n = i64::from(date.num_days_from_ce()) - 1;
    let (weeks, day_of_week) = (n.div_euclid(7), n.rem_euclid(7));
    weeks * 5 + (day_of_week + 1).min(5)
}

#[cfg(test)]
#[path = "calendar_tests.rs"]
mod tests;
