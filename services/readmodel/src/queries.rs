//! What the read API asks of the read model.

use serde::Serialize;
use sqlx::PgPool;

use crate::ReadModelError;

/// The balance of one envelope, in cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
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
    /// Restes à payer: committed − paid.
    pub remaining_to_pay_cents: i64,
    pub recovery_ordered_cents: i64,
    pub recovery_received_cents: i64,
    pub grants: i64,
}

pub async fn envelope_balance(
    pool: &PgPool,
    envelope_id: &str,
) -> Result<Option<EnvelopeBalance>, ReadModelError> {
    let row = sqlx::query_as::<_, EnvelopeBalance>(
        "SELECT e.envelope_id, e.programme_id, e.kind, e.label, e.vote_reference,
                e.voted_cents, e.committed_cents, e.voted_cents - e.committed_cents AS available_cents,
                e.paid_cents, e.committed_cents - e.paid_cents AS remaining_to_pay_cents,
                e.recovery_ordered_cents, e.recovery_received_cents,
                (SELECT count(*) FROM grants g WHERE g.envelope_id = e.envelope_id) AS grants
         FROM envelopes e WHERE e.envelope_id = $1",
    )
    .bind(envelope_id)
    .fetch_optional(pool)
    .await?;
    Ok(row)
}

/// Whether `projection` has applied the record at `offset` of `topic/partition`.
pub async fn has_reached(
    pool: &PgPool,
    projection: &str,
    topic: &str,
    partition: i32,
    offset: i64,
) -> Result<bool, ReadModelError> {
    let next: Option<i64> = sqlx::query_scalar(
        "SELECT next_offset FROM projection_offsets WHERE projection = $1 AND topic = $2 AND partition = $3",
    )
    .bind(projection)
    .bind(topic)
    .bind(partition)
    .fetch_optional(pool)
    .await?;
    Ok(next.is_some_and(|next| next > offset))
}

/// A partition the projection cannot advance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Fault {
    pub projection: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub event_id: Option<String>,
    pub error: String,
}

pub async fn faults(pool: &PgPool) -> Result<Vec<Fault>, ReadModelError> {
    Ok(sqlx::query_as::<_, Fault>(
        "SELECT projection, topic, partition, \"offset\" AS offset, event_id, error
         FROM projection_faults ORDER BY projection, topic, partition",
    )
    .fetch_all(pool)
    .await?)
}
