//! Applying events to the read model, exactly once.

use ledger_proto::v1::EventEnvelope;
use sqlx::{PgPool, Postgres, Transaction};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::ReadModelError;

/// An event as consumed, with its coordinates.
#[derive(Debug, Clone)]
pub struct ConsumedEvent {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub event: EventEnvelope,
}

/// The next offset to read in one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionOffset {
    pub topic: String,
    pub partition: i32,
    pub next_offset: i64,
}

/// One named projection (its rows and its offsets).
#[derive(Debug, Clone)]
pub struct Projection {
    pub name: String,
    pool: PgPool,
}

pub(crate) type Tx<'a> = Transaction<'a, Postgres>;

impl Projection {
    pub fn new(name: impl Into<String>, pool: PgPool) -> Self {
        Self {
            name: name.into(),
            pool,
        }
    }

    /// Where to resume: the stored next offset of every partition seen so far.
    pub async fn offsets(&self) -> Result<Vec<PartitionOffset>, ReadModelError> {
        let rows: Vec<(String, i32, i64)> = sqlx::query_as(
            "SELECT topic, partition, next_offset FROM projection_offsets WHERE projection = $1",
        )
        .bind(&self.name)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(topic, partition, next_offset)| PartitionOffset {
                topic,
                partition,
                next_offset,
            })
            .collect())
    }

    /// Applies `events` and advances `advance` (which may also cover records
    /// that carried no event, such as transaction markers) in one transaction.
    pub async fn apply_batch(
        &self,
        events: &[ConsumedEvent],
        advance: &[PartitionOffset],
    ) -> Result<(), ReadModelError> {
        let mut tx = self.pool.begin().await?;
        for consumed in events {
            apply_one(&mut tx, consumed).await?;
        }
        for position in advance {
            sqlx::query(
                "INSERT INTO projection_offsets (projection, topic, partition, next_offset)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (projection, topic, partition)
                 DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()",
            )
            .bind(&self.name)
            .bind(&position.topic)
            .bind(position.partition)
            .bind(position.next_offset)
            .execute(&mut *tx)
            .await?;
            // The partition moves again: whatever stopped it has been dealt with.
            sqlx::query("DELETE FROM projection_faults WHERE projection = $1 AND topic = $2 AND partition = $3")
                .bind(&self.name)
                .bind(&position.topic)
                .bind(position.partition)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records that a partition is stuck at an event it cannot apply.
    pub async fn record_fault(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        event_id: Option<&str>,
        error: &str,
    ) -> Result<(), ReadModelError> {
        sqlx::query(
            "INSERT INTO projection_faults (projection, topic, partition, \"offset\", event_id, error)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (projection, topic, partition)
             DO UPDATE SET \"offset\" = EXCLUDED.\"offset\", event_id = EXCLUDED.event_id,
                           error = EXCLUDED.error, detected_at = now()",
        )
        .bind(&self.name)
        .bind(topic)
        .bind(partition)
        .bind(offset)
        .bind(event_id)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

pub(crate) fn inapplicable(consumed: &ConsumedEvent, reason: impl Into<String>) -> ReadModelError {
    ReadModelError::Inapplicable {
        topic: consumed.topic.clone(),
        partition: consumed.partition,
        offset: consumed.offset,
        event_id: consumed.event.event_id.clone(),
        reason: reason.into(),
    }
}

pub(crate) fn date(consumed: &ConsumedEvent, raw: &str) -> Result<Date, ReadModelError> {
    ledger_domain::dates::parse_date("date", raw).map_err(|e| inapplicable(consumed, e.to_string()))
}

async fn apply_one(tx: &mut Tx<'_>, consumed: &ConsumedEvent) -> Result<(), ReadModelError> {
    let event = &consumed.event;
    let payload = event
        .payload
        .as_ref()
        .ok_or_else(|| inapplicable(consumed, "event has no payload"))?;
    let event_id = Uuid::parse_str(&event.event_id)
        .map_err(|_| inapplicable(consumed, "event id is not a UUID"))?;
    let stream = event.stream.clone().unwrap_or_default();
    let recorded_at = event
        .recorded_at
        .as_ref()
        .and_then(|t| {
            OffsetDateTime::from_unix_timestamp_nanos(
                i128::from(t.seconds) * 1_000_000_000 + i128::from(t.nanos),
            )
            .ok()
        })
        .ok_or_else(|| inapplicable(consumed, "recorded_at is missing or out of range"))?;
    let stream_version = i64::try_from(event.stream_version)
        .map_err(|_| inapplicable(consumed, "stream version out of range"))?;

    sqlx::query(
        "INSERT INTO events (event_id, topic, partition, \"offset\", stream_type, stream_id, stream_version,
                             event_type, effective_date, recorded_at, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(event_id)
    .bind(&consumed.topic)
    .bind(consumed.partition)
    .bind(consumed.offset)
    .bind(&stream.r#type)
    .bind(&stream.id)
    .bind(stream_version)
    .bind(payload.type_name())
    .bind(date(consumed, &event.effective_date)?)
    .bind(recorded_at)
    .bind(&event.hash)
    .execute(&mut **tx)
    .await
    .map_err(|e| inapplicable(consumed, format!("cannot index event: {e}")))?;

    crate::budget::apply(tx, consumed, event_id, payload).await
}
