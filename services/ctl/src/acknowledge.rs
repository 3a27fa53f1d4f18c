//! Moving a stopped partition past a record that is not an event its
//! writer signed (undecodable, unsigned, signed by another key): ops look at
//! it, then acknowledge it with a reason. The acknowledgement is the audit
//! entry (who, when, why, and what the projector said of the record); the
//! projector passes over that one record and goes on. A genuine event that
//! cannot be applied is never acknowledged away: its cause must be fixed.

use std::sync::Arc;

use ledger_domain::signing::KeyRing;
use ledger_kafka::{read_one, KafkaConfig, KafkaError};
use ledger_readmodel::{Body, Record};
use serde::Serialize;
use sqlx::{Connection, PgConnection};

/// What to acknowledge, and who says so.
pub struct Acknowledgement<'a> {
    pub database_url: &'a str,
    pub projection: &'a str,
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    pub reason: &'a str,
    pub by: &'a str,
    pub kafka: &'a KafkaConfig,
    pub ring: &'a KeyRing,
}

/// The audit entry written.
#[derive(Debug, Clone, Serialize)]
pub struct Acknowledged {
    pub projection: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub refused_because: String,
    pub reason: String,
    pub acknowledged_by: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AcknowledgeError {
    #[error("partition {topic}/{partition} of projection {projection} is not stopped")]
    NotStopped {
        projection: String,
        topic: String,
        partition: i32,
    },
    #[error("partition {topic}/{partition} is stopped at offset {at}, not {offset}")]
    OtherOffset {
        topic: String,
        partition: i32,
        at: i64,
        offset: i64,
    },
    #[error(
        "the record at {topic}/{partition}@{offset} is an event its writer signed: it cannot be \
         acknowledged away; fix what keeps it from applying"
    )]
    SignedEvent {
        topic: String,
        partition: i32,
        offset: i64,
    },
    #[error("the reason is required (at most 2,000 characters), and so is who acknowledges")]
    Unexplained,
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

pub async fn acknowledge(a: Acknowledgement<'_>) -> Result<Acknowledged, AcknowledgeError> {
    if a.reason.trim().is_empty()
        || a.reason.chars().count() > 2000
        || a.by.trim().is_empty()
        || a.by.chars().count() > 128
    {
        return Err(AcknowledgeError::Unexplained);
    }
    // What is in the log there, checked as the projector checks it.
    if let Some(raw) = read_one(a.kafka, a.topic, a.partition, a.offset).await? {
        let record = Record::decode(
            Arc::from(a.topic),
            a.partition,
            a.offset,
            &raw.payload,
            a.ring,
        );
        if matches!(record.body, Body::Event(_)) {
            return Err(AcknowledgeError::SignedEvent {
                topic: a.topic.to_owned(),
                partition: a.partition,
                offset: a.offset,
            });
        }
    }
    let mut conn = PgConnection::connect(a.database_url).await?;
    let mut tx = conn.begin().await?;
    let fault: Option<(i64, String)> = sqlx::query_as(
        "SELECT \"offset\", error FROM projection_faults
         WHERE projection = $1 AND topic = $2 AND partition = $3 FOR UPDATE",
    )
    .bind(a.projection)
    .bind(a.topic)
    .bind(a.partition)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((at, refused_because)) = fault else {
        return Err(AcknowledgeError::NotStopped {
            projection: a.projection.to_owned(),
            topic: a.topic.to_owned(),
            partition: a.partition,
        });
    };
    if at != a.offset {
        return Err(AcknowledgeError::OtherOffset {
            topic: a.topic.to_owned(),
            partition: a.partition,
            at,
            offset: a.offset,
        });
    }
    sqlx::query(
        "INSERT INTO ledger_ops.acknowledged_records
            (projection, topic, partition, \"offset\", refused_because, reason, acknowledged_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(a.projection)
    .bind(a.topic)
    .bind(a.partition)
    .bind(a.offset)
    .bind(&refused_because)
    .bind(a.reason.trim())
    .bind(a.by.trim())
    .execute(&mut *tx)
    .await?;
    // The projector sees the fault gone at its next heartbeat and resumes
    // the partition, passing over this one record.
    sqlx::query(
        "DELETE FROM projection_faults WHERE projection = $1 AND topic = $2 AND partition = $3",
    )
    .bind(a.projection)
    .bind(a.topic)
    .bind(a.partition)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(
        topic = a.topic,
        partition = a.partition,
        offset = a.offset,
        by = a.by,
        "record acknowledged"
    );
    Ok(Acknowledged {
        projection: a.projection.to_owned(),
        topic: a.topic.to_owned(),
        partition: a.partition,
        offset: a.offset,
        refused_because,
        reason: a.reason.trim().to_owned(),
        acknowledged_by: a.by.trim().to_owned(),
    })
}
