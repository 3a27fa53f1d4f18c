//! The hash-chain audit: every event of every stream must be signed by a key
//! trusted for its topic's writer, follow its stream's previous event
//! (version + 1, `prev_hash` = that event's hash) and carry the hash of its
//! own bytes. The first link of each stream that does not is named
//! precisely: topic, partition, offset, stream, version, and why.

use ledger_domain::{
    chain::{ChainError, StreamHeads},
    signing::KeyRing,
};
use ledger_kafka::{read_to_end, KafkaConfig, KafkaError};
use ledger_proto::{registry::Context, v1::EventEnvelope};
use prost::Message;
use serde::Serialize;
use std::collections::HashMap;

/// A link that breaks its chain, or a record that is not an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Broken {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub event_id: Option<String>,
    pub why: String,
}

/// What the audit of one topic found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TopicAudit {
    pub topic: String,
    pub events: u64,
    pub streams: u64,
    /// Every broken link, in the order read (per partition, by offset); a
    /// stream whose link broke is not checked further, so one tampered
    /// event is reported once.
    pub broken: Vec<Broken>,
}

struct Walk {
    audit: TopicAudit,
    heads: StreamHeads,
    streams: std::collections::HashSet<(String, String)>,
    /// Streams already reported broken.
    skipped: std::collections::HashSet<(String, String)>,
    /// The read model's last event per partition, not yet met in the log.
    projected: HashMap<i32, (i64, String, Vec<u8>)>,
}

/// The last event the read model projected from each partition of `topic`:
/// the log must still hold it, at that offset, with that hash. A log that
/// ends before it lost its tail (truncated, or records deleted), which the
/// chain alone cannot tell.
#[derive(Debug, Clone, Default)]
pub struct Projected {
    /// partition → (offset, event id, hash)
    pub last: HashMap<i32, (i64, String, Vec<u8>)>,
}

impl Projected {
    /// Read from the read model at `database_url`.
    pub async fn load(database_url: &str, topic: &str) -> Result<Projected, sqlx::Error> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(database_url).await?;
        let rows: Vec<(i32, i64, String, Vec<u8>)> = sqlx::query_as(
            "SELECT DISTINCT ON (partition) partition, \"offset\", event_id::text, hash
             FROM events WHERE topic = $1 ORDER BY partition, \"offset\" DESC",
        )
        .bind(topic)
        .fetch_all(&mut conn)
        .await?;
        Ok(Projected {
            last: rows
                .into_iter()
                .map(|(p, o, id, h)| (p, (o, id, h)))
                .collect(),
        })
    }
}

/// Reads `topic` from offset zero to its end and checks every chain, and
/// that the log still holds what the read model `projected` from it.
/// `progress` is called with the number of events read so far.
pub async fn audit_topic(
    kafka: &KafkaConfig,
    ring: &KeyRing,
    topic: &str,
    projected: Projected,
    progress: impl Fn(u64) + Send + 'static,
) -> Result<TopicAudit, KafkaError> {
    let name = topic.to_owned();
    let ring = ring.clone();
    let context = Context::of_topic(topic).map_or("(not an event topic)", Context::name);
    let walk = Walk {
        audit: TopicAudit {
            topic: topic.to_owned(),
            ..TopicAudit::default()
        },
        heads: StreamHeads::default(),
        streams: Default::default(),
        skipped: Default::default(),
        projected: projected.last,
    };
    let walk = read_to_end(kafka, topic, walk, move |walk, record| {
        walk.audit.events += 1;
        if walk.audit.events % 10_000 == 0 {
            progress(walk.audit.events);
        }
        let broken = |event_id: Option<String>, why: String| Broken {
            topic: name.clone(),
            partition: record.partition,
            offset: record.offset,
            event_id,
            why,
        };
        if let Some((offset, event_id, hash)) = walk.projected.get(&record.partition).cloned() {
            if offset == record.offset {
                walk.projected.remove(&record.partition);
                let here = EventEnvelope::decode(record.payload.as_slice())
                    .map(|e| e.hash)
                    .unwrap_or_default();
                if here != hash {
                    walk.audit.broken.push(broken(
                        Some(event_id),
                        "rewritten: the read model projected another event at this offset".into(),
                    ));
                }
            }
        }
        let event = match EventEnvelope::decode(record.payload.as_slice()) {
            Ok(event) => event,
            Err(err) => {
                walk.audit
                    .broken
                    .push(broken(None, format!("not an event: {err}")));
                return Ok(());
            }
        };
        let stream = event.stream.clone().unwrap_or_default();
        let key = (stream.r#type.clone(), stream.id.clone());
        walk.streams.insert(key.clone());
        if walk.skipped.contains(&key) {
            return Ok(());
        }
        if let Err(err) = ring.check(context, &event, &record.payload) {
            walk.audit.broken.push(broken(
                Some(event.event_id.clone()),
                format!("not its writer's: {err}"),
            ));
            walk.skipped.insert(key);
            return Ok(());
        }
        if let Err(err) = walk.heads.advance_read(&event, &record.payload) {
            let why = match &err {
                ChainError::VersionGap { .. } => format!("version gap: {err}"),
                ChainError::BrokenLink { .. } => format!("broken link: {err}"),
                ChainError::BadHash { .. } => format!("content altered: {err}"),
            };
            walk.audit
                .broken
                .push(broken(Some(event.event_id.clone()), why));
            walk.skipped.insert(key);
        }
        Ok(())
    })
    .await?;
    let mut audit = walk.audit;
    audit.streams = walk.streams.len() as u64;
    let mut missing: Vec<_> = walk.projected.into_iter().collect();
    missing.sort_by_key(|(p, _)| *p);
    for (partition, (offset, event_id, _)) in missing {
        audit.broken.push(Broken {
            topic: topic.to_owned(),
            partition,
            offset,
            event_id: Some(event_id),
            why: "tail removed: the read model projected this event, the log no longer holds it"
                .into(),
        });
    }
    Ok(audit)
}
