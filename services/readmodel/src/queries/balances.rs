//! Balances: sums of journal lines, grouped by one dimension.

use serde::Serialize;
use sqlx::PgPool;

use super::{day, At};
use crate::{journal::*, ReadModelError};

/// The dimension balances are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Envelope,
    Programme,
    Funder,
    Region,
    Departement,
    FiscalYear,
    /// Calendar months of the lines' effective dates: the series a chart of
    /// consumption over time draws.
    Month,
}

impl GroupBy {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "envelope" => Self::Envelope,
            "programme" => Self::Programme,
            "funder" => Self::Funder,
            "region" => Self::Region,
            "departement" => Self::Departement,
            "fiscal_year" => Self::FiscalYear,
            "month" => Self::Month,
            _ => return None,
        })
    }

    /// The journal column lines are first summed by (the fiscal year aside,
    /// which every query sums by).
    fn line_key(self) -> &'static str {
        match self {
            Self::Envelope => "p.envelope_id",
            Self::Programme | Self::Funder => "p.programme_id",
            Self::Region => "COALESCE(p.region_code, '')",
            Self::Departement => "COALESCE(p.departement_code, '')",
            Self::FiscalYear | Self::Month => "''",
        }
    }
}

/// The key funders are filtered and grouped by: kind and code, as
/// `region:24`, `departement:24`, `grouping:<code>` or `national`.
pub fn funder_key(kind: &str, code: &str) -> Option<String> {
    match (kind, code) {
        ("national", "") => Some("national".to_owned()),
        ("region" | "departement" | "grouping" | "national", code) if !code.is_empty() => {
            Some(format!("{kind}:{code}"))
        }
        _ => None,
    }
}

/// Which lines to sum.
#[derive(Debug, Clone, Default)]
pub struct BalanceFilter {
    pub envelope_id: Option<String>,
    pub programme_id: Option<String>,
    /// A [`funder_key`].
    pub funder: Option<String>,
    pub region_code: Option<String>,
    pub departement_code: Option<String>,
    /// The fiscal year asked about: flows of that year, stocks at its end.
    pub fiscal_year: Option<i32>,
    pub at: At,
    pub group_by: Option<GroupBy>,
}

/// The conditions selecting the lines of a scope, on `postings p`, with the
/// scope's values bound as $1..$7 by [`bind_scope`] (the fiscal year is not
/// among them: balances take it as a point in time, the journal as a filter).
pub(crate) const SCOPE: &str = "($1::text IS NULL OR p.envelope_id = $1)
           AND ($2::text IS NULL OR p.programme_id = $2)
           AND ($3::text IS NULL OR p.programme_id IN
                (SELECT programme_id FROM programmes WHERE funder = $3))
           AND ($4::text IS NULL OR p.region_code = $4)
           AND ($5::text IS NULL OR p.departement_code = $5)
           AND ($6::date IS NULL OR p.effective_date <= $6)
           AND ($7::timestamptz IS NULL OR p.recorded_at <= $7)";

pub(crate) fn bind_scope<'q, O>(
    query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    filter: &'q BalanceFilter,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    query
        .bind(&filter.envelope_id)
        .bind(&filter.programme_id)
        .bind(&filter.funder)
        .bind(&filter.region_code)
        .bind(&filter.departement_code)
        .bind(day(filter.at))
        .bind(filter.at.known_at)
}

/// The figures controllers ask for, in cents, each a sum of journal lines.
///
/// Flows (voted, committed, paid, loans, recoveries ordered and received)
/// are what happened in the period asked; stocks (available, restes à payer,
/// recoveries outstanding, guarantee exposure, and the `_to_date` figures)
/// are what stands at its end. Asked about a fiscal year, the period is that
/// year and its end is 31 December (with the payments of the closing
/// period); otherwise the period is everything up to `as_of`, and the flows
/// equal their `_to_date` stocks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Balance {
    /// The value of the grouping dimension ("all" without grouping).
    pub key: String,
    /// AP/AE voted in the period (votes and revisions).
    pub voted_cents: i64,
    /// AP/AE voted, cumulated to the end of the period.
    pub voted_to_date_cents: i64,
    /// Commitments made in the period, net of releases.
    pub committed_cents: i64,
    /// Commitments standing at the end of the period.
    pub committed_to_date_cents: i64,
    /// Left to commit at the end of the period (a stock).
    pub available_cents: i64,
    /// AP/AE cancelled by closures at the end of the period (a stock): what
    /// was left when the envelope closed, and what its grants released
    /// after. voted to date = available + committed to date + cancelled.
    pub cancelled_cents: i64,
    /// Paid (mandated) in the period.
    pub paid_cents: i64,
    /// Paid from the start to the end of the period.
    pub paid_to_date_cents: i64,
    /// Restes à payer at the end of the period: committed to date − paid to
    /// date (a stock, never negative).
    pub remaining_to_pay_cents: i64,
    /// Loans granted in the period (their principal).
    pub loans_cents: i64,
    /// Loan principal repaid in the period.
    pub loans_repaid_cents: i64,
    /// Loan principal written off in the period.
    pub loans_written_off_cents: i64,
    /// Loan principal still owed at the end of the period: granted −
    /// repaid − written off, to date.
    pub loans_outstanding_cents: i64,
    /// Interest received on loans in the period.
    pub loan_interest_cents: i64,
    pub recovery_ordered_cents: i64,
    pub recovery_received_cents: i64,
    /// Remises gracieuses granted in the period.
    pub recovery_waived_cents: i64,
    /// Admissions en non-valeur in the period.
    pub recovery_written_off_cents: i64,
    /// Recoveries ordered and not yet received, waived or written off, at
    /// the end of the period.
    pub recovery_outstanding_cents: i64,
    /// Guarantees standing at the end of the period (off-balance).
    pub guarantee_exposure_cents: i64,
    /// Journal lines summed.
    pub postings: i64,
    /// The currency of every amount in this row: euros, in integer cents.
    #[sqlx(skip)]
    pub currency: super::Currency,
}

/// The figures' SQL over `a` (lines summed by key, fiscal year `a.y` and
/// account): `flow` selects the years a flow sums, `stock` those a stock sums.
fn figures(flow: &str, stock: &str) -> String {
    let sum = |account: &str, years: &str| {
        format!("COALESCE(SUM(a.s) FILTER (WHERE a.account = '{account}' AND {years}), 0)::bigint")
    };
    // A loan's principal stays committed once repaid or written off: its
    // lines only move between the loan accounts.
    let loans = |years: &str| {
        format!(
            "({} + {} + {})",
            sum(LOANS, years),
            sum(LOANS_REPAID, years),
            sum(LOANS_WRITTEN_OFF, years)
        )
    };
    let committed = |years: &str| {
        format!(
            "({} + {} + {})",
            sum(COMMITTED_UNPAID, years),
            sum(PAID, years),
            loans(years)
        )
    };
    format!(
        "(-{voted}) AS voted_cents,
         (-{voted_to_date}) AS voted_to_date_cents,
         {committed} AS committed_cents,
         {committed_to_date} AS committed_to_date_cents,
         {available} AS available_cents,
         {cancelled} AS cancelled_cents,
         {paid} AS paid_cents,
         {paid_to_date} AS paid_to_date_cents,
         {unpaid} AS remaining_to_pay_cents,
         {loans} AS loans_cents,
         {loans_repaid} AS loans_repaid_cents,
         {loans_written_off} AS loans_written_off_cents,
         {loans_outstanding} AS loans_outstanding_cents,
         {loan_interest} AS loan_interest_cents,
         (-{recoveries}) AS recovery_ordered_cents,
         {recovered} AS recovery_received_cents,
         {waived} AS recovery_waived_cents,
         {written_off} AS recovery_written_off_cents,
         {receivable} AS recovery_outstanding_cents,
         {exposure} AS guarantee_exposure_cents,
         COALESCE(SUM(a.n) FILTER (WHERE {stock}), 0)::bigint AS postings",
        voted = sum(AUTHORISED, flow),
        voted_to_date = sum(AUTHORISED, stock),
        committed = committed(flow),
        committed_to_date = committed(stock),
        available = sum(AVAILABLE, stock),
        cancelled = sum(CANCELLED, stock),
        paid = sum(PAID, flow),
        paid_to_date = sum(PAID, stock),
        unpaid = sum(COMMITTED_UNPAID, stock),
        loans = loans(flow),
        loans_repaid = sum(LOANS_REPAID, flow),
        loans_written_off = sum(LOANS_WRITTEN_OFF, flow),
        loans_outstanding = sum(LOANS, stock),
        loan_interest = sum(LOAN_INTEREST, flow),
        recoveries = sum(RECOVERIES, flow),
        recovered = sum(RECOVERED, flow),
        waived = sum(RECOVERIES_WAIVED, flow),
        written_off = sum(RECOVERIES_WRITTEN_OFF, flow),
        receivable = sum(RECOVERY_RECEIVABLE, stock),
        exposure = sum(GUARANTEE_EXPOSURE, stock),
    )
}

/// Balances grouped by `filter.group_by`, ordered by the group's value.
///
/// Lines are first summed by key, fiscal year and account (a few rows per
/// key and year, however long the history), and only those sums are joined
/// to programmes or spread over the years.
pub async fn balances(
    pool: &PgPool,
    filter: &BalanceFilter,
) -> Result<Vec<Balance>, ReadModelError> {
    let line_key = filter.group_by.map_or("''", GroupBy::line_key);
    let sums = format!(
        "WITH a AS (
            SELECT {line_key} AS key, p.fiscal_year AS y, p.account,
                   SUM(p.amount_cents) AS s, count(*) AS n
            FROM postings p WHERE {SCOPE}
            GROUP BY 1, 2, 3)"
    );
    let sql = match filter.group_by {
        Some(GroupBy::FiscalYear) => format!(
            "{sums}, years AS (
                -- Every year from the first line's, through the last line's
                -- or the year asked if later: stocks carry forward.
                SELECT generate_series(min(y), GREATEST(max(y), COALESCE($8::int, max(y)))) AS year
                FROM a)
             SELECT years.year::text AS key, {figures}
             FROM years JOIN a ON a.y <= years.year
             WHERE $8::int IS NULL OR years.year = $8
             GROUP BY years.year ORDER BY years.year",
            figures = figures("a.y = years.year", "TRUE")
        ),
        // Months are summed from the lines themselves (a fiscal year's lines
        // may fall in January of the next: the month is the effective date's).
        Some(GroupBy::Month) => format!(
            "WITH a AS (
                SELECT date_trunc('month', p.effective_date)::date AS m, p.account,
                       SUM(p.amount_cents) AS s, count(*) AS n
                FROM postings p WHERE {SCOPE}
                GROUP BY 1, 2),
             months AS (
                -- Every month from the first line's through the date asked
                -- (or the last line's, if later): stocks carry forward.
                SELECT generate_series(min(m),
                         GREATEST(max(m), date_trunc('month', COALESCE($6::date, max(m)))::date),
                         interval '1 month')::date AS month
                FROM a)
             SELECT to_char(months.month, 'YYYY-MM') AS key, {figures}
             FROM months JOIN a ON a.m <= months.month
             WHERE $8::int IS NULL OR extract(year FROM months.month) = $8
             GROUP BY months.month ORDER BY months.month",
            figures = figures("a.m = months.month", "TRUE")
        ),
        Some(GroupBy::Funder) => format!(
            "{sums}
             SELECT COALESCE(pr.funder, '') AS key, {figures}
             FROM a LEFT JOIN programmes pr ON pr.programme_id = a.key
             WHERE $8::int IS NULL OR a.y <= $8
             GROUP BY 1 ORDER BY 1",
            figures = figures("($8::int IS NULL OR a.y = $8)", "TRUE")
        ),
        _ => format!(
            "{sums}
             SELECT {key} AS key, {figures}
             FROM a WHERE $8::int IS NULL OR a.y <= $8
             GROUP BY 1 ORDER BY 1",
            key = if filter.group_by.is_some() {
                "a.key"
            } else {
                "'all'"
            },
            figures = figures("($8::int IS NULL OR a.y = $8)", "TRUE")
        ),
    };
    Ok(bind_scope(sqlx::query_as::<_, Balance>(&sql), filter)
        .bind(filter.fiscal_year)
        .fetch_all(pool)
        .await?)
}

/// One envelope: what it is and its balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EnvelopeBalance {
    pub envelope_id: String,
    pub programme_id: String,
    pub kind: String,
    pub label: String,
    pub vote_reference: String,
    pub voted_cents: i64,
    pub committed_cents: i64,
    pub available_cents: i64,
    /// AP/AE cancelled by the envelope's closure (and released after it).
    pub cancelled_cents: i64,
    pub paid_cents: i64,
    /// Restes à payer: committed − paid − loans.
    pub remaining_to_pay_cents: i64,
    pub loans_cents: i64,
    /// Loan principal still owed.
    pub loans_outstanding_cents: i64,
    pub recovery_ordered_cents: i64,
    pub recovery_received_cents: i64,
    pub guarantee_exposure_cents: i64,
    /// Grants awarded on it by the date asked.
    pub grants: i64,
    pub as_of: Option<String>,
    pub known_at: Option<String>,
    /// The currency of every amount in this row: euros, in integer cents.
    pub currency: super::Currency,
}

pub async fn envelope_balance(
    pool: &PgPool,
    envelope_id: &str,
    at: At,
) -> Result<Option<EnvelopeBalance>, ReadModelError> {
    let row: Option<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT e.programme_id, e.kind, e.label, e.vote_reference,
                (SELECT count(*) FROM grants g WHERE g.envelope_id = e.envelope_id
                   AND ($2::date IS NULL OR g.effective_date <= $2)
                   AND ($3::timestamptz IS NULL OR g.recorded_at <= $3))
         FROM envelopes e WHERE e.envelope_id = $1",
    )
    .bind(envelope_id)
    .bind(day(at))
    .bind(at.known_at)
    .fetch_optional(pool)
    .await?;
    let Some((programme_id, kind, label, vote_reference, grants)) = row else {
        return Ok(None);
    };
    let filter = BalanceFilter {
        envelope_id: Some(envelope_id.to_owned()),
        at,
        ..BalanceFilter::default()
    };
    let b = balances(pool, &filter)
        .await?
        .into_iter()
        .next()
        .unwrap_or_default();
    Ok(Some(EnvelopeBalance {
        currency: super::Currency::Eur,
        envelope_id: envelope_id.to_owned(),
        programme_id,
        kind,
        label,
        vote_reference,
        voted_cents: b.voted_cents,
        committed_cents: b.committed_cents,
        available_cents: b.available_cents,
        cancelled_cents: b.cancelled_cents,
        paid_cents: b.paid_cents,
        remaining_to_pay_cents: b.remaining_to_pay_cents,
        loans_cents: b.loans_cents,
        loans_outstanding_cents: b.loans_outstanding_cents,
        recovery_ordered_cents: b.recovery_ordered_cents,
        recovery_received_cents: b.recovery_received_cents,
        guarantee_exposure_cents: b.guarantee_exposure_cents,
        grants,
        as_of: at.as_of.map(|d| d.to_string()),
        known_at: at.known_at.and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        }),
    }))
}
