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
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    /// 23:59:59 Macao time on the given date, written out in UTC (15:59:59).
    fn macao_eod(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 15, 59, 59).unwrap()
    }

    /// Day-by-day reference implementation of `due_date`'s counting.
    fn naive_due(start: NaiveDate, days: u32, holidays: &[NaiveDate]) -> NaiveDate {
        let mut d = start;
        if days == 0 {
            while !is_working_day(d, holidays) {
                d = d.succ_opt().unwrap();
            }
            return d;
        }
        let mut counted = 0;
        while counted < days {
            d = d.succ_opt().unwrap();
            if is_working_day(d, holidays) {
                counted += 1;
            }
        }
        d
    }

    fn naive_between(a: NaiveDate, b: NaiveDate, holidays: &[NaiveDate]) -> u32 {
        let mut n = 0;
        let mut d = a;
        while d < b {
            d = d.succ_opt().unwrap();
            if is_working_day(d, holidays) {
                n += 1;
            }
        }
        n
    }

    #[test]
    fn is_working_day_weekdays_weekends_and_holidays() {
        let holidays = [date(2025, 10, 1)];
        assert!(is_working_day(date(2025, 9, 29), &holidays)); // Monday
        assert!(is_working_day(date(2025, 10, 3), &holidays)); // Friday
        assert!(!is_working_day(date(2025, 10, 1), &holidays)); // holiday Wednesday
        assert!(!is_working_day(date(2025, 10, 4), &holidays)); // Saturday
        assert!(!is_working_day(date(2025, 10, 5), &holidays)); // Sunday
        assert!(is_working_day(date(2025, 10, 1), &[]));
    }

    #[test]
    fn due_date_from_a_friday_skips_the_weekend() {
        // Friday 2025-06-06, 10:00 in Macao.
        let start = utc(2025, 6, 6, 2, 0);
        assert_eq!(due_date(start, 1, &[]), macao_eod(2025, 6, 9)); // Monday
        assert_eq!(due_date(start, 5, &[]), macao_eod(2025, 6, 13)); // next Friday
        assert_eq!(due_date(start, 6, &[]), macao_eod(2025, 6, 16)); // Monday after
        assert_eq!(due_date(start, 0, &[]), macao_eod(2025, 6, 6)); // the Friday itself
    }

    #[test]
    fn due_date_result_is_end_of_day_in_macao() {
        let due = due_date(utc(2025, 6, 2, 1, 0), 2, &[]);
        let local = due.with_timezone(&Macau);
        assert_eq!(local.date_naive(), date(2025, 6, 4));
        assert_eq!(local.time(), END_OF_DAY);
        assert_eq!(due, utc(2025, 6, 4, 15, 59) + TimeDelta::seconds(59));
    }

    #[test]
    fn due_date_uses_macao_date_not_utc_date() {
        // Thursday 2025-06-05 17:30 UTC is already Friday 01:30 in Macao.
        let start = utc(2025, 6, 5, 17, 30);
        assert_eq!(due_date(start, 1, &[]), macao_eod(2025, 6, 9)); // Monday, not Friday
        assert_eq!(due_date(start, 0, &[]), macao_eod(2025, 6, 6)); // Friday, not Thursday
        // Friday 20:00 UTC is Saturday 04:00 in Macao: zero days lands on Monday.
        assert_eq!(due_date(utc(2025, 6, 6, 20, 0), 0, &[]), macao_eod(2025, 6, 9));
        // One second before Macao midnight is still the same Macao day.
        let late = Utc.with_ymd_and_hms(2025, 6, 5, 15, 59, 59).unwrap();
        assert_eq!(due_date(late, 1, &[]), macao_eod(2025, 6, 6));
    }

    #[test]
    fn due_date_skips_a_holiday_in_the_middle() {
        // Monday 2025-09-29; National Day, Wednesday 2025-10-01, is a holiday.
        let start = utc(2025, 9, 29, 3, 0);
        let holidays = [date(2025, 10, 1)];
        // Tue 30 (1), Wed 1 holiday, Thu 2 (2), Fri 3 (3).
        assert_eq!(due_date(start, 3, &holidays), macao_eod(2025, 10, 3));
        assert_eq!(due_date(start, 3, &[]), macao_eod(2025, 10, 2));
    }

    #[test]
    fn due_date_skips_a_weekend_and_holiday_run() {
        // Friday 2025-10-03, then Sat, Sun, and holidays on Mon 6 and Tue 7.
        let start = utc(2025, 10, 3, 4, 0);
        let holidays = [date(2025, 10, 7), date(2025, 10, 6)];
        assert_eq!(due_date(start, 1, &holidays), macao_eod(2025, 10, 8));
        assert_eq!(due_date(start, 3, &holidays), macao_eod(2025, 10, 10));
        // Starting on the Saturday with zero days lands on the Wednesday.
        assert_eq!(due_date(utc(2025, 10, 4, 4, 0), 0, &holidays), macao_eod(2025, 10, 8));
    }

    #[test]
    fn due_date_ignores_holiday_order_repeats_and_weekend_holidays() {
        let start = utc(2025, 9, 29, 3, 0);
        let messy = [
            date(2025, 10, 2),
            date(2025, 10, 4), // Saturday: no effect
            date(2025, 10, 1),
            date(2025, 10, 2),
        ];
        // Tue 30 (1), Wed/Thu holidays, Fri 3 (2), Mon 6 (3).
        assert_eq!(due_date(start, 3, &messy), macao_eod(2025, 10, 6));
    }

    #[test]
    fn due_date_matches_day_by_day_counting() {
        let holidays = [
            date(2025, 1, 1),
            date(2025, 1, 28),
            date(2025, 1, 29),
            date(2025, 1, 30),
            date(2025, 1, 31),
            date(2025, 4, 4),
            date(2025, 4, 18),
            date(2025, 5, 1),
            date(2025, 10, 1),
            date(2025, 10, 2),
            date(2025, 12, 24),
            date(2025, 12, 25),
            date(2026, 1, 1),
        ];
        let mut start = date(2024, 12, 20);
        while start < date(2025, 3, 1) {
            let instant = end_of_macao_day(start) - TimeDelta::hours(12);
            for days in [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 14, 15, 20, 30, 60, 250] {
                let expected = end_of_macao_day(naive_due(start, days, &holidays));
                assert_eq!(due_date(instant, days, &holidays), expected, "{start} + {days}");
            }
            start = start.succ_opt().unwrap();
        }
    }

    #[test]
    fn due_date_saturates_instead_of_panicking() {
        let start = utc(2025, 6, 6, 2, 0);
        assert_eq!(due_date(start, u32::MAX, &[]), DateTime::<Utc>::MAX_UTC);
        // An instant so late that its Macao date is past chrono's range.
        let _ = due_date(DateTime::<Utc>::MAX_UTC, 1, &[]);
        let _ = due_date(DateTime::<Utc>::MAX_UTC, 0, &[]);
        // Many days is still quick and right.
        let far = due_date(start, 1_000_000, &[]);
        let expected = date(2025, 6, 6).checked_add_days(Days::new(200_000 * 7)).unwrap();
        assert_eq!(far, end_of_macao_day(expected));
    }

    #[test]
    fn working_days_between_across_a_weekend() {
        // Thursday 2025-06-05 to Tuesday 2025-06-10: Fri, Mon, Tue.
        let from = utc(2025, 6, 5, 2, 0);
        let to = utc(2025, 6, 10, 2, 0);
        assert_eq!(working_days_between(from, to, &[]), 3);
        // Friday to Monday is one working day.
        assert_eq!(working_days_between(utc(2025, 6, 6, 2, 0), utc(2025, 6, 9, 2, 0), &[]), 1);
        // Friday to Sunday is none.
        assert_eq!(working_days_between(utc(2025, 6, 6, 2, 0), utc(2025, 6, 8, 2, 0), &[]), 0);
    }

    #[test]
    fn working_days_between_skips_holidays() {
        let from = utc(2025, 9, 29, 2, 0); // Monday
        let to = utc(2025, 10, 6, 2, 0); // next Monday
        assert_eq!(working_days_between(from, to, &[]), 5);
        let holidays = [date(2025, 10, 1), date(2025, 10, 2), date(2025, 10, 5)];
        assert_eq!(working_days_between(from, to, &holidays), 3);
        // A holiday on the `from` date itself is outside the range.
        assert_eq!(working_days_between(from, to, &[date(2025, 9, 29)]), 5);
        // A holiday on the `to` date is inside it.
        assert_eq!(working_days_between(from, to, &[date(2025, 10, 6)]), 4);
    }

    #[test]
    fn working_days_between_is_zero_when_not_forward() {
        let t = utc(2025, 6, 5, 2, 0);
        assert_eq!(working_days_between(t, t, &[]), 0);
        assert_eq!(working_days_between(t, utc(2025, 6, 3, 2, 0), &[]), 0);
        // Later instant, same Macao day.
        assert_eq!(working_days_between(t, utc(2025, 6, 5, 15, 0), &[]), 0);
    }

    #[test]
    fn working_days_between_uses_macao_dates() {
        // Thu 15:00 UTC (23:00 Macao Thu) to Thu 16:30 UTC (00:30 Macao Fri): one day.
        let from = utc(2025, 6, 5, 15, 0);
        let to = utc(2025, 6, 5, 16, 30);
        assert_eq!(working_days_between(from, to, &[]), 1);
    }

    #[test]
    fn working_days_between_matches_day_by_day_counting() {
        let holidays =
            [date(2025, 1, 1), date(2025, 1, 29), date(2025, 1, 30), date(2025, 2, 1), date(2025, 4, 18)];
        let base = date(2024, 12, 25);
        for i in 0..40 {
            for len in 0..130 {
                let a = base.checked_add_days(Days::new(i)).unwrap();
                let b = a.checked_add_days(Days::new(len)).unwrap();
                let from = end_of_macao_day(a) - TimeDelta::hours(1);
                let to = end_of_macao_day(b) - TimeDelta::hours(2);
                let expected = if len == 0 { 0 } else { naive_between(a, b, &holidays) };
                assert_eq!(working_days_between(from, to, &holidays), expected, "{a}..{b}");
            }
        }
    }

    #[test]
    fn pausing_extends_a_due_date_by_the_waiting_days() {
        // Submitted Monday 2025-06-02 with 10 working days; waited for the resident from
        // Wednesday 2025-06-04 to Monday 2025-06-09 (Thu, Fri, Mon = 3 working days).
        let submitted = utc(2025, 6, 2, 2, 0);
        let original = due_date(submitted, 10, &[]);
        assert_eq!(original, macao_eod(2025, 6, 16));
        let paused = working_days_between(utc(2025, 6, 4, 2, 0), utc(2025, 6, 9, 2, 0), &[]);
        assert_eq!(paused, 3);
        assert_eq!(due_date(submitted, 10 + paused, &[]), macao_eod(2025, 6, 19));
    }

    #[test]
    fn weekday_arithmetic_agrees_with_chrono() {
        let mut d = date(2024, 1, 1);
        let mut running = 0i64;
        let origin = weekdays_through(d);
        while d < date(2026, 1, 1) {
            d = d.succ_opt().unwrap();
            if is_weekday(d) {
                running += 1;
            }
            assert_eq!(weekdays_through(d) - origin, running, "{d}");
        }
        for start in 0..14u64 {
            let s = date(2025, 6, 1).checked_add_days(Days::new(start)).unwrap();
            for n in 1..30u32 {
                assert_eq!(nth_weekday_after(s, u64::from(n)), Some(naive_due(s, n, &[])), "{s} + {n}");
            }
        }
    }
}
