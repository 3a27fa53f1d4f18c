//! Where the projection stands: positions and faults.

use serde::Serialize;
use sqlx::PgPool;

use crate::ReadModelError;

/// Whether `projection` has applied the record at `offset` of `topic/partition`.
/// Whether the projection has applied `offset` of a partition; `None` when
/// it follows no such partition (every partition it follows has a row from
/// the projector's first start, at offset 0).
pub async fn has_reached(
    pool: &PgPool,
    projection: &str,
    topic: &str,
    partition: i32,
    offset: i64,
) -> Result<Option<bool>, ReadModelError> {
    let next: Option<i64> = sqlx::query_scalar(
        "SELECT next_offset FROM projection_offsets WHERE projection = $1 AND topic = $2 AND partition = $3",
    )
    .bind(projection)
    .bind(topic)
    .bind(partition)
    .fetch_optional(pool)
    .await?;
    Ok(next.map(|next| next > offset))
}

/// A partition the projection cannot advance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
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

/// The next offset the projection will apply in one partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StoredOffset {
    pub topic: String,
    pub partition: i32,
    pub next_offset: i64,
    pub updated_at: String,
    /// The projector instance holding the partition, if any.
    pub owner: Option<String>,
    /// Raised at every claim; writes under an older epoch are refused.
    pub epoch: i64,
}

pub async fn offsets(pool: &PgPool, projection: &str) -> Result<Vec<StoredOffset>, ReadModelError> {
    let sql = format!(
        "SELECT topic, partition, next_offset, {} AS updated_at, owner, epoch FROM projection_offsets
         WHERE projection = $1 ORDER BY topic, partition",
        super::instant("updated_at")
    );
    Ok(sqlx::query_as::<_, StoredOffset>(&sql)
        .bind(projection)
        .fetch_all(pool)
        .await?)
}

/// A database outage a projector lived through (retried, not faulted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Outage {
    pub instance: String,
    pub started_at: String,
    pub ended_at: String,
    pub retries: i32,
    /// The last error seen while it lasted.
    pub error: String,
}

/// The most recent outages of `projection`, newest first.
pub async fn outages(
    pool: &PgPool,
    projection: &str,
    limit: i64,
) -> Result<Vec<Outage>, ReadModelError> {
    let sql = format!(
        "SELECT instance, {} AS started_at, {} AS ended_at, retries, error FROM projection_outages
         WHERE projection = $1 ORDER BY started_at DESC LIMIT $2",
        super::instant("started_at"),
        super::instant("ended_at")
    );
    Ok(sqlx::query_as::<_, Outage>(&sql)
        .bind(projection)
        .bind(limit)
        .fetch_all(pool)
        .await?)
}
