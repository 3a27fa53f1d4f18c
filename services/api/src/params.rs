//! Query parameters: read as text, checked here, so that a bad one is a
//! 400 `invalid_parameter` naming it rather than a silent default.

use ledger_http::ApiError;
use ledger_readmodel::queries::{DEFAULT_LIMIT, MAX_LIMIT};
use time::{format_description::well_known::Rfc3339, Date, OffsetDateTime};

fn invalid(field: &str, message: String) -> ApiError {
    let mut err = ApiError::bad_request("invalid_parameter", message);
    err.field = Some(field.to_owned());
    err
}

pub fn date(field: &str, raw: &Option<String>) -> Result<Option<Date>, ApiError> {
    raw.as_deref()
        .map(|raw| {
            ledger_domain::dates::parse_date(field, raw)
                .map_err(|_| invalid(field, format!("{field} {raw:?} is not a date (YYYY-MM-DD)")))
        })
        .transpose()
}

pub fn instant(field: &str, raw: &Option<String>) -> Result<Option<OffsetDateTime>, ApiError> {
    raw.as_deref()
        .map(|raw| {
            OffsetDateTime::parse(raw, &Rfc3339).map_err(|_| {
                invalid(
                    field,
                    format!(
                        "{field} {raw:?} is not an RFC 3339 instant (e.g. 2025-01-31T23:59:59Z)"
                    ),
                )
            })
        })
        .transpose()
}

pub fn year(field: &str, raw: &Option<String>) -> Result<Option<i32>, ApiError> {
    raw.as_deref()
        .map(|raw| {
            raw.parse::<i32>()
                .ok()
                .filter(|y| (1900..=2200).contains(y))
                .ok_or_else(|| invalid(field, format!("{field} {raw:?} is not a year")))
        })
        .transpose()
}

/// A funder as kind and code (`region:24`), the key balances use.
pub fn funder(field: &str, raw: &Option<String>) -> Result<Option<String>, ApiError> {
    raw.as_deref()
        .map(|raw| {
            let (kind, code) = raw.split_once(':').unwrap_or((raw, ""));
            ledger_readmodel::queries::funder_key(kind, code).ok_or_else(|| {
                invalid(
                    field,
                    format!(
                        "{field} {raw:?} is not a funder: give its kind and code, as region:24, \
                         departement:24, grouping:<code> or national"
                    ),
                )
            })
        })
        .transpose()
}

/// `format`: `json` (the default) or `csv`; true for CSV.
pub fn csv_format(raw: &Option<String>) -> Result<bool, ApiError> {
    match raw.as_deref() {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(_) => Err(invalid("format", "format must be json or csv".into())),
    }
}

pub fn flag(field: &str, raw: &Option<String>) -> Result<Option<bool>, ApiError> {
    raw.as_deref()
        .map(|raw| match raw {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(invalid(field, format!("{field} must be true or false"))),
        })
        .transpose()
}

/// `limit` (default 100, at most 1000).
pub fn limit(raw: &Option<String>) -> Result<i64, ApiError> {
    match raw.as_deref() {
        None => Ok(DEFAULT_LIMIT),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| invalid("limit", format!("limit must be between 1 and {MAX_LIMIT}"))),
    }
}

/// One of `allowed`, or 400 listing them.
pub fn choice<T>(
    field: &str,
    raw: &Option<String>,
    parse: fn(&str) -> Option<T>,
    allowed: &str,
) -> Result<Option<T>, ApiError> {
    raw.as_deref()
        .map(|raw| {
            parse(raw).ok_or_else(|| invalid(field, format!("{field} must be one of {allowed}")))
        })
        .transpose()
}
