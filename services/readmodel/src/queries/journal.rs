//! The journal behind any balance: its lines, each with its event and the
//! event's Kafka coordinates, in the order they were posted.

use serde::Serialize;
use sqlx::PgPool;

use super::balances::{bind_scope, SCOPE};
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
    /// One account or several: lines of any of them.
    pub account: Option<Vec<String>>,
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
    /// The programme's funder (`region:24`), once the programme is projected.
    pub funder: Option<String>,
    pub region_code: Option<String>,
    pub departement_code: Option<String>,
    pub fiscal_year: i32,
    /// The envelope's M57 imputation.
    pub section: Option<String>,
    pub chapitre: Option<String>,
    pub nature: Option<String>,
    pub fonction: Option<String>,
    pub subject_id: Option<String>,
    pub effective_date: String,
    pub recorded_at: String,
    pub event_type: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// The currency of every amount in this row: euros, in integer cents.
    #[sqlx(skip)]
    pub currency: super::Currency,
}

pub async fn journal(
    pool: &PgPool,
    filter: &JournalFilter,
) -> Result<Vec<Posting>, ReadModelError> {
    let sql = format!(
        "SELECT p.posting_seq, p.event_id::text AS event_id, p.line, p.account, p.amount_cents,
                p.envelope_id, p.programme_id, pr.funder, p.region_code, p.departement_code, p.fiscal_year,
                env.section, env.chapitre, env.nature, env.fonction,
                p.subject_id, to_char(p.effective_date, {DATE}) AS effective_date,
                {recorded} AS recorded_at, e.event_type, e.topic, e.partition, e.\"offset\" AS offset
         FROM postings p
         JOIN events e ON e.event_id = p.event_id
         LEFT JOIN programmes pr ON pr.programme_id = p.programme_id
         JOIN envelopes env ON env.envelope_id = p.envelope_id
         WHERE {SCOPE}
           AND ($8::int IS NULL OR p.fiscal_year = $8)
           AND ($9::text IS NULL OR p.subject_id = $9)
           AND ($10::text[] IS NULL OR p.account = ANY($10))
           AND ($11::bigint IS NULL OR p.posting_seq > $11)
         ORDER BY p.posting_seq
         LIMIT $12",
        recorded = instant("p.recorded_at")
    );
    Ok(
        bind_scope(sqlx::query_as::<_, Posting>(&sql), &filter.scope)
            .bind(filter.scope.fiscal_year)
            .bind(&filter.subject_id)
            .bind(&filter.account)
            .bind(filter.after)
            .bind(filter.limit)
            .fetch_all(pool)
            .await?,
    )
}
