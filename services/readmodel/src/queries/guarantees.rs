//! The register of loan guarantees a controller attaches to the budget:
//! borrower, lender, principal, share, what is still owed to the lender and
//! the funder's exposure at a date, calls and the claims they opened.
//!
//! The exposure is [`ledger_domain::grants::exposure`]'s rule, the one the
//! grants service checks a call against, over the lender's declared
//! schedule and the reports known at the moment asked.

use std::collections::HashMap;

use ledger_domain::{grants::exposure::Guaranteed, Cents};
use serde::Serialize;
use sqlx::PgPool;
use time::{Date, OffsetDateTime};

use super::{day, At, DATE};
use crate::ReadModelError;

/// One guarantee at the date asked, as known at the moment asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GuaranteeRow {
    pub guarantee_id: String,
    pub envelope_id: String,
    pub borrower: String,
    pub lender: String,
    pub principal_cents: i64,
    pub guaranteed_cents: i64,
    /// guaranteed / principal, in basis points (rounded half up).
    pub share_basis_points: i64,
    pub start_date: String,
    pub end_date: String,
    /// Principal the borrower still owes the lender at the date: the latest
    /// report less the declared instalments due since (docs/accounting.md).
    pub outstanding_principal_cents: i64,
    /// What the funder stands to pay at the date: the guaranteed share of
    /// what is still owed, nothing after its end date or once released or
    /// called.
    pub exposure_cents: i64,
    /// `GUARANTEE_RELEASE_REPAID` or `GUARANTEE_RELEASE_CALLED` once ended
    /// by the date.
    pub release: Option<String>,
    pub released_on: Option<String>,
    /// Paid to the lender by a call.
    pub called_cents: i64,
    /// What of the claim on the borrower came back.
    pub claim_received_cents: i64,
    /// The claim still to receive: called − received − waived − written off.
    pub claim_outstanding_cents: i64,
    /// The currency of every amount in this row: euros, in integer cents.
    pub currency: super::Currency,
}

#[derive(sqlx::FromRow)]
struct Stored {
    guarantee_id: String,
    envelope_id: String,
    borrower: String,
    lender: String,
    principal_cents: i64,
    guaranteed_cents: i64,
    start_date: String,
    end_date: String,
    end_on: Date,
    release: Option<String>,
    released_on: Option<Date>,
    called_cents: i64,
}

/// The guarantees given by the date, on one envelope or all, or one.
pub async fn guarantees(
    pool: &PgPool,
    envelope_id: Option<&str>,
    guarantee_id: Option<&str>,
    at: At,
) -> Result<Vec<GuaranteeRow>, ReadModelError> {
    let on = day(at);
    let ended = "released_on <= $1 AND ($2::timestamptz IS NULL OR released_recorded_at <= $2)";
    let stored: Vec<Stored> = sqlx::query_as(&format!(
        "SELECT guarantee_id, envelope_id, borrower, lender, principal_cents, guaranteed_cents,
                to_char(start_date, {DATE}) AS start_date, to_char(end_date, {DATE}) AS end_date,
                end_date AS end_on,
                CASE WHEN {ended} THEN release END AS release,
                CASE WHEN {ended} THEN released_on END AS released_on,
                CASE WHEN {ended} THEN called_cents ELSE 0 END AS called_cents
         FROM guarantees WHERE effective_date <= $1 AND ($2::timestamptz IS NULL OR recorded_at <= $2)
           AND ($3::text IS NULL OR envelope_id = $3)
           AND ($4::text IS NULL OR guarantee_id = $4)
         ORDER BY guarantee_id"
    ))
    .bind(on)
    .bind(at.known_at)
    .bind(envelope_id)
    .bind(guarantee_id)
    .fetch_all(pool)
    .await?;
    let ids: Vec<String> = stored.iter().map(|g| g.guarantee_id.clone()).collect();
    let schedule: Vec<(String, Date, i64)> = sqlx::query_as(
        "SELECT guarantee_id, due_date, amount_cents FROM guarantee_schedule
         WHERE guarantee_id = ANY($1) ORDER BY guarantee_id, line",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    let reports: Vec<(String, Date, i64, OffsetDateTime)> = sqlx::query_as(
        "SELECT guarantee_id, effective_date, outstanding_principal_cents, recorded_at
         FROM guarantee_reports
         WHERE guarantee_id = ANY($1) AND effective_date <= $2
           AND ($3::timestamptz IS NULL OR recorded_at <= $3)
         ORDER BY guarantee_id, recorded_at, event_id",
    )
    .bind(&ids)
    .bind(on)
    .bind(at.known_at)
    .fetch_all(pool)
    .await?;
    let claims: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT guarantee_id,
                COALESCE(SUM(amount_cents) FILTER (WHERE movement = 'received'), 0)::bigint,
                -- Every movement but the order itself takes from what is owed.
                COALESCE(SUM(CASE WHEN movement = 'ordered' THEN amount_cents
                                  ELSE -amount_cents END), 0)::bigint
         FROM recovery_movements
         WHERE guarantee_id = ANY($1) AND effective_date <= $2
           AND ($3::timestamptz IS NULL OR recorded_at <= $3)
         GROUP BY guarantee_id",
    )
    .bind(&ids)
    .bind(on)
    .bind(at.known_at)
    .fetch_all(pool)
    .await?;
    let mut schedules: HashMap<&str, Vec<(Date, Cents)>> = HashMap::new();
    for (id, due, cents) in &schedule {
        schedules
            .entry(id.as_str())
            .or_default()
            .push((*due, Cents::new(*cents)));
    }
    let mut reported: HashMap<&str, Vec<(Date, Cents)>> = HashMap::new();
    for (id, date, cents, _) in &reports {
        reported
            .entry(id.as_str())
            .or_default()
            .push((*date, Cents::new(*cents)));
    }
    let claims: HashMap<&str, (i64, i64)> = claims
        .iter()
        .map(|(id, received, outstanding)| (id.as_str(), (*received, *outstanding)))
        .collect();
    Ok(stored
        .into_iter()
        .map(|g| {
            let terms = Guaranteed {
                end: g.end_on,
                principal: Cents::new(g.principal_cents),
                guaranteed: Cents::new(g.guaranteed_cents),
                schedule: schedules
                    .get(g.guarantee_id.as_str())
                    .map_or(&[], Vec::as_slice),
                reports: reported
                    .get(g.guarantee_id.as_str())
                    .map_or(&[], Vec::as_slice),
            };
            let exposure = if g.release.is_some() {
                0
            } else {
                terms.exposure_on(on).get()
            };
            let (claim_received, claim_outstanding) = claims
                .get(g.guarantee_id.as_str())
                .copied()
                .unwrap_or_default();
            GuaranteeRow {
                currency: super::Currency::Eur,
                share_basis_points: share(g.guaranteed_cents, g.principal_cents),
                outstanding_principal_cents: terms.outstanding_on(on).get(),
                exposure_cents: exposure,
                released_on: g.released_on.map(|d| d.to_string()),
                claim_received_cents: claim_received,
                claim_outstanding_cents: claim_outstanding,
                guarantee_id: g.guarantee_id,
                envelope_id: g.envelope_id,
                borrower: g.borrower,
                lender: g.lender,
                principal_cents: g.principal_cents,
                guaranteed_cents: g.guaranteed_cents,
                start_date: g.start_date,
                end_date: g.end_date,
                release: g.release,
                called_cents: g.called_cents,
            }
        })
        .collect())
}

/// `part / whole` in basis points, rounded half up.
fn share(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    let (part, whole) = (i128::from(part), i128::from(whole));
    i64::try_from((2 * part * 10_000 + whole) / (2 * whole)).unwrap_or(i64::MAX)
}
