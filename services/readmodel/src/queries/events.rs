//! One event by id: its coordinates, hash chain links and content.

use serde::Serialize;
use sqlx::PgPool;

use super::{instant, DATE};
use crate::ReadModelError;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct EventRecord {
    pub event_id: String,
    pub event_type: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub stream_type: String,
    pub stream_id: String,
    pub stream_version: i64,
    pub effective_date: String,
    pub recorded_at: String,
    /// SHA-256 of the event, hex.
    pub hash: String,
    /// The previous event's hash in the same stream, hex (empty for the first).
    pub prev_hash: Option<String>,
    /// The whole event in the proto3 JSON mapping.
    #[schema(value_type = Option<Object>)]
    pub event: Option<serde_json::Value>,
}

pub async fn event(
    pool: &PgPool,
    event_id: uuid::Uuid,
) -> Result<Option<EventRecord>, ReadModelError> {
    let sql = format!(
        "SELECT event_id::text AS event_id, event_type, topic, partition, \"offset\" AS offset,
                stream_type, stream_id, stream_version, to_char(effective_date, {DATE}) AS effective_date,
                {recorded} AS recorded_at, encode(hash, 'hex') AS hash, encode(prev_hash, 'hex') AS prev_hash,
                payload AS event
         FROM events WHERE event_id = $1",
        recorded = instant("recorded_at")
    );
    Ok(sqlx::query_as::<_, EventRecord>(&sql)
        .bind(event_id)
        .fetch_optional(pool)
        .await?)
}
