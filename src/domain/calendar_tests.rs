//! Unit tests of `domain::calendar`, compiled only under `#[cfg(test)]` by the module they test.

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
