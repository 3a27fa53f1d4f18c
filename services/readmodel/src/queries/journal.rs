//! The journal behind any balance: its lines, each with its event and the
//! event's Kafka coordinates, in the order they were posted.

use serde::Serialize;
use sqlx::PgPool;

use super::{instant, BalanceFilter, DATE};
use crate::ReadModelError;

/// Which lines to list: those of a balance, narrowed to a subject or an
/// account. `after` is the cursor: the `posting_seq` of the last line of the
/// previous page.
#[derive(Debug, Clone, Default)]
pub struct JournalFilter {
    /// The lines a balance with this filter would sum (its grouping aside).
    pub scope: BalanceFilter,
    pub subject_id: Option<String>,
    pub account: Option<String>,
    pub after: Option<i64>,
    pub limit: i64,
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Posting {
    pub posting_seq: i64,
    pub event_id: String,
    pub line: i16,
    pub account: String,
    /// Debit positive, credit negative.
    pub amount_cents: i64,
    pub envelope_id: String,
    pub programme_id: String,
    pub region_code: Option<String>,
    pub departement_code: Option<String>,
    pub fiscal_year: i32,
    pub subject_id: Option<String>,
    pub effective_date: String,
    pub recorded_at: String,
    pub event_type: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

pub async fn journal(
    pool: &PgPool,
    filter: &JournalFilter,
) -> Result<Vec<Posting>, ReadModelError> {
    let sql = format!(
        "SELECT p.posting_seq, p.event_id::text AS event_id, p.line, p.account, p.amount_cents,
                p.envelope_id, p.programme_id, p.region_code, p.departement_code, p.fiscal_year,
                p.subject_id, to_char(p.effective_date, {DATE}) AS effective_date,
                {recorded} AS recorded_at, e.event_type, e.topic, e.partition, e.\"offset\" AS offset
         FROM postings p
         JOIN events e ON e.event_id = p.event_id
         LEFT JOIN programmes pr ON pr.programme_id = p.programme_id
         WHERE ($1::text IS NULL OR p.envelope_id = $1)
           AND ($2::text IS NULL OR p.programme_id = $2)
           AND ($3::text IS NULL OR pr.funder_code = $3)
           AND ($4::text IS NULL OR p.region_code = $4)
           AND ($5::text IS NULL OR p.departement_code = $5)
           AND ($6::int IS NULL OR p.fiscal_year = $6)
           AND ($7::text IS NULL OR p.subject_id = $7)
           AND ($8::text IS NULL OR p.account = $8)
           AND ($9::date IS NULL OR p.effective_date <= $9)
           AND ($10::timestamptz IS NULL OR p.recorded_at <= $10)
           AND ($11::bigint IS NULL OR p.posting_seq > $11)
         ORDER BY p.posting_seq
         LIMIT $12",
        recorded = instant("p.recorded_at")
    );
    Ok(sqlx::query_as::<_, Posting>(&sql)
        .bind(&filter.scope.envelope_id)
        .bind(&filter.scope.programme_id)
        .bind(&filter.scope.funder_code)
        .bind(&filter.scope.region_code)
        .bind(&filter.scope.departement_code)
        .bind(filter.scope.fiscal_year)
        .bind(&filter.subject_id)
        .bind(&filter.account)
        .bind(filter.scope.at.as_of)
        .bind(filter.scope.at.known_at)
        .bind(filter.after)
        .bind(filter.limit)
        .fetch_all(pool)
        .await?)
}
