//! Crédits de paiement against what was mandated, and the état des AP/AE:
//! what a controller attaches to the compte administratif.

use serde::Serialize;
use sqlx::PgPool;

use super::{balances, day, At, Balance, BalanceFilter, GroupBy};
use crate::ReadModelError;

/// Which CP lines to show.
#[derive(Debug, Clone, Default)]
pub struct CreditFilter {
    /// A funder key (`region:24`).
    pub funder: Option<String>,
    pub fiscal_year: Option<i32>,
    pub chapitre: Option<String>,
    pub at: At,
}

/// One chapter's CP for one fiscal year: voted (budget primitif and
/// décisions modificatives), mandated on its envelopes, and the execution
/// rate as an exact fraction (mandated / voted) and in whole basis points
/// (rounded down).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CreditRow {
    pub funder: String,
    pub fiscal_year: i32,
    pub section: String,
    pub chapitre: String,
    pub voted_cents: i64,
    pub mandated_cents: i64,
    /// voted − mandated.
    pub available_cents: i64,
    /// ⌊10 000 × mandated / voted⌋; absent while nothing is voted.
    pub execution_basis_points: Option<i64>,
    /// The currency of every amount in this row: euros, in integer cents.
    #[sqlx(skip)]
    pub currency: super::Currency,
}

pub async fn credits(
    pool: &PgPool,
    filter: &CreditFilter,
) -> Result<Vec<CreditRow>, ReadModelError> {
    Ok(sqlx::query_as::<_, CreditRow>(
        "WITH voted AS (
            SELECT funder, fiscal_year, section, chapitre, SUM(delta_cents)::bigint AS v
            FROM credit_votes
            WHERE ($4::date IS NULL OR effective_date <= $4)
              AND ($5::timestamptz IS NULL OR recorded_at <= $5)
            GROUP BY 1, 2, 3, 4),
         mandated AS (
            SELECT pr.funder, p.fiscal_year, e.section, e.chapitre, SUM(p.amount_cents)::bigint AS m
            FROM postings p
            JOIN envelopes e ON e.envelope_id = p.envelope_id
            JOIN programmes pr ON pr.programme_id = e.programme_id
            WHERE p.account = 'paid' AND e.chapitre IS NOT NULL
              AND ($4::date IS NULL OR p.effective_date <= $4)
              AND ($5::timestamptz IS NULL OR p.recorded_at <= $5)
            GROUP BY 1, 2, 3, 4)
         SELECT funder, fiscal_year, section, chapitre,
                COALESCE(v.v, 0) AS voted_cents, COALESCE(m.m, 0) AS mandated_cents,
                COALESCE(v.v, 0) - COALESCE(m.m, 0) AS available_cents,
                CASE WHEN COALESCE(v.v, 0) > 0 THEN COALESCE(m.m, 0) * 10000 / v.v END AS execution_basis_points
         FROM voted v FULL JOIN mandated m USING (funder, fiscal_year, section, chapitre)
         WHERE ($1::text IS NULL OR funder = $1)
           AND ($2::int IS NULL OR fiscal_year = $2)
           AND ($3::text IS NULL OR chapitre = $3)
         ORDER BY funder, fiscal_year, section, chapitre",
    )
    .bind(&filter.funder)
    .bind(filter.fiscal_year)
    .bind(&filter.chapitre)
    .bind(day(filter.at))
    .bind(filter.at.known_at)
    .fetch_all(pool)
    .await?)
}

/// One year of an AP/AE's CP schedule against what it mandated that year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ScheduleYear {
    pub fiscal_year: i32,
    /// CP the envelope's schedule plans for the year (0 if none).
    pub scheduled_cents: i64,
    /// Mandated on the envelope in that fiscal year.
    pub paid_cents: i64,
}

/// One AP/AE in the état des AP/AE, at a date as known at a moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EtatRow {
    pub envelope_id: String,
    pub programme_id: String,
    pub funder: Option<String>,
    pub kind: String,
    pub label: String,
    pub vote_reference: String,
    pub section: Option<String>,
    pub chapitre: Option<String>,
    pub nature: Option<String>,
    pub fonction: Option<String>,
    /// Voted when opened.
    pub voted_initially_cents: i64,
    /// Revisions since (± décisions modificatives).
    pub revisions_cents: i64,
    /// Voted to date: initially + revisions.
    pub voted_cents: i64,
    /// Affected and committed (engagements), to date.
    pub committed_cents: i64,
    pub paid_to_date_cents: i64,
    /// Cancelled at closure.
    pub cancelled_cents: i64,
    /// Left to commit.
    pub available_cents: i64,
    /// Restes à payer at the date.
    pub remaining_to_pay_cents: i64,
    /// CP schedule in force and what was mandated, by fiscal year.
    pub cp_schedule: Vec<ScheduleYear>,
    /// The currency of every amount in this row: euros, in integer cents.
    pub currency: super::Currency,
}

/// The état des AP/AE of a funder (or programme), one row per envelope.
pub async fn etat_ap_ae(
    pool: &PgPool,
    funder: Option<String>,
    programme_id: Option<String>,
    at: At,
) -> Result<Vec<EtatRow>, ReadModelError> {
    let filter = BalanceFilter {
        funder: funder.clone(),
        programme_id: programme_id.clone(),
        at,
        group_by: Some(GroupBy::Envelope),
        ..BalanceFilter::default()
    };
    let figures: std::collections::HashMap<String, Balance> = balances(pool, &filter)
        .await?
        .into_iter()
        .map(|b| (b.key.clone(), b))
        .collect();
    type Described = (
        String,
        String,
        Option<String>,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
    );
    let envelopes: Vec<Described> = sqlx::query_as(
        "SELECT e.envelope_id, e.programme_id, pr.funder, e.kind, e.label, e.vote_reference,
                e.section, e.chapitre, e.nature, e.fonction,
                COALESCE((SELECT -SUM(p.amount_cents) FROM postings p JOIN events ev ON ev.event_id = p.event_id
                          WHERE p.envelope_id = e.envelope_id AND p.account = 'authorised'
                            AND ev.event_type = 'EnvelopeOpened'), 0)::bigint
         FROM envelopes e LEFT JOIN programmes pr ON pr.programme_id = e.programme_id
         JOIN events ev ON ev.event_id = e.event_id
         WHERE ($1::text IS NULL OR pr.funder = $1)
           AND ($2::text IS NULL OR e.programme_id = $2)
           AND ($3::date IS NULL OR ev.effective_date <= $3)
           AND ($4::timestamptz IS NULL OR ev.recorded_at <= $4)
         ORDER BY e.envelope_id",
    )
    .bind(&funder)
    .bind(&programme_id)
    .bind(day(at))
    .bind(at.known_at)
    .fetch_all(pool)
    .await?;
    // The schedule in force: the one set by the latest event that set one.
    let schedules: Vec<(String, i32, i64, i64)> = sqlx::query_as(
        "WITH in_force AS (
            SELECT DISTINCT ON (s.envelope_id) s.envelope_id, s.event_id
            FROM envelope_cp_schedules s
            WHERE ($1::date IS NULL OR s.effective_date <= $1)
              AND ($2::timestamptz IS NULL OR s.recorded_at <= $2)
            ORDER BY s.envelope_id, s.recorded_at DESC),
         scheduled AS (
            SELECT s.envelope_id, s.fiscal_year, s.amount_cents
            FROM envelope_cp_schedules s JOIN in_force f USING (envelope_id, event_id)),
         paid AS (
            SELECT p.envelope_id, p.fiscal_year, SUM(p.amount_cents)::bigint AS cents
            FROM postings p
            WHERE p.account = 'paid'
              AND ($1::date IS NULL OR p.effective_date <= $1)
              AND ($2::timestamptz IS NULL OR p.recorded_at <= $2)
            GROUP BY 1, 2)
         SELECT envelope_id, fiscal_year, COALESCE(s.amount_cents, 0)::bigint, COALESCE(p.cents, 0)::bigint
         FROM scheduled s FULL JOIN paid p USING (envelope_id, fiscal_year)
         ORDER BY envelope_id, fiscal_year",
    )
    .bind(day(at))
    .bind(at.known_at)
    .fetch_all(pool)
    .await?;
    let mut by_envelope: std::collections::HashMap<String, Vec<ScheduleYear>> = Default::default();
    for (envelope_id, fiscal_year, scheduled_cents, paid_cents) in schedules {
        by_envelope
            .entry(envelope_id)
            .or_default()
            .push(ScheduleYear {
                fiscal_year,
                scheduled_cents,
                paid_cents,
            });
    }
    Ok(envelopes
        .into_iter()
        .map(
            |(
                envelope_id,
                programme_id,
                funder,
                kind,
                label,
                vote_reference,
                section,
                chapitre,
                nature,
                fonction,
                initially,
            )| {
                let b = figures.get(&envelope_id).cloned().unwrap_or_default();
                EtatRow {
                    currency: super::Currency::Eur,
                    cp_schedule: by_envelope.remove(&envelope_id).unwrap_or_default(),
                    envelope_id,
                    programme_id,
                    funder,
                    kind,
                    label,
                    vote_reference,
                    section,
                    chapitre,
                    nature,
                    fonction,
                    voted_initially_cents: initially,
                    revisions_cents: b.voted_cents - initially,
                    voted_cents: b.voted_cents,
                    committed_cents: b.committed_cents,
                    paid_to_date_cents: b.paid_cents,
                    cancelled_cents: b.cancelled_cents,
                    available_cents: b.available_cents,
                    remaining_to_pay_cents: b.remaining_to_pay_cents,
                }
            },
        )
        .collect())
}
