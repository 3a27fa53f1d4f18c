//! Calendar dates as the contract writes them (`YYYY-MM-DD`, `YYYY-MM`).

use time::{format_description::FormatItem, macros::format_description, Date, Month};

use crate::DomainError;

const ISO_DATE: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// Parses a required `YYYY-MM-DD` date.
pub fn parse_date(field: &str, raw: &str) -> Result<Date, DomainError> {
    if raw.is_empty() {
        return Err(DomainError::invalid(field, "is required (YYYY-MM-DD)"));
    }
    Date::parse(raw, ISO_DATE).map_err(|_| {
        DomainError::invalid(
            field,
            format!("{raw:?} is not a date of the form YYYY-MM-DD"),
        )
    })
}

/// Formats a date the way the contract writes it.
pub fn format_date(date: Date) -> String {
    // Formatting a valid Date with a fixed description cannot fail; fall back
    // to the Debug form rather than panic should `time` ever change that.
    date.format(ISO_DATE)
        .unwrap_or_else(|_| format!("{date:?}"))
}

/// The time zone accounting days are counted in.
static PARIS: jiff::tz::TimeZone = jiff::tz::get!("Europe/Paris");

/// The day an instant falls on in Paris: the day a fact recorded at that
/// instant may be dated at the latest.
pub fn paris_day(instant: time::OffsetDateTime) -> Date {
    let offset = jiff::Timestamp::from_second(instant.unix_timestamp())
        .map(|t| PARIS.to_offset(t).seconds())
        .unwrap_or(0);
    (instant + time::Duration::seconds(i64::from(offset))).date()
}

/// The fiscal years a payment or a titre de recette dated `effective` may
/// belong to: its own year, or the previous one during the closing period
/// (journée complémentaire, up to 31 January), when the last year's
/// mandats are still issued.
pub fn fiscal_years_open_on(effective: Date) -> std::ops::RangeInclusive<i32> {
    let year = effective.year();
    if effective.month() == Month::January {
        year - 1..=year
    } else {
        year..=year
    }
}

/// Parses a `YYYY-MM` month into its last day (the effective date of a
/// monthly report).
pub fn parse_month_end(field: &str, raw: &str) -> Result<Date, DomainError> {
    let bad = || DomainError::invalid(field, format!("{raw:?} is not a month of the form YYYY-MM"));
    let (year, month) = raw.split_once('-').ok_or_else(bad)?;
    if year.len() != 4 || month.len() != 2 {
        return Err(bad());
    }
    let year: i32 = year.parse().map_err(|_| bad())?;
    let month: u8 = month.parse().map_err(|_| bad())?;
    let month = Month::try_from(month).map_err(|_| bad())?;
    let last_day = month.length(year);
    Date::from_calendar_date(year, month, last_day).map_err(|_| bad())
}

/// The same day `months` months after `date`, or the last day of that
/// month when it is shorter (a loan repaid on the 31st is repaid on 29
/// February).
pub fn add_months(date: Date, months: u32) -> Option<Date> {
    let total =
        i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 + i64::from(months);
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(total.rem_euclid(12) + 1).ok()?).ok()?;
    Date::from_calendar_date(year, month, date.day().min(month.length(year))).ok()
}

/// The day before the same day `months` later: the last day of a period of
/// `months` months starting on `start` (a 36-month obligation starting
/// 2023-09-01 ends 2026-08-31). Days past the end of a shorter month clamp.
pub fn last_day_of_months(start: Date, months: u32) -> Option<Date> {
    add_months(start, months)?.previous_day()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let d = parse_date("d", "2025-12-31").unwrap();
        assert_eq!(format_date(d), "2025-12-31");
        assert!(parse_date("d", "2025-02-30").is_err());
        assert!(parse_date("d", "31/12/2025").is_err());
        assert_eq!(
            parse_date("d", "").unwrap_err().message,
            "is required (YYYY-MM-DD)"
        );
    }

    #[test]
    fn the_day_is_the_day_in_paris() {
        let at = |raw: &str| {
            time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        let day = |raw: &str| format_date(paris_day(at(raw)));
        // Winter: UTC+1.
        assert_eq!(day("2026-12-01T22:59:59Z"), "2026-12-01");
        assert_eq!(day("2026-12-01T23:00:00Z"), "2026-12-02");
        // Summer: UTC+2.
        assert_eq!(day("2026-07-01T21:59:59Z"), "2026-07-01");
        assert_eq!(day("2026-07-01T22:00:00Z"), "2026-07-02");
    }

    #[test]
    fn the_closing_period_runs_to_31_january() {
        let years = |raw: &str| fiscal_years_open_on(parse_date("d", raw).unwrap());
        assert_eq!(years("2025-01-31"), 2024..=2025);
        assert_eq!(years("2025-01-01"), 2024..=2025);
        assert_eq!(years("2025-02-01"), 2025..=2025);
        assert_eq!(years("2025-12-31"), 2025..=2025);
    }

    #[test]
    fn periods_in_months() {
        let start = parse_date("d", "2023-09-01").unwrap();
        assert_eq!(
            last_day_of_months(start, 36).map(format_date).as_deref(),
            Some("2026-08-31")
        );
        let jan31 = parse_date("d", "2024-01-31").unwrap();
        assert_eq!(
            last_day_of_months(jan31, 1).map(format_date).as_deref(),
            Some("2024-02-28")
        );
    }

    #[test]
    fn month_end() {
        assert_eq!(
            format_date(parse_month_end("m", "2024-02").unwrap()),
            "2024-02-29"
        );
        assert!(parse_month_end("m", "2024-13").is_err());
        assert!(parse_month_end("m", "2024-1").is_err());
    }
}
