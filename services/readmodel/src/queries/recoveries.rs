//! A grant's titres de recette, each with its movements summed and its
//! repayment plan against what was received.

use serde::Serialize;
use sqlx::PgPool;
use time::OffsetDateTime;

use super::{day, At, DATE};
use crate::ReadModelError;

/// One instalment of a repayment plan, and how much of it is received
/// (receipts settle instalments in due order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RecoveryInstalment {
    pub due_date: String,
    pub amount_cents: i64,
    pub received_cents: i64,
    /// Due by the date asked and not received.
    pub arrears_cents: i64,
}

/// One titre de recette at a date, as known at a moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RecoveryRow {
    pub recovery_id: String,
    /// Ordered, net of reductions and cancellations.
    pub ordered_cents: i64,
    pub reduced_cents: i64,
    pub received_cents: i64,
    pub waived_cents: i64,
    pub written_off_cents: i64,
    /// ordered − received − waived − written off.
    pub outstanding_cents: i64,
    /// The plan in force, if one was granted.
    pub plan: Vec<RecoveryInstalment>,
    /// Due by the date and not received, under the plan (without a plan,
    /// everything outstanding is due).
    pub arrears_cents: i64,
    /// The currency of every amount in this row: euros, in integer cents.
    pub currency: super::Currency,
}

/// Whose titres de recette: a grant's, or a called guarantee's claim on
/// its borrower.
#[derive(Debug, Clone, Copy)]
pub enum Titres<'a> {
    OfGrant(&'a str),
    OfGuarantee(&'a str),
}

impl Titres<'_> {
    fn id(self) -> String {
        match self {
            Titres::OfGrant(id) | Titres::OfGuarantee(id) => id.to_owned(),
        }
    }

    /// The column that names the subject in the titres' tables.
    fn column(self) -> &'static str {
        match self {
            Titres::OfGrant(_) => "grant_id",
            Titres::OfGuarantee(_) => "guarantee_id",
        }
    }
}

pub async fn recoveries(
    pool: &PgPool,
    of: Titres<'_>,
    at: At,
) -> Result<Vec<RecoveryRow>, ReadModelError> {
    let column = of.column();
    let movements: Vec<(String, String, i64, OffsetDateTime)> = sqlx::query_as(&format!(
        "SELECT recovery_id, movement, amount_cents, recorded_at
         FROM recovery_movements
         WHERE {column} = $1 AND effective_date <= $2
           AND ($3::timestamptz IS NULL OR recorded_at <= $3)
         ORDER BY recovery_id, recorded_at"
    ))
    .bind(of.id())
    .bind(day(at))
    .bind(at.known_at)
    .fetch_all(pool)
    .await?;
    let plans: Vec<(String, String, i64, bool, OffsetDateTime)> = sqlx::query_as(&format!(
        "WITH in_force AS (
            SELECT DISTINCT ON (recovery_id) recovery_id, event_id
            FROM recovery_instalments
            WHERE {column} = $1 AND effective_date <= $2
              AND ($3::timestamptz IS NULL OR recorded_at <= $3)
            ORDER BY recovery_id, recorded_at DESC)
         SELECT i.recovery_id, to_char(i.due_date, {DATE}), i.amount_cents, i.due_date <= $2,
                i.recorded_at
         FROM recovery_instalments i JOIN in_force f USING (recovery_id, event_id)
         ORDER BY i.recovery_id, i.due_date, i.line"
    ))
    .bind(of.id())
    .bind(day(at))
    .bind(at.known_at)
    .fetch_all(pool)
    .await?;
    let mut ids: Vec<&String> = movements.iter().map(|m| &m.0).collect();
    ids.dedup();
    Ok(ids
        .into_iter()
        .map(|recovery_id| {
            let of = |kind: &str, since: Option<OffsetDateTime>| -> i64 {
                movements
                    .iter()
                    .filter(|m| &m.0 == recovery_id && m.1 == kind)
                    .filter(|m| since.is_none_or(|t| m.3 > t))
                    .map(|m| m.2)
                    .sum()
            };
            let (ordered, reduced) = (of("ordered", None), of("reduced", None));
            let (received, waived, written_off) = (
                of("received", None),
                of("waived", None),
                of("written_off", None),
            );
            let net = ordered - reduced;
            let outstanding = net - received - waived - written_off;
            let instalments: Vec<_> = plans.iter().filter(|p| &p.0 == recovery_id).collect();
            let (plan, arrears) = match instalments.first() {
                None => (Vec::new(), outstanding),
                Some(first) => {
                    // The plan covered what was outstanding when granted:
                    // only what came after settles (in due order) or
                    // forgives (from the last instalment) its instalments.
                    let since = Some(first.4);
                    settle(
                        &instalments,
                        of("received", since),
                        of("waived", since) + of("written_off", since) + of("reduced", since),
                    )
                }
            };
            RecoveryRow {
                currency: super::Currency::Eur,
                recovery_id: recovery_id.clone(),
                ordered_cents: net,
                reduced_cents: reduced,
                received_cents: received,
                waived_cents: waived,
                written_off_cents: written_off,
                outstanding_cents: outstanding,
                plan,
                arrears_cents: arrears,
            }
        })
        .collect())
}

/// A plan's instalments with what `received` settles in due order, after
/// `forgiven` is taken off the last ones; and the arrears at the date.
fn settle(
    instalments: &[&(String, String, i64, bool, OffsetDateTime)],
    mut received: i64,
    mut forgiven: i64,
) -> (Vec<RecoveryInstalment>, i64) {
    let mut owed: Vec<i64> = instalments.iter().map(|i| i.2).collect();
    for amount in owed.iter_mut().rev() {
        let off = forgiven.min(*amount);
        forgiven -= off;
        *amount -= off;
    }
    let mut arrears = 0;
    let plan = instalments
        .iter()
        .zip(owed)
        .map(|((_, due_date, amount, due, _), owed)| {
            let settled = received.min(owed);
            received -= settled;
            let late = if *due { owed - settled } else { 0 };
            arrears += late;
            RecoveryInstalment {
                due_date: due_date.clone(),
                amount_cents: *amount,
                received_cents: settled,
                arrears_cents: late,
            }
        })
        .collect();
    (plan, arrears)
}
