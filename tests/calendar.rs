//! Tests for the business-day calendar: worked examples plus property tests
//! against a naive day-by-day reference implementation.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};
use cpor::calendar::{BusinessCalendar, CalendarError};
use proptest::prelude::*;

const ALL_WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

fn cal(weekend: &[Weekday], holidays: &[NaiveDate]) -> BusinessCalendar {
    BusinessCalendar::new(weekend.iter().copied(), holidays.iter().copied())
        .expect("calendar with business days")
}

const SAT_SUN: [Weekday; 2] = [Weekday::Sat, Weekday::Sun];

// ---------------------------------------------------------------------------
// Examples
// ---------------------------------------------------------------------------

#[test]
fn default_and_weekends_only_are_sat_sun_without_holidays() {
    let default = BusinessCalendar::default();
    assert_eq!(default, BusinessCalendar::weekends_only());
    assert_eq!(default.weekend().collect::<Vec<_>>(), SAT_SUN);
    assert_eq!(default.holidays().count(), 0);
    assert_eq!(default, cal(&SAT_SUN, &[]));
}

#[test]
fn accessors_are_sorted_and_deduplicated() {
    let c = cal(
        &[Weekday::Sun, Weekday::Sat, Weekday::Sun, Weekday::Wed],
        &[date(2027, 1, 1), date(2026, 12, 25), date(2027, 1, 1)],
    );
    assert_eq!(
        c.weekend().collect::<Vec<_>>(),
        [Weekday::Wed, Weekday::Sat, Weekday::Sun]
    );
    assert_eq!(
        c.holidays().collect::<Vec<_>>(),
        [date(2026, 12, 25), date(2027, 1, 1)]
    );
}

#[test]
fn is_business_day_examples() {
    let c = cal(&SAT_SUN, &[date(2026, 12, 25)]);
    assert!(c.is_business_day(date(2026, 12, 24))); // Thursday
    assert!(!c.is_business_day(date(2026, 12, 25))); // Friday, holiday
    assert!(!c.is_business_day(date(2026, 12, 26))); // Saturday
    assert!(!c.is_business_day(date(2026, 12, 27))); // Sunday
    assert!(c.is_business_day(date(2026, 12, 28))); // Monday
}

#[test]
fn friday_plus_one_is_monday() {
    let c = BusinessCalendar::weekends_only();
    let friday = date(2026, 3, 6);
    assert_eq!(friday.weekday(), Weekday::Fri);
    assert_eq!(c.add_business_days(friday, 1), Some(date(2026, 3, 9)));
    assert_eq!(c.add_business_days(friday, 5), Some(date(2026, 3, 13)));
    assert_eq!(c.add_business_days(friday, 14), Some(date(2026, 3, 26)));
}

#[test]
fn adding_from_a_weekend_day_counts_from_the_next_business_day() {
    let c = BusinessCalendar::weekends_only();
    let saturday = date(2026, 3, 7);
    assert_eq!(c.add_business_days(saturday, 1), Some(date(2026, 3, 9)));
    assert_eq!(c.add_business_days(saturday, 2), Some(date(2026, 3, 10)));
}

#[test]
fn across_holidays() {
    // Christmas on Friday 2026-12-25, New Year on Friday 2027-01-01.
    let c = cal(&SAT_SUN, &[date(2026, 12, 25), date(2027, 1, 1)]);
    let thursday = date(2026, 12, 24);
    assert_eq!(c.add_business_days(thursday, 1), Some(date(2026, 12, 28)));
    // Mon 28, Tue 29, Wed 30, Thu 31, (Fri 1 holiday), Mon 4.
    assert_eq!(c.add_business_days(thursday, 5), Some(date(2027, 1, 4)));
    assert_eq!(c.business_days_between(thursday, date(2027, 1, 4)), 5);
    // Starting on the holiday itself, n = 0 rolls forward past the weekend.
    assert_eq!(
        c.add_business_days(date(2026, 12, 25), 0),
        Some(date(2026, 12, 28))
    );
}

#[test]
fn holiday_on_a_weekend_day_is_not_counted_twice() {
    // 2026-12-26 is a Saturday.
    let with = cal(&SAT_SUN, &[date(2026, 12, 26)]);
    let without = BusinessCalendar::weekends_only();
    let start = date(2026, 12, 20);
    let end = date(2027, 1, 20);
    assert_eq!(
        with.business_days_between(start, end),
        without.business_days_between(start, end)
    );
    assert_eq!(
        with.add_business_days(start, 10),
        without.add_business_days(start, 10)
    );
    assert_eq!(without.add_business_days(start, 10), Some(date(2027, 1, 1)));
}

#[test]
fn zero_on_a_saturday_rolls_forward_to_monday() {
    let c = BusinessCalendar::weekends_only();
    assert_eq!(
        c.add_business_days(date(2026, 3, 7), 0),
        Some(date(2026, 3, 9))
    );
    assert_eq!(
        c.add_business_days(date(2026, 3, 8), 0),
        Some(date(2026, 3, 9))
    );
    // A business day stays put.
    assert_eq!(
        c.add_business_days(date(2026, 3, 9), 0),
        Some(date(2026, 3, 9))
    );
}

#[test]
fn empty_weekend_and_six_day_weekend() {
    let every_day = cal(&[], &[]);
    let d = date(2026, 3, 7);
    assert_eq!(every_day.add_business_days(d, 10), Some(date(2026, 3, 17)));
    assert_eq!(every_day.business_days_between(d, date(2026, 3, 17)), 10);

    // Only Wednesdays are business days.
    let weds = cal(
        &[
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ],
        &[date(2026, 3, 18)],
    );
    // Wednesdays after Sat 2026-03-07: 11, (18 holiday), 25, Apr 1.
    assert_eq!(weds.add_business_days(d, 1), Some(date(2026, 3, 11)));
    assert_eq!(weds.add_business_days(d, 3), Some(date(2026, 4, 1)));
    assert_eq!(weds.business_days_between(d, date(2026, 4, 1)), 3);
}

#[test]
fn seven_day_weekend_is_refused_with_its_code() {
    let err = BusinessCalendar::new(ALL_WEEKDAYS, []).expect_err("no business days");
    assert_eq!(err, CalendarError::NoBusinessDays);
    assert_eq!(err.code(), "calendar.no_business_days");
    assert_eq!(
        err.to_string(),
        "calendar weekend covers all seven days; there are no business days"
    );
    // Duplicates do not count as extra days: six distinct days are accepted.
    let six = [
        Weekday::Mon,
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
    ];
    assert!(BusinessCalendar::new(six, []).is_ok());
}

#[test]
fn add_business_days_at_keeps_the_utc_time_of_day() {
    let c = BusinessCalendar::weekends_only();
    let at: DateTime<Utc> = "2026-03-06T23:30:15.25Z".parse().expect("timestamp");
    let expected: DateTime<Utc> = "2026-03-13T23:30:15.25Z".parse().expect("timestamp");
    assert_eq!(c.add_business_days_at(at, 5), Some(expected));
    let saturday: DateTime<Utc> = "2026-03-07T08:00:00Z".parse().expect("timestamp");
    let monday: DateTime<Utc> = "2026-03-09T08:00:00Z".parse().expect("timestamp");
    assert_eq!(c.add_business_days_at(saturday, 0), Some(monday));
}

#[test]
fn business_days_between_examples() {
    let c = BusinessCalendar::weekends_only();
    let friday = date(2026, 3, 6);
    assert_eq!(c.business_days_between(friday, friday), 0);
    assert_eq!(c.business_days_between(friday, date(2026, 3, 8)), 0); // Sat, Sun
    assert_eq!(c.business_days_between(friday, date(2026, 3, 9)), 1);
    assert_eq!(c.business_days_between(date(2026, 3, 9), friday), -1);
    // (Thu, Fri]: the end is included, the start is not.
    assert_eq!(c.business_days_between(date(2026, 3, 5), friday), 1);
}

#[test]
fn long_spans_are_exact_and_fast() {
    let c = BusinessCalendar::weekends_only();
    // 400 Gregorian years are exactly 146_097 days = 20_871 weeks.
    let start = date(2000, 1, 1);
    let end = date(2400, 1, 1);
    assert_eq!(c.business_days_between(start, end), 20_871 * 5);
    assert_eq!(c.business_days_between(end, start), -(20_871 * 5));
    // Saturday 2000-01-01 + 104_355 business days lands on the last business
    // day before Saturday 2400-01-01, i.e. Friday 2399-12-31.
    assert_eq!(
        c.add_business_days(start, 20_871 * 5),
        Some(date(2399, 12, 31))
    );

    // One holiday per year over the whole span, on 1 July.
    let holidays: Vec<_> = (2000..2400).map(|y| date(y, 7, 1)).collect();
    let on_business_weekdays = holidays
        .iter()
        .filter(|h| !matches!(h.weekday(), Weekday::Sat | Weekday::Sun))
        .count();
    let c = cal(&SAT_SUN, &holidays);
    let expected = 20_871 * 5 - i64::try_from(on_business_weekdays).expect("small");
    assert_eq!(c.business_days_between(start, end), expected);
    let n = u32::try_from(expected).expect("small");
    assert_eq!(c.add_business_days(start, n), Some(date(2399, 12, 31)));
}

#[test]
fn results_beyond_chronos_range_are_none() {
    let c = BusinessCalendar::weekends_only();
    // About 4 billion business days is far beyond year 262_143: answered
    // immediately rather than by walking.
    assert_eq!(c.add_business_days(date(2026, 1, 1), u32::MAX), None);
    assert_eq!(
        cal(&[], &[]).add_business_days(date(2026, 1, 1), u32::MAX),
        None
    );
    assert_eq!(
        cal(
            &[
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
                Weekday::Sat
            ],
            &[]
        )
        .add_business_days(date(2026, 1, 1), u32::MAX),
        None
    );

    let every_day = cal(&[], &[]);
    assert_eq!(
        every_day.add_business_days(NaiveDate::MAX, 0),
        Some(NaiveDate::MAX)
    );
    assert_eq!(every_day.add_business_days(NaiveDate::MAX, 1), None);
    let before_max = NaiveDate::MAX.pred_opt().expect("not min");
    assert_eq!(
        every_day.add_business_days(before_max, 1),
        Some(NaiveDate::MAX)
    );
    assert_eq!(every_day.add_business_days(before_max, 2), None);
    assert_eq!(
        every_day.business_days_between(NaiveDate::MIN, NaiveDate::MAX),
        NaiveDate::MAX
            .signed_duration_since(NaiveDate::MIN)
            .num_days()
    );
    // The last date is a holiday: nothing after it.
    let c = cal(&[], &[NaiveDate::MAX]);
    assert_eq!(c.add_business_days(NaiveDate::MAX, 0), None);
    assert_eq!(c.add_business_days(before_max, 0), Some(before_max));
    assert_eq!(c.add_business_days(before_max, 1), None);
}

#[test]
fn a_long_run_of_holidays_is_skipped() {
    // Every day from 2026-01-01 through 2035-12-31 is a holiday.
    let mut holidays = Vec::new();
    let mut d = date(2026, 1, 1);
    while d <= date(2035, 12, 31) {
        holidays.push(d);
        d = d.succ_opt().expect("in range");
    }
    let c = cal(&SAT_SUN, &holidays);
    // 2036-01-01 is a Tuesday.
    assert_eq!(
        c.add_business_days(date(2025, 12, 31), 1),
        Some(date(2036, 1, 1))
    );
    assert_eq!(
        c.add_business_days(date(2025, 12, 31), 4),
        Some(date(2036, 1, 4))
    );
    assert_eq!(
        c.add_business_days(date(2025, 12, 31), 5),
        Some(date(2036, 1, 7))
    );
    // Monday 2025-12-01: 22 business days remain in December 2025, then
    // 1, 2, 3, 4, 7, 8, 9, 10 January 2036.
    assert_eq!(
        c.add_business_days(date(2025, 12, 1), 30),
        Some(date(2036, 1, 10))
    );
    assert_eq!(
        c.business_days_between(date(2025, 12, 31), date(2036, 1, 7)),
        5
    );
}

#[test]
fn json_round_trip_and_shape() {
    let c = cal(&SAT_SUN, &[date(2027, 1, 1), date(2026, 12, 25)]);
    let json = serde_json::to_value(&c).expect("serialize");
    assert_eq!(
        json,
        serde_json::json!({
            "weekend": ["Sat", "Sun"],
            "holidays": ["2026-12-25", "2027-01-01"],
        })
    );
    let back: BusinessCalendar = serde_json::from_value(json).expect("deserialize");
    assert_eq!(back, c);

    let text = serde_json::to_string(&c).expect("serialize");
    let back: BusinessCalendar = serde_json::from_str(&text).expect("deserialize");
    assert_eq!(back, c);

    // Long weekday names are read too.
    let long: BusinessCalendar =
        serde_json::from_str(r#"{"weekend": ["Saturday", "Sunday"], "holidays": []}"#)
            .expect("deserialize");
    assert_eq!(long, BusinessCalendar::weekends_only());
}

#[test]
fn json_with_seven_weekend_days_is_refused() {
    let text = r#"{"weekend": ["Mon","Tue","Wed","Thu","Fri","Sat","Sun"], "holidays": []}"#;
    let err = serde_json::from_str::<BusinessCalendar>(text).expect_err("must be refused");
    assert!(
        err.to_string().contains("no business days"),
        "unexpected error: {err}"
    );
    // Six days are fine.
    let text = r#"{"weekend": ["Mon","Tue","Wed","Thu","Fri","Sat"], "holidays": []}"#;
    assert!(serde_json::from_str::<BusinessCalendar>(text).is_ok());
}

#[test]
fn json_with_unknown_or_missing_fields_is_refused() {
    let unknown = r#"{"weekend": ["Sat"], "holidays": [], "zone": "UTC"}"#;
    assert!(serde_json::from_str::<BusinessCalendar>(unknown).is_err());
    let missing = r#"{"weekend": ["Sat"]}"#;
    assert!(serde_json::from_str::<BusinessCalendar>(missing).is_err());
    let bad_day = r#"{"weekend": ["Caturday"], "holidays": []}"#;
    assert!(serde_json::from_str::<BusinessCalendar>(bad_day).is_err());
    let bad_date = r#"{"weekend": [], "holidays": ["2026-02-30"]}"#;
    assert!(serde_json::from_str::<BusinessCalendar>(bad_date).is_err());
}

// ---------------------------------------------------------------------------
// Naive reference implementation, independent of the crate's code
// ---------------------------------------------------------------------------

/// A calendar described by the test's own data.
#[derive(Debug, Clone)]
struct Model {
    weekend: Vec<Weekday>,
    holidays: BTreeSet<NaiveDate>,
}

impl Model {
    fn is_business_day(&self, d: NaiveDate) -> bool {
        !self.weekend.contains(&d.weekday()) && !self.holidays.contains(&d)
    }

    fn calendar(&self) -> BusinessCalendar {
        BusinessCalendar::new(self.weekend.clone(), self.holidays.iter().copied())
            .expect("at most six weekend days")
    }

    /// Day-by-day reference for `add_business_days`.
    fn add(&self, d: NaiveDate, n: u32) -> Option<NaiveDate> {
        let mut current = d;
        if n == 0 {
            while !self.is_business_day(current) {
                current = current.succ_opt()?;
            }
            return Some(current);
        }
        let mut left = n;
        while left > 0 {
            current = current.succ_opt()?;
            if self.is_business_day(current) {
                left -= 1;
            }
        }
        Some(current)
    }

    /// Day-by-day reference for `business_days_between`.
    fn between(&self, start: NaiveDate, end: NaiveDate) -> i64 {
        let (lo, hi, sign) = if start <= end {
            (start, end, 1)
        } else {
            (end, start, -1)
        };
        let mut count = 0;
        let mut d = lo;
        while d < hi {
            d = d.succ_opt().expect("in range");
            if self.is_business_day(d) {
                count += 1;
            }
        }
        sign * count
    }
}

fn weekday_from_index(i: u8) -> Weekday {
    ALL_WEEKDAYS[usize::from(i)]
}

/// A date between 1990-01-01 and 2099-12-31.
fn arb_date() -> impl Strategy<Value = NaiveDate> {
    let first = date(1990, 1, 1);
    let span = u64::try_from(date(2099, 12, 31).signed_duration_since(first).num_days())
        .expect("positive");
    (0..=span).prop_map(move |offset| first + Days::new(offset))
}

/// 0..=6 distinct weekend days.
fn arb_weekend() -> impl Strategy<Value = Vec<Weekday>> {
    proptest::collection::btree_set(0_u8..7, 0..=6)
        .prop_map(|set| set.into_iter().map(weekday_from_index).collect())
}

/// A start date plus up to 40 holidays clustered near it (mostly in the
/// following months, some just before it, a few up to ~8 years later).
fn arb_date_and_model() -> impl Strategy<Value = (NaiveDate, Model)> {
    let offsets = proptest::collection::vec(
        prop_oneof![
            6 => -20_i64..120,
            3 => -20_i64..1_000,
            1 => 0_i64..3_000,
        ],
        0..40,
    );
    (arb_date(), arb_weekend(), offsets).prop_map(|(start, weekend, offsets)| {
        let holidays = offsets
            .into_iter()
            .map(|o| start + chrono::TimeDelta::days(o))
            .collect();
        (start, Model { weekend, holidays })
    })
}

/// Small n most of the time, sometimes large ones.
fn arb_n() -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => 0_u32..2_000,
        1 => 0_u32..100_000,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1000,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct("proptest-regressions/calendar.txt"),
        )),
        ..ProptestConfig::default()
    })]

    /// The result is never a weekend day or a holiday, and `is_business_day`
    /// agrees with the model.
    #[test]
    fn result_is_a_business_day((d, model) in arb_date_and_model(), n in arb_n()) {
        let c = model.calendar();
        let r = c.add_business_days(d, n).expect("in range");
        prop_assert!(!model.weekend.contains(&r.weekday()), "{r} is a weekend day");
        prop_assert!(!model.holidays.contains(&r), "{r} is a holiday");
        prop_assert!(c.is_business_day(r));
        if n == 0 {
            prop_assert!(r >= d);
        } else {
            prop_assert!(r > d);
        }
        for offset in 0..30 {
            let day = d + Days::new(offset);
            prop_assert_eq!(c.is_business_day(day), model.is_business_day(day));
        }
    }

    /// n <= m implies add(d, n) <= add(d, m).
    #[test]
    fn monotone_in_n((d, model) in arb_date_and_model(), n in arb_n(), m in arb_n()) {
        let c = model.calendar();
        let (n, m) = (n.min(m), n.max(m));
        let rn = c.add_business_days(d, n).expect("in range");
        let rm = c.add_business_days(d, m).expect("in range");
        prop_assert!(rn <= rm, "add({d}, {n}) = {rn} > add({d}, {m}) = {rm}");
        if n < m {
            prop_assert!(rn < rm);
        }
    }

    /// d1 <= d2 implies add(d1, n) <= add(d2, n).
    #[test]
    fn monotone_in_date((d1, model) in arb_date_and_model(), gap in 0_u64..60, n in arb_n()) {
        let c = model.calendar();
        let d2 = d1 + Days::new(gap);
        let r1 = c.add_business_days(d1, n).expect("in range");
        let r2 = c.add_business_days(d2, n).expect("in range");
        prop_assert!(r1 <= r2, "add({d1}, {n}) = {r1} > add({d2}, {n}) = {r2}");
    }

    /// Adding 1 and then n - 1 equals adding n.
    #[test]
    fn one_then_rest_equals_n((d, model) in arb_date_and_model(), n in 1_u32..100_000) {
        let c = model.calendar();
        let one = c.add_business_days(d, 1).expect("in range");
        prop_assert_eq!(
            c.add_business_days(one, n - 1),
            c.add_business_days(d, n)
        );
    }

    /// Counting inverts adding, in both directions.
    #[test]
    fn between_inverts_add((d, model) in arb_date_and_model(), n in arb_n()) {
        prop_assume!(n >= 1);
        let c = model.calendar();
        let r = c.add_business_days(d, n).expect("in range");
        prop_assert_eq!(c.business_days_between(d, r), i64::from(n));
        prop_assert_eq!(c.business_days_between(r, d), -i64::from(n));
        // The day before the result is one business day short.
        let before = r.pred_opt().expect("in range");
        prop_assert_eq!(c.business_days_between(d, before), i64::from(n) - 1);
    }

    /// The fast add equals the day-by-day reference.
    #[test]
    fn add_matches_naive((d, model) in arb_date_and_model(), n in 0_u32..2_000) {
        let c = model.calendar();
        prop_assert_eq!(c.add_business_days(d, n), model.add(d, n));
    }

    /// The fast count equals the day-by-day reference, for any order of the
    /// two dates.
    #[test]
    fn between_matches_naive(
        (d, model) in arb_date_and_model(),
        offset_a in -400_i64..3_000,
        offset_b in -400_i64..3_000,
    ) {
        let c = model.calendar();
        let a = d + chrono::TimeDelta::days(offset_a);
        let b = d + chrono::TimeDelta::days(offset_b);
        prop_assert_eq!(c.business_days_between(a, b), model.between(a, b));
    }

    /// The timestamp form agrees with the date form and keeps the time.
    #[test]
    fn add_at_matches_add(
        (d, model) in arb_date_and_model(),
        secs in 0_u32..86_400,
        n in arb_n(),
    ) {
        let c = model.calendar();
        let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(secs, 0)
            .expect("valid time");
        let at = d.and_time(time).and_utc();
        let r = c.add_business_days_at(at, n).expect("in range");
        prop_assert_eq!(Some(r.date_naive()), c.add_business_days(d, n));
        prop_assert_eq!(r.time(), time);
    }

    /// JSON round trip preserves the calendar.
    #[test]
    fn json_round_trip((_d, model) in arb_date_and_model()) {
        let c = model.calendar();
        let text = serde_json::to_string(&c).expect("serialize");
        let back: BusinessCalendar = serde_json::from_str(&text).expect("deserialize");
        prop_assert_eq!(back, c);
    }
}
