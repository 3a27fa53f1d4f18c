//! The catalogue: programmes, their funders and envelopes — what a client
//! (the dashboard among them) needs to name and pick what it asks about.

use serde::Serialize;
use sqlx::PgPool;

use super::{day, At, DATE};
use crate::ReadModelError;

/// One envelope of a programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct EnvelopeSummary {
    pub envelope_id: String,
    /// An envelope kind of the contract (ENVELOPE_KIND_…).
    pub kind: String,
    pub label: String,
    /// The assembly's vote (délibération) that opened it.
    pub vote_reference: String,
    pub period_start: String,
    pub period_end: String,
}

/// A programme, its funder and its envelopes opened by the date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProgrammeRow {
    pub programme_id: String,
    pub name: String,
    /// The funder's key, as balances are filtered and grouped by (`region:24`).
    pub funder: String,
    pub funder_name: String,
    pub period_start: String,
    pub period_end: String,
    pub envelopes: Vec<EnvelopeSummary>,
}

#[derive(sqlx::FromRow)]
struct Programme {
    programme_id: String,
    name: String,
    funder: String,
    funder_name: String,
    period_start: String,
    period_end: String,
}

#[derive(sqlx::FromRow)]
struct Envelope {
    programme_id: String,
    #[sqlx(flatten)]
    summary: EnvelopeSummary,
}

/// Programmes and envelopes whose opening is effective by the date and was
/// recorded by the moment, ordered by funder then programme, envelopes by
/// id. Envelopes and their programme live in different partitions, so an
/// envelope whose programme the view has not seen yet is left out.
pub async fn programmes(pool: &PgPool, at: At) -> Result<Vec<ProgrammeRow>, ReadModelError> {
    let programmes = sqlx::query_as::<_, Programme>(&format!(
        "SELECT p.programme_id, p.name, p.funder, p.funder_name,
                to_char(p.period_start, {DATE}) AS period_start,
                to_char(p.period_end, {DATE}) AS period_end
         FROM programmes p JOIN events e USING (event_id)
         WHERE e.effective_date <= $1 AND ($2::timestamptz IS NULL OR e.recorded_at <= $2)
         ORDER BY p.funder, p.programme_id"
    ))
    .bind(day(at))
    .bind(at.known_at)
    .fetch_all(pool)
    .await?;
    let envelopes = sqlx::query_as::<_, Envelope>(&format!(
        "SELECT v.programme_id, v.envelope_id, v.kind, v.label, v.vote_reference,
                to_char(v.period_start, {DATE}) AS period_start,
                to_char(v.period_end, {DATE}) AS period_end
         FROM envelopes v JOIN events e USING (event_id)
         WHERE e.effective_date <= $1 AND ($2::timestamptz IS NULL OR e.recorded_at <= $2)
         ORDER BY v.envelope_id"
    ))
    .bind(day(at))
    .bind(at.known_at)
    .fetch_all(pool)
    .await?;
    Ok(programmes
        .into_iter()
        .map(|p| ProgrammeRow {
            envelopes: envelopes
                .iter()
                .filter(|e| e.programme_id == p.programme_id)
                .map(|e| e.summary.clone())
                .collect(),
            programme_id: p.programme_id,
            name: p.name,
            funder: p.funder,
            funder_name: p.funder_name,
            period_start: p.period_start,
            period_end: p.period_end,
        })
        .collect())
}
