//! The views of grants, loans, guarantees, obligations, centres, groupings
//! and targets, each at a date as known at a moment.

use serde::Serialize;
use sqlx::PgPool;
use time::Date;

use super::{day, At, DATE};
use crate::ReadModelError;

#[derive(Debug, Clone, Default)]
pub struct GrantFilter {
    pub envelope_id: Option<String>,
    pub kind: Option<String>,
    pub departement_code: Option<String>,
    pub at: At,
    pub after: Option<String>,
    pub limit: i64,
}

/// A grant and its money at the date asked, from the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct GrantRow {
    pub grant_id: String,
    pub envelope_id: String,
    pub kind: String,
    pub beneficiary: Option<String>,
    pub purpose: String,
    pub departement_code: Option<String>,
    pub commune_code: Option<String>,
    pub awarded_on: String,
    /// `active`; `settled` (paid in full, or closed under-spent);
    /// `lapsed` (caducité); `cancelled`; `breached` (its obligation was).
    pub state: String,
    /// Last day it may be paid, if its decision set one.
    pub deadline: Option<String>,
    pub committed_cents: i64,
    pub paid_cents: i64,
    pub remaining_to_pay_cents: i64,
    pub recovery_ordered_cents: i64,
    pub recovery_received_cents: i64,
    /// Recoveries still to receive (not waived or written off).
    pub recovery_outstanding_cents: i64,
    /// What the grant cost the funder: paid − recovered.
    pub net_cost_cents: i64,
    pub recovery_rule: Option<String>,
    pub obligation_months: Option<i32>,
    /// The currency of every amount in this row: euros, in integer cents.
    #[sqlx(skip)]
    pub currency: super::Currency,
}

const GRANT_SELECT: &str = "
    SELECT g.grant_id, g.envelope_id, g.kind, g.beneficiary, g.purpose, g.departement_code, g.commune_code,
           to_char(g.effective_date, 'YYYY-MM-DD') AS awarded_on,
           CASE WHEN c.outcome IS NOT NULL THEN c.outcome
                WHEN m.unpaid = 0 AND m.paid > 0 THEN 'settled'
                ELSE 'active' END AS state,
           to_char(g.deadline, 'YYYY-MM-DD') AS deadline,
           m.unpaid + m.paid AS committed_cents, m.paid AS paid_cents, m.unpaid AS remaining_to_pay_cents,
           m.ordered AS recovery_ordered_cents, m.received AS recovery_received_cents,
           m.outstanding AS recovery_outstanding_cents, m.paid - m.received AS net_cost_cents,
           g.recovery_rule, g.obligation_months
    FROM grants g
    LEFT JOIN grant_closures c ON c.grant_id = g.grant_id AND c.closed_on <= $1
         AND ($2::timestamptz IS NULL OR c.recorded_at <= $2)
    CROSS JOIN LATERAL (
        SELECT COALESCE(SUM(amount_cents) FILTER (WHERE account = 'committed_unpaid'), 0)::bigint AS unpaid,
               COALESCE(SUM(amount_cents) FILTER (WHERE account = 'paid'), 0)::bigint AS paid,
               (-COALESCE(SUM(amount_cents) FILTER (WHERE account = 'recoveries'), 0))::bigint AS ordered,
               COALESCE(SUM(amount_cents) FILTER (WHERE account = 'recovered'), 0)::bigint AS received,
               COALESCE(SUM(amount_cents) FILTER (WHERE account = 'recovery_receivable'), 0)::bigint AS outstanding
        FROM postings p
        WHERE p.subject_id = g.grant_id AND p.envelope_id = g.envelope_id
          AND p.effective_date <= $1 AND ($2::timestamptz IS NULL OR p.recorded_at <= $2)
    ) m
    WHERE g.effective_date <= $1 AND ($2::timestamptz IS NULL OR g.recorded_at <= $2)";

pub async fn grants(pool: &PgPool, filter: &GrantFilter) -> Result<Vec<GrantRow>, ReadModelError> {
    let sql = format!(
        "{GRANT_SELECT}
           AND ($3::text IS NULL OR g.envelope_id = $3)
           AND ($4::text IS NULL OR g.kind = $4)
           AND ($5::text IS NULL OR g.departement_code = $5)
           AND ($6::text IS NULL OR g.grant_id > $6)
         ORDER BY g.grant_id LIMIT $7"
    );
    Ok(sqlx::query_as::<_, GrantRow>(&sql)
        .bind(day(filter.at))
        .bind(filter.at.known_at)
        .bind(&filter.envelope_id)
        .bind(&filter.kind)
        .bind(&filter.departement_code)
        .bind(&filter.after)
        .bind(filter.limit)
        .fetch_all(pool)
        .await?)
}

pub async fn grant(
    pool: &PgPool,
    grant_id: &str,
    at: At,
) -> Result<Option<GrantRow>, ReadModelError> {
    let sql = format!("{GRANT_SELECT} AND g.grant_id = $3");
    Ok(sqlx::query_as::<_, GrantRow>(&sql)
        .bind(day(at))
        .bind(at.known_at)
        .bind(grant_id)
        .fetch_optional(pool)
        .await?)
}

#[derive(Debug, Clone, Default)]
pub struct ObligationFilter {
    pub grant_id: Option<String>,
    /// `open`, `fulfilled` or `breached`, at the date asked.
    pub state: Option<String>,
    pub departement_code: Option<String>,
    /// Open obligations whose term ends by this date.
    pub due_before: Option<Date>,
    pub at: At,
    pub after: Option<String>,
    pub limit: i64,
}

/// An obligation and its state at the date asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ObligationRow {
    pub obligation_id: String,
    pub grant_id: String,
    pub beneficiary: String,
    pub departement_code: Option<String>,
    pub duration_months: i32,
    pub start_date: String,
    /// When the obligation is due to end.
    pub end_date: String,
    pub state: String,
    pub settled_on: Option<String>,
    pub reason: Option<String>,
    pub served_days: Option<i32>,
    pub obligation_days: Option<i32>,
}

pub async fn obligations(
    pool: &PgPool,
    filter: &ObligationFilter,
) -> Result<Vec<ObligationRow>, ReadModelError> {
    let sql = format!(
        "SELECT * FROM (
           SELECT obligation_id, grant_id, beneficiary, departement_code, duration_months,
                  to_char(start_date, {DATE}) AS start_date, to_char(end_date, {DATE}) AS end_date,
                  CASE WHEN settled_on <= $1 AND ($2::timestamptz IS NULL OR settled_recorded_at <= $2)
                       THEN outcome ELSE 'open' END AS state,
                  CASE WHEN settled_on <= $1 AND ($2::timestamptz IS NULL OR settled_recorded_at <= $2)
                       THEN to_char(settled_on, {DATE}) END AS settled_on,
                  reason, served_days, obligation_days, end_date AS due
           FROM obligations
           WHERE start_date <= $1 AND ($2::timestamptz IS NULL OR recorded_at <= $2)
             AND ($3::text IS NULL OR grant_id = $3)
             AND ($4::text IS NULL OR departement_code = $4)
         ) o
         WHERE ($5::text IS NULL OR o.state = $5)
           AND ($6::date IS NULL OR (o.state = 'open' AND o.due <= $6))
           AND ($7::text IS NULL OR o.obligation_id > $7)
         ORDER BY o.obligation_id LIMIT $8"
    );
    let rows = sqlx::query(&sql)
        .bind(day(filter.at))
        .bind(filter.at.known_at)
        .bind(&filter.grant_id)
        .bind(&filter.departement_code)
        .bind(&filter.state)
        .bind(filter.due_before)
        .bind(&filter.after)
        .bind(filter.limit)
        .fetch_all(pool)
        .await?;
    use sqlx::{FromRow, Row};
    rows.iter()
        .map(|row| {
            let mut o = ObligationRow::from_row(row)?;
            // Breach details only once the breach is known at the date.
            if o.state != "breached" {
                o.reason = None;
                o.served_days = None;
                o.obligation_days = None;
            }
            let _: Date = row.try_get("due")?;
            Ok(o)
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

#[derive(Debug, Clone, Default)]
pub struct CentreFilter {
    pub programme_id: Option<String>,
    pub kind: Option<String>,
    pub region_code: Option<String>,
    pub departement_code: Option<String>,
    /// Only centres open at the date asked.
    pub open: Option<bool>,
    pub at: At,
}

/// A centre, whether it is open at the date, and its activity up to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CentreRow {
    pub centre_id: String,
    pub kind: String,
    pub name: String,
    pub finess: String,
    pub region_code: Option<String>,
    pub departement_code: Option<String>,
    pub commune_code: Option<String>,
    pub programme_id: String,
    pub opened_on: String,
    pub closed_on: Option<String>,
    pub open: bool,
    /// Consultations reported for the months up to the date.
    pub consultations: i64,
    /// Patients seen to date, as of the latest report up to the date.
    pub patients_to_date: i64,
}

pub async fn centres(
    pool: &PgPool,
    filter: &CentreFilter,
) -> Result<Vec<CentreRow>, ReadModelError> {
    let sql = format!(
        "SELECT * FROM (
           SELECT c.centre_id, c.kind, c.name, c.finess, c.region_code, c.departement_code, c.commune_code,
                  c.programme_id, to_char(c.opened_on, {DATE}) AS opened_on,
                  CASE WHEN c.closed_on <= $1 AND ($2::timestamptz IS NULL OR c.closed_recorded_at <= $2)
                       THEN to_char(c.closed_on, {DATE}) END AS closed_on,
                  NOT (c.closed_on IS NOT NULL AND c.closed_on <= $1
                       AND ($2::timestamptz IS NULL OR c.closed_recorded_at <= $2)) AS open,
                  COALESCE((SELECT SUM(a.consultations) FROM centre_activity a
                            WHERE a.centre_id = c.centre_id AND a.month <= $1
                              AND ($2::timestamptz IS NULL OR a.recorded_at <= $2)), 0)::bigint AS consultations,
                  COALESCE((SELECT a.patients_to_date FROM centre_activity a
                            WHERE a.centre_id = c.centre_id AND a.month <= $1
                              AND ($2::timestamptz IS NULL OR a.recorded_at <= $2)
                            ORDER BY a.month DESC, a.recorded_at DESC LIMIT 1), 0)::bigint AS patients_to_date
           FROM centres c
           WHERE c.opened_on <= $1 AND ($2::timestamptz IS NULL OR c.recorded_at <= $2)
             AND ($3::text IS NULL OR c.programme_id = $3)
             AND ($4::text IS NULL OR c.kind = $4)
             AND ($5::text IS NULL OR c.region_code = $5)
             AND ($6::text IS NULL OR c.departement_code = $6)
         ) c
         WHERE ($7::boolean IS NULL OR c.open = $7)
         ORDER BY c.opened_on, c.centre_id"
    );
    Ok(sqlx::query_as::<_, CentreRow>(&sql)
        .bind(day(filter.at))
        .bind(filter.at.known_at)
        .bind(&filter.programme_id)
        .bind(&filter.kind)
        .bind(&filter.region_code)
        .bind(&filter.departement_code)
        .bind(filter.open)
        .fetch_all(pool)
        .await?)
}

/// Members of a grouping in one college at the date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MemberCount {
    pub college: String,
    pub members: i64,
}

pub async fn members(
    pool: &PgPool,
    grouping_id: &str,
    at: At,
) -> Result<Vec<MemberCount>, ReadModelError> {
    Ok(sqlx::query_as::<_, MemberCount>(
        "SELECT college, count(*) AS members FROM members
         WHERE grouping_id = $1 AND joined_on <= $2 AND ($3::timestamptz IS NULL OR recorded_at <= $3)
         GROUP BY college ORDER BY college",
    )
    .bind(grouping_id)
    .bind(day(at))
    .bind(at.known_at)
    .fetch_all(pool)
    .await?)
}
