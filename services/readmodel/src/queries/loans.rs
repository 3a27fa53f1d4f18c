//! Loans at a date: what was lent, repaid and written off, what is still
//! owed, and what is due and unpaid (arrears) under the loan's schedule.
//!
//! The schedule is not stored: it is derived from the loan's terms by
//! [`ledger_domain::grants::amortisation::schedule`], the same rule the
//! contract documents, so the view and the rule cannot disagree.
//! Repayments cover the instalments in due order: an early repayment
//! covers the next ones, so nothing is in arrears until the schedule
//! catches up with what was repaid, and the loan ends sooner.

use ledger_domain::{grants::amortisation, Cents};
use serde::Serialize;
use sqlx::PgPool;
use time::Date;

use super::{day, At, DATE};
use crate::ReadModelError;

/// A loan at the date asked, as known at the moment asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LoanRow {
    pub loan_id: String,
    pub envelope_id: String,
    pub borrower: String,
    /// The platform the loan is made through (`siret:…`), if any.
    pub intermediary: Option<String>,
    pub principal_cents: i64,
    /// Annual rate in basis points (0 for an honour loan).
    pub rate_basis_points: i32,
    pub term_months: i32,
    pub first_repayment_date: Option<String>,
    pub granted_on: String,
    pub purpose: String,
    /// Principal repaid by the date.
    pub repaid_cents: i64,
    /// Interest received by the date.
    pub interest_received_cents: i64,
    /// Principal written off (admission en non-valeur) by the date.
    pub written_off_cents: i64,
    /// principal − repaid − written off.
    pub outstanding_cents: i64,
    /// Principal the schedule has due by the date.
    pub due_cents: i64,
    /// Due by the date and not repaid (none once written off).
    pub arrears_cents: i64,
    /// Repaid ahead of the schedule (early repayment).
    pub repaid_ahead_cents: i64,
    /// The first instalment not yet covered, if any.
    pub next_due_date: Option<String>,
    /// `current`, `in_arrears`, `repaid` or `written_off`.
    pub state: String,
    /// The currency of every amount in this row: euros, in integer cents.
    pub currency: super::Currency,
}

/// One instalment of a loan's schedule and how much of it is repaid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LoanInstalmentRow {
    pub due_date: String,
    pub principal_cents: i64,
    pub interest_cents: i64,
    /// Principal owed once this instalment is paid, under the schedule.
    pub outstanding_after_cents: i64,
    /// Principal of this instalment covered by repayments by the date.
    pub repaid_cents: i64,
    /// Due by the date and not covered.
    pub arrears_cents: i64,
}

/// A repayment or a write-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LoanMovement {
    /// `repaid` or `written_off`.
    pub movement: String,
    pub principal_cents: i64,
    pub interest_cents: i64,
    pub reference: Option<String>,
    pub effective_date: String,
    pub event_id: String,
}

/// A loan with its schedule and its movements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LoanDetail {
    #[serde(flatten)]
    pub loan: LoanRow,
    pub schedule: Vec<LoanInstalmentRow>,
    pub movements: Vec<LoanMovement>,
    /// The currency of every amount in this row: euros, in integer cents.
    pub currency: super::Currency,
}

/// The columns of a loan and its movements summed at the date.
#[derive(sqlx::FromRow)]
struct Summed {
    loan_id: String,
    envelope_id: String,
    borrower: String,
    intermediary: Option<String>,
    principal_cents: i64,
    rate_basis_points: i32,
    term_months: i32,
    first_repayment: Option<Date>,
    granted_on: String,
    purpose: String,
    repaid_cents: i64,
    interest_cents: i64,
    written_off_cents: i64,
}

fn summed_sql(filter: &str) -> String {
    format!(
        "SELECT l.loan_id, l.envelope_id, l.borrower, l.intermediary, l.principal_cents, l.rate_basis_points,
                l.term_months, l.first_repayment_date AS first_repayment,
                to_char(l.effective_date, {DATE}) AS granted_on, l.purpose,
                COALESCE(SUM(m.principal_cents) FILTER (WHERE m.movement = 'repaid'), 0)::bigint
                    AS repaid_cents,
                COALESCE(SUM(m.interest_cents), 0)::bigint AS interest_cents,
                COALESCE(SUM(m.principal_cents) FILTER (WHERE m.movement = 'written_off'), 0)::bigint
                    AS written_off_cents
         FROM loans l
         LEFT JOIN loan_movements m ON m.loan_id = l.loan_id AND m.effective_date <= $1
              AND ($2::timestamptz IS NULL OR m.recorded_at <= $2)
         WHERE l.effective_date <= $1 AND ($2::timestamptz IS NULL OR l.recorded_at <= $2)
           AND {filter}
         GROUP BY l.loan_id ORDER BY l.loan_id"
    )
}

/// Loans granted by the date, on one envelope or all.
pub async fn loans(
    pool: &PgPool,
    envelope_id: Option<&str>,
    at: At,
) -> Result<Vec<LoanRow>, ReadModelError> {
    let rows: Vec<Summed> = sqlx::query_as(&summed_sql("($3::text IS NULL OR l.envelope_id = $3)"))
        .bind(day(at))
        .bind(at.known_at)
        .bind(envelope_id)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|r| at_date(r, day(at)).0).collect())
}

/// One loan with its schedule and movements, if it was granted by the date.
pub async fn loan(
    pool: &PgPool,
    loan_id: &str,
    at: At,
) -> Result<Option<LoanDetail>, ReadModelError> {
    let row: Option<Summed> = sqlx::query_as(&summed_sql("l.loan_id = $3"))
        .bind(day(at))
        .bind(at.known_at)
        .bind(loan_id)
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let movements: Vec<LoanMovement> = sqlx::query_as(&format!(
        "SELECT movement, principal_cents, interest_cents, reference,
                to_char(effective_date, {DATE}) AS effective_date, event_id::text
         FROM loan_movements
         WHERE loan_id = $1 AND effective_date <= $2
           AND ($3::timestamptz IS NULL OR recorded_at <= $3)
         ORDER BY effective_date, recorded_at"
    ))
    .bind(loan_id)
    .bind(day(at))
    .bind(at.known_at)
    .fetch_all(pool)
    .await?;
    let (loan, schedule) = at_date(row, day(at));
    Ok(Some(LoanDetail {
        currency: super::Currency::Eur,
        loan,
        schedule,
        movements,
    }))
}

/// The loan's figures at `on`, and its schedule with what covers it.
fn at_date(r: Summed, on: Date) -> (LoanRow, Vec<LoanInstalmentRow>) {
    let schedule = r
        .first_repayment
        .and_then(|first| {
            amortisation::schedule(
                Cents::new(r.principal_cents),
                u32::try_from(r.rate_basis_points).ok()?,
                u32::try_from(r.term_months).ok()?,
                first,
            )
        })
        .unwrap_or_default();
    let written_off = r.written_off_cents > 0;
    let mut covering = r.repaid_cents;
    let mut next_due_date = None;
    let rows: Vec<LoanInstalmentRow> = schedule
        .iter()
        .map(|i| {
            let part = i.principal.get();
            let repaid = covering.min(part);
            covering -= repaid;
            if repaid < part && next_due_date.is_none() && !written_off {
                next_due_date = Some(i.due.to_string());
            }
            let late = if i.due <= on && !written_off {
                part - repaid
            } else {
                0
            };
            LoanInstalmentRow {
                due_date: i.due.to_string(),
                principal_cents: part,
                interest_cents: i.interest.get(),
                outstanding_after_cents: i.outstanding_after.get(),
                repaid_cents: repaid,
                arrears_cents: late,
            }
        })
        .collect();
    let due: i64 = schedule
        .iter()
        .filter(|i| i.due <= on)
        .map(|i| i.principal.get())
        .sum();
    let arrears: i64 = rows.iter().map(|i| i.arrears_cents).sum();
    let outstanding = r.principal_cents - r.repaid_cents - r.written_off_cents;
    let state = if written_off {
        "written_off"
    } else if outstanding == 0 {
        "repaid"
    } else if arrears > 0 {
        "in_arrears"
    } else {
        "current"
    };
    let loan = LoanRow {
        currency: super::Currency::Eur,
        loan_id: r.loan_id,
        envelope_id: r.envelope_id,
        borrower: r.borrower,
        intermediary: r.intermediary,
        principal_cents: r.principal_cents,
        rate_basis_points: r.rate_basis_points,
        term_months: r.term_months,
        first_repayment_date: r.first_repayment.map(|d| d.to_string()),
        granted_on: r.granted_on,
        purpose: r.purpose,
        repaid_cents: r.repaid_cents,
        interest_received_cents: r.interest_cents,
        written_off_cents: r.written_off_cents,
        outstanding_cents: outstanding,
        due_cents: due,
        arrears_cents: arrears,
        repaid_ahead_cents: (r.repaid_cents - due).max(0),
        next_due_date,
        state: state.to_owned(),
    };
    (loan, rows)
}
