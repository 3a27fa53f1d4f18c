//! Balances: sums of journal lines, grouped by one dimension.

use serde::Serialize;
use sqlx::PgPool;

use super::At;
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
            _ => return None,
        })
    }

    fn column(self) -> &'static str {
        match self {
            Self::Envelope => "p.envelope_id",
            Self::Programme => "p.programme_id",
            Self::Funder => "COALESCE(pr.funder_code, '')",
            Self::Region => "COALESCE(p.region_code, '')",
            Self::Departement => "COALESCE(p.departement_code, '')",
            Self::FiscalYear => "p.fiscal_year::text",
        }
    }
}

/// Which lines to sum.
#[derive(Debug, Clone, Default)]
pub struct BalanceFilter {
    pub envelope_id: Option<String>,
    pub programme_id: Option<String>,
    pub funder_code: Option<String>,
    pub region_code: Option<String>,
    pub departement_code: Option<String>,
    pub fiscal_year: Option<i32>,
    pub at: At,
    pub group_by: Option<GroupBy>,
}

/// The figures controllers ask for, in cents, each a sum of journal lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Balance {
    /// The value of the grouping dimension ("all" without grouping).
    pub key: String,
    pub voted_cents: i64,
    pub committed_cents: i64,
    pub available_cents: i64,
    pub paid_cents: i64,
    /// Restes à payer: commitments not yet paid (cancellations release them).
    pub remaining_to_pay_cents: i64,
    pub loans_cents: i64,
    pub recovery_ordered_cents: i64,
    pub recovery_received_cents: i64,
    pub recovery_outstanding_cents: i64,
    pub guarantee_exposure_cents: i64,
    /// Journal lines summed.
    pub postings: i64,
}

fn figures() -> String {
    let sum = |account: &str| {
        format!("COALESCE(SUM(p.amount_cents) FILTER (WHERE p.account = '{account}'), 0)::bigint")
    };
    format!(
        "(-{authorised}) AS voted_cents,
         ({unpaid} + {paid} + {loans}) AS committed_cents,
         {available} AS available_cents,
         {paid} AS paid_cents,
         {unpaid} AS remaining_to_pay_cents,
         {loans} AS loans_cents,
         (-{recoveries}) AS recovery_ordered_cents,
         {recovered} AS recovery_received_cents,
         {receivable} AS recovery_outstanding_cents,
         {exposure} AS guarantee_exposure_cents,
         count(p.*) AS postings",
        authorised = sum(AUTHORISED),
        unpaid = sum(COMMITTED_UNPAID),
        paid = sum(PAID),
        loans = sum(LOANS),
        available = sum(AVAILABLE),
        recoveries = sum(RECOVERIES),
        recovered = sum(RECOVERED),
        receivable = sum(RECOVERY_RECEIVABLE),
        exposure = sum(GUARANTEE_EXPOSURE),
    )
}

/// Balances grouped by `filter.group_by`, ordered by the group's value.
pub async fn balances(
    pool: &PgPool,
    filter: &BalanceFilter,
) -> Result<Vec<Balance>, ReadModelError> {
    let key = filter.group_by.map_or("'all'", GroupBy::column);
    let sql = format!(
        "SELECT {key} AS key, {figures}
         FROM postings p LEFT JOIN programmes pr ON pr.programme_id = p.programme_id
         WHERE ($1::text IS NULL OR p.envelope_id = $1)
           AND ($2::text IS NULL OR p.programme_id = $2)
           AND ($3::text IS NULL OR pr.funder_code = $3)
           AND ($4::text IS NULL OR p.region_code = $4)
           AND ($5::text IS NULL OR p.departement_code = $5)
           AND ($6::int IS NULL OR p.fiscal_year = $6)
           AND ($7::date IS NULL OR p.effective_date <= $7)
           AND ($8::timestamptz IS NULL OR p.recorded_at <= $8)
         GROUP BY 1 ORDER BY 1",
        figures = figures()
    );
    Ok(sqlx::query_as::<_, Balance>(&sql)
        .bind(&filter.envelope_id)
        .bind(&filter.programme_id)
        .bind(&filter.funder_code)
        .bind(&filter.region_code)
        .bind(&filter.departement_code)
        .bind(filter.fiscal_year)
        .bind(filter.at.as_of)
        .bind(filter.at.known_at)
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
    pub paid_cents: i64,
    /// Restes à payer: committed − paid − loans.
    pub remaining_to_pay_cents: i64,
    pub loans_cents: i64,
    pub recovery_ordered_cents: i64,
    pub recovery_received_cents: i64,
    pub guarantee_exposure_cents: i64,
    /// Grants awarded on it by the date asked.
    pub grants: i64,
    pub as_of: Option<String>,
    pub known_at: Option<String>,
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
    .bind(at.as_of)
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
        .unwrap_or(Balance {
            key: "all".into(),
            voted_cents: 0,
            committed_cents: 0,
            available_cents: 0,
            paid_cents: 0,
            remaining_to_pay_cents: 0,
            loans_cents: 0,
            recovery_ordered_cents: 0,
            recovery_received_cents: 0,
            recovery_outstanding_cents: 0,
            guarantee_exposure_cents: 0,
            postings: 0,
        });
    Ok(Some(EnvelopeBalance {
        envelope_id: envelope_id.to_owned(),
        programme_id,
        kind,
        label,
        vote_reference,
        voted_cents: b.voted_cents,
        committed_cents: b.committed_cents,
        available_cents: b.available_cents,
        paid_cents: b.paid_cents,
        remaining_to_pay_cents: b.remaining_to_pay_cents,
        loans_cents: b.loans_cents,
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
