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

/// A text field of an event, `None` when empty (proto3 has no absent strings).
pub(crate) fn nonempty(s: &str) -> Option<&str> {
    Some(s).filter(|s| !s.is_empty())
}

/// A date that may be absent (empty in the event).
pub(crate) fn optional_date(
    consumed: &ConsumedEvent,
    raw: &str,
) -> Result<Option<Date>, ReadModelError> {
    (!raw.is_empty()).then(|| date(consumed, raw)).transpose()
}

/// What every view of an event needs besides its payload.
pub(crate) struct Meta {
    pub event_id: Uuid,
    pub effective_date: Date,
    pub recorded_at: OffsetDateTime,
}

fn timestamp(t: &Option<ledger_proto::Timestamp>) -> Option<OffsetDateTime> {
    t.as_ref().and_then(|t| {
        OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(t.seconds) * 1_000_000_000 + i128::from(t.nanos),
        )
        .ok()
    })
}

async fn apply_one(tx: &mut Tx<'_>, consumed: &ConsumedEvent) -> Result<(), ReadModelError> {
    let event = &consumed.event;
    let payload = event
        .payload
        .as_ref()
        .ok_or_else(|| inapplicable(consumed, "event has no payload"))?;
    let meta = Meta {
        event_id: Uuid::parse_str(&event.event_id)
            .map_err(|_| inapplicable(consumed, "event id is not a UUID"))?,
        effective_date: date(consumed, &event.effective_date)?,
        recorded_at: timestamp(&event.recorded_at)
            .ok_or_else(|| inapplicable(consumed, "recorded_at is missing or out of range"))?,
    };
    let stream = event.stream.clone().unwrap_or_default();
    let stream_version = i64::try_from(event.stream_version)
        .map_err(|_| inapplicable(consumed, "stream version out of range"))?;
    let json = serde_json::to_value(event)
        .map_err(|e| inapplicable(consumed, format!("cannot render the event as JSON: {e}")))?;
    let text = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());

    sqlx::query(
        "INSERT INTO events (event_id, topic, partition, \"offset\", stream_type, stream_id, stream_version,
                             event_type, effective_date, recorded_at, hash, occurred_at, source_system,
                             actor, command_id, correlation_id, causation_id, prev_hash, payload)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
    )
    .bind(meta.event_id)
    .bind(&consumed.topic)
    .bind(consumed.partition)
    .bind(consumed.offset)
    .bind(&stream.r#type)
    .bind(&stream.id)
    .bind(stream_version)
    .bind(payload.type_name())
    .bind(meta.effective_date)
    .bind(meta.recorded_at)
    .bind(&event.hash)
    .bind(timestamp(&event.occurred_at))
    .bind(text(&event.source_system))
    .bind(text(&event.actor))
    .bind(text(&event.command_id))
    .bind(text(&event.correlation_id))
    .bind(text(&event.causation_id))
    .bind(&event.prev_hash)
    .bind(json)
    .execute(&mut **tx)
    .await
    .map_err(|e| inapplicable(consumed, format!("cannot index event: {e}")))?;

    use ledger_proto::v1::event_envelope::Payload as P;
    match payload {
        P::PostOpened(_)
        | P::PostClosed(_)
        | P::ProfessionalHired(_)
        | P::ProfessionalLeft(_)
        | P::ProfessionalInstalled(_) => {
            crate::workforce::apply(tx, consumed, &meta, payload).await
        }
        P::CentreOpened(_) | P::CentreClosed(_) | P::ActivityReported(_) | P::MemberJoined(_) => {
            crate::centres::apply(tx, consumed, &meta, payload).await
        }
        P::ObligationStarted(_) | P::ObligationFulfilled(_) | P::ObligationBreached(_) => {
            crate::obligations::apply(tx, consumed, &meta, payload).await
        }
        _ => crate::budget::apply(tx, consumed, &meta, payload).await,
    }
}
