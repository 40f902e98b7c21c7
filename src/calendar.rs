//! Business-day calendar for deadlines such as "5 business days after the
//! customer was notified" or "14 business days without an answer".
//!
//! # Choices
//!
//! - **Weekends and holidays.** A [`BusinessCalendar`] is a set of weekend
//!   days (by default Saturday and Sunday) plus a set of holiday dates. A
//!   date is a business day when its weekday is not a weekend day and the
//!   date is not a holiday. A holiday that falls on a weekend day is simply
//!   a non-business day; it is not moved to another day and it is not counted
//!   twice. A calendar whose weekend covers all seven days is refused
//!   ([`CalendarError::NoBusinessDays`]), by the constructor and by
//!   deserialization alike.
//! - **UTC calendar dates.** The source documents do not say in which time
//!   zone a business day is reckoned. This module works on plain calendar
//!   dates ([`NaiveDate`]); the timestamp helper
//!   [`BusinessCalendar::add_business_days_at`] takes the **UTC** date of its
//!   instant. This is an interpretation, not something the program rules
//!   state.
//! - **`n = 0` rolls forward.** [`BusinessCalendar::add_business_days`] with
//!   `n = 0` returns the date itself if it is a business day, and otherwise
//!   the first business day after it. For `n >= 1` it returns the `n`-th
//!   business day strictly after the date, whatever the date itself is.
//! - **Half-open counting.** [`BusinessCalendar::business_days_between`]
//!   counts the business days `d` with `start < d <= end` (negated when
//!   `end < start`), so that counting and adding agree:
//!   `business_days_between(d, add_business_days(d, n)) == n` for `n >= 1`.
//!
//! Both [`BusinessCalendar::add_business_days`] and
//! [`BusinessCalendar::business_days_between`] use week arithmetic and count
//! holidays from the sorted holiday set, so they are cheap for long spans.
//!
//! # JSON form
//!
//! ```json
//! {"weekend": ["Sat", "Sun"], "holidays": ["2026-12-25", "2027-01-01"]}
//! ```
//!
//! Weekdays are written in chrono's short English form (long forms such as
//! `"Saturday"` are also read) and are written back Monday first; holidays
//! are ISO 8601 dates written back in ascending order. Duplicates are
//! accepted and merged; unknown fields are refused.

use std::collections::BTreeSet;
use std::fmt;
use std::num::NonZeroU64;
use std::ops::Bound;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::ErrorKind;

/// The seven weekdays, Monday first.
const ALL_WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// Errors from building a [`BusinessCalendar`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// The weekend covers all seven weekdays, so no day could ever be a
    /// business day.
    #[error("calendar weekend covers all seven days; there are no business days")]
    NoBusinessDays,
}

impl CalendarError {
    /// A stable, machine-readable code for this error, such as
    /// `"calendar.no_business_days"`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoBusinessDays => "calendar.no_business_days",
        }
    }

    /// What kind of failure this is: always [`ErrorKind::Invalid`], a calendar needs a business day.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }

    /// Whether trying again may succeed: never, the same input is refused again.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        crate::error::transient(self.kind())
    }
}

/// A set of weekdays stored as a bit mask (bit 0 = Monday).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
struct WeekdayMask(u8);

impl WeekdayMask {
    /// The bit of one weekday.
    fn bit(day: Weekday) -> u8 {
        match day {
            Weekday::Mon => 0b000_0001,
            Weekday::Tue => 0b000_0010,
            Weekday::Wed => 0b000_0100,
            Weekday::Thu => 0b000_1000,
            Weekday::Fri => 0b001_0000,
            Weekday::Sat => 0b010_0000,
            Weekday::Sun => 0b100_0000,
        }
    }

    fn insert(&mut self, day: Weekday) {
        self.0 |= Self::bit(day);
    }

    fn contains(self, day: Weekday) -> bool {
        self.0 & Self::bit(day) != 0
    }

    /// Number of weekdays in the set (0..=7).
    fn len(self) -> u8 {
        // A `u8` has at most 8 set bits, so this always fits.
        u8::try_from(self.0.count_ones()).unwrap_or(u8::MAX)
    }

    /// The weekdays in the set, Monday first.
    fn iter(self) -> impl Iterator<Item = Weekday> {
        ALL_WEEKDAYS
            .into_iter()
            .filter(move |day| self.contains(*day))
    }
}

impl fmt::Debug for WeekdayMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// A business-day calendar: weekend days plus holiday dates.
///
/// See the [module documentation](self) for the conventions (UTC dates,
/// `n = 0` rolls forward, half-open `(start, end]` counting).
///
/// Deserialization runs the same validation as [`BusinessCalendar::new`].
///
/// ```
/// use chrono::{NaiveDate, Weekday};
/// use cpor::calendar::BusinessCalendar;
///
/// let christmas = NaiveDate::from_ymd_opt(2026, 12, 25).expect("valid date");
/// let cal = BusinessCalendar::new([Weekday::Sat, Weekday::Sun], [christmas])
///     .expect("has business days");
/// assert!(!cal.is_business_day(christmas));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawCalendar")]
pub struct BusinessCalendar {
    /// Weekdays that are never business days.
    weekend: WeekdayMask,
    /// Dates that are not business days, sorted.
    holidays: BTreeSet<NaiveDate>,
}

impl Default for BusinessCalendar {
    /// Saturday and Sunday off, no holidays.
    fn default() -> Self {
        Self::weekends_only()
    }
}

impl BusinessCalendar {
    /// Builds a calendar from its weekend days and holiday dates.
    ///
    /// Duplicates in either list are merged. The weekend may be empty (every
    /// non-holiday is a business day).
    ///
    /// # Errors
    ///
    /// [`CalendarError::NoBusinessDays`] if `weekend` covers all seven
    /// weekdays.
    pub fn new(
        weekend: impl IntoIterator<Item = Weekday>,
        holidays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Self, CalendarError> {
        let mut mask = WeekdayMask::default();
        for day in weekend {
            mask.insert(day);
        }
        if mask.len() >= 7 {
            return Err(CalendarError::NoBusinessDays);
        }
        Ok(Self {
            weekend: mask,
            holidays: holidays.into_iter().collect(),
        })
    }

    /// Saturday and Sunday off, no holidays (the same as
    /// [`BusinessCalendar::default`]).
    #[must_use]
    pub fn weekends_only() -> Self {
        let mut weekend = WeekdayMask::default();
        weekend.insert(Weekday::Sat);
        weekend.insert(Weekday::Sun);
        Self {
            weekend,
            holidays: BTreeSet::new(),
        }
    }

    /// The weekend days, Monday first.
    pub fn weekend(&self) -> impl Iterator<Item = Weekday> + use<> {
        self.weekend.iter()
    }

    /// The holiday dates, in ascending order.
    pub fn holidays(&self) -> impl DoubleEndedIterator<Item = NaiveDate> + ExactSizeIterator {
        self.holidays.iter().copied()
    }

    /// Whether `date` is a business day: its weekday is not a weekend day and
    /// it is not a holiday.
    #[must_use]
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !self.weekend.contains(date.weekday()) && !self.holidays.contains(&date)
    }

    /// Adds `n` business days to `date`.
    ///
    /// - For `n >= 1`: the `n`-th business day strictly after `date` (whether
    ///   or not `date` itself is a business day).
    /// - For `n = 0`: `date` itself if it is a business day, otherwise the
    ///   first business day after it (the date "rolls forward").
    ///
    /// The result is therefore always a business day. Returns `None` only if
    /// the result would lie beyond chrono's last representable date.
    ///
    /// The cost does not grow with `n`: whole weeks are skipped at once and
    /// the holidays inside each skipped range are then made up for.
    ///
    /// ```
    /// use chrono::{NaiveDate, Weekday};
    /// use cpor::calendar::BusinessCalendar;
    ///
    /// let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("valid date");
    /// let cal = BusinessCalendar::weekends_only();
    ///
    /// // Friday + 1 business day = Monday.
    /// assert_eq!(cal.add_business_days(date(2026, 3, 6), 1), Some(date(2026, 3, 9)));
    /// // Saturday + 0 business days rolls forward to Monday.
    /// assert_eq!(cal.add_business_days(date(2026, 3, 7), 0), Some(date(2026, 3, 9)));
    /// // A holiday on Monday pushes the deadline to Tuesday.
    /// let cal = BusinessCalendar::new([Weekday::Sat, Weekday::Sun], [date(2026, 3, 9)])
    ///     .expect("has business days");
    /// assert_eq!(cal.add_business_days(date(2026, 3, 6), 1), Some(date(2026, 3, 10)));
    /// ```
    #[must_use]
    pub fn add_business_days(&self, date: NaiveDate, n: u32) -> Option<NaiveDate> {
        if n == 0 {
            return if self.is_business_day(date) {
                Some(date)
            } else {
                self.add_business_days(date, 1)
            };
        }

        let per_week = self.business_weekdays_per_week();
        let mut remaining = u64::from(n);
        let mut current = date;

        // Invariant: the answer is the `remaining`-th business day strictly
        // after `current`, and `remaining >= 1`.
        //
        // Jump whole weeks, but never so far that all `remaining` days could
        // be used up: with `weeks * per_week <= remaining - 1`, the jumped
        // range holds fewer than `remaining` business days, so the answer lies
        // strictly after the jump target (and is out of range if the target
        // is). Holidays in the jumped range only lower the count, so repeat
        // until fewer than one whole week's worth of days remains.
        while remaining > per_week.get() {
            let weeks = remaining.saturating_sub(1) / per_week;
            let target = current.checked_add_days(Days::new(weeks.checked_mul(7)?))?;
            let counted = self.count_business_days(current, target);
            remaining = remaining.saturating_sub(counted);
            current = target;
        }

        // At most one week's worth of business days left: step day by day.
        while remaining > 0 {
            current = current.succ_opt()?;
            if self.is_business_day(current) {
                remaining = remaining.saturating_sub(1);
            }
        }
        Some(current)
    }

    /// Adds `n` business days to the UTC calendar date of `at`, keeping the
    /// time of day.
    ///
    /// The calendar works on **UTC** calendar dates: an instant at
    /// `2026-03-06T23:30:00Z` is on Friday 6 March whatever the local time
    /// of the parties is. The rules documents do not name a time zone; UTC is
    /// this crate's interpretation. The semantics of `n` (including `n = 0`
    /// rolling forward) are those of [`BusinessCalendar::add_business_days`].
    ///
    /// Returns `None` only if the resulting date would lie beyond chrono's
    /// last representable date.
    #[must_use]
    pub fn add_business_days_at(&self, at: DateTime<Utc>, n: u32) -> Option<DateTime<Utc>> {
        let date = self.add_business_days(at.date_naive(), n)?;
        Some(date.and_time(at.time()).and_utc())
    }

    /// Counts the business days `d` with `start < d <= end`.
    ///
    /// If `end < start` the result is the negation of the count for
    /// `(end, start]`; if `end == start` it is 0. Hence, for every `n >= 1`
    /// for which the sum exists,
    /// `business_days_between(d, add_business_days(d, n)) == n`.
    ///
    /// The cost depends on the number of holidays in the range, not on the
    /// length of the range.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use cpor::calendar::BusinessCalendar;
    ///
    /// let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("valid date");
    /// let cal = BusinessCalendar::weekends_only();
    /// // Friday to the next Friday: Mon, Tue, Wed, Thu, Fri.
    /// assert_eq!(cal.business_days_between(date(2026, 3, 6), date(2026, 3, 13)), 5);
    /// assert_eq!(cal.business_days_between(date(2026, 3, 13), date(2026, 3, 6)), -5);
    /// ```
    #[must_use]
    pub fn business_days_between(&self, start: NaiveDate, end: NaiveDate) -> i64 {
        if start <= end {
            i64::try_from(self.count_business_days(start, end)).unwrap_or(i64::MAX)
        } else {
            i64::try_from(self.count_business_days(end, start))
                .unwrap_or(i64::MAX)
                .saturating_neg()
        }
    }

    /// Number of weekdays that are not weekend days (1..=7 by the
    /// constructor's invariant).
    fn business_weekdays_per_week(&self) -> NonZeroU64 {
        NonZeroU64::new(u64::from(7_u8.saturating_sub(self.weekend.len())))
            .unwrap_or(NonZeroU64::MIN)
    }

    /// Business days `d` with `start < d <= end`; 0 unless `start < end`.
    fn count_business_days(&self, start: NaiveDate, end: NaiveDate) -> u64 {
        if start >= end {
            return 0;
        }
        let days = u64::try_from(end.signed_duration_since(start).num_days()).unwrap_or(0);
        let weeks = days / 7;
        let tail = days % 7;

        // Each whole week holds every weekday exactly once.
        let mut count = weeks.saturating_mul(self.business_weekdays_per_week().get());
        // The last `tail` days follow a day with the same weekday as `start`.
        let mut weekday = start.weekday();
        for _ in 0..tail {
            weekday = weekday.succ();
            if !self.weekend.contains(weekday) {
                count = count.saturating_add(1);
            }
        }

        // Holidays on weekend days were never counted above.
        let holidays = self
            .holidays
            .range((Bound::Excluded(start), Bound::Included(end)))
            .filter(|holiday| !self.weekend.contains(holiday.weekday()))
            .count();
        count.saturating_sub(u64::try_from(holidays).unwrap_or(u64::MAX))
    }
}

/// Serialized form of a [`BusinessCalendar`], read before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    weekend: Vec<Weekday>,
    holidays: Vec<NaiveDate>,
}

impl TryFrom<RawCalendar> for BusinessCalendar {
    type Error = CalendarError;

    fn try_from(raw: RawCalendar) -> Result<Self, Self::Error> {
        Self::new(raw.weekend, raw.holidays)
    }
}

/// Serialized form of a [`BusinessCalendar`], written without copying the
/// holidays.
#[derive(Serialize)]
struct RawCalendarRef<'a> {
    weekend: Vec<Weekday>,
    holidays: &'a BTreeSet<NaiveDate>,
}

impl Serialize for BusinessCalendar {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RawCalendarRef {
            weekend: self.weekend.iter().collect(),
            holidays: &self.holidays,
        }
        .serialize(serializer)
    }
}
