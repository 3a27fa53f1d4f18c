//! The hash-chain audit: every event of every stream must be signed by a key
//! trusted for its topic's writer, follow its stream's previous event
//! (version + 1, `prev_hash` = that event's hash) and carry the hash of its
//! own bytes. The first link of each stream that does not is named
//! precisely: topic, partition, offset, stream, version, and why. Then the
//! log is held to the writer's signed checkpoints: a stream or a partition
//! that ends before a checkpoint saw it has lost its tail, reported at the
//! checkpoint that saw it.

use ledger_domain::{
    chain::{ChainError, StreamHeads},
    signing::KeyRing,
};
use ledger_kafka::{read_to_end, KafkaConfig, KafkaError};
use ledger_proto::{
    registry::Context,
    v1::{event_envelope::Payload, ChainCheckpoint, EventEnvelope, StreamRef},
};
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
    /// What the writer's checkpoints say the log had reached.
    claims: Claims,
    /// The last offset read of each partition.
    ends: HashMap<i32, i64>,
}

/// Where a checkpoint was read: what a claim it makes is reported under.
#[derive(Debug, Clone)]
struct Said {
    partition: i32,
    offset: i64,
    event_id: String,
    sequence: u64,
}

/// The furthest each stream and each partition was said to have come, by
/// the checkpoints that passed their own signature and chain checks.
#[derive(Debug, Default)]
struct Claims {
    streams: HashMap<(String, String), (u64, Vec<u8>, Said)>,
    partitions: HashMap<i32, (i64, Said)>,
}

impl Claims {
    fn note(&mut self, checkpoint: &ChainCheckpoint, said: &Said) {
        for head in &checkpoint.heads {
            let stream = head.stream.clone().unwrap_or_default();
            let claim = self.streams.entry((stream.r#type, stream.id)).or_insert((
                0,
                Vec::new(),
                said.clone(),
            ));
            if head.version > claim.0 {
                *claim = (head.version, head.hash.clone(), said.clone());
            }
        }
        for tip in &checkpoint.partitions {
            let claim = self
                .partitions
                .entry(tip.partition)
                .or_insert((-1, said.clone()));
            if tip.offset > claim.0 {
                *claim = (tip.offset, said.clone());
            }
        }
    }

    /// Every claim the log read does not bear out: a stream or a partition
    /// that ends before a checkpoint said it had reached.
    fn unmet(self, walk: &Walk, topic: &str) -> Vec<Broken> {
        let broken = |said: &Said, why: String| Broken {
            topic: topic.to_owned(),
            partition: said.partition,
            offset: said.offset,
            event_id: Some(said.event_id.clone()),
            why,
        };
        let mut found = Vec::new();
        let mut streams: Vec<_> = self.streams.into_iter().collect();
        streams.sort_by(|a, b| a.0.cmp(&b.0));
        for ((kind, id), (version, hash, said)) in streams {
            if walk.skipped.contains(&(kind.clone(), id.clone())) {
                continue; // already reported at its broken link
            }
            let head = walk.heads.head(&StreamRef {
                r#type: kind.clone(),
                id: id.clone(),
            });
            if head.version < version {
                found.push(broken(
                    &said,
                    format!(
                        "tail removed: stream {kind}/{id} ends at version {}, checkpoint {} saw it at version {version}",
                        head.version, said.sequence
                    ),
                ));
            } else if head.version == version && head.hash != hash {
                found.push(broken(
                    &said,
                    format!(
                        "rewritten: stream {kind}/{id} ends at version {version} with another hash than checkpoint {} saw",
                        said.sequence
                    ),
                ));
            }
        }
        let mut partitions: Vec<_> = self.partitions.into_iter().collect();
        partitions.sort_by_key(|(p, _)| *p);
        for (partition, (offset, said)) in partitions {
            let end = walk.ends.get(&partition).copied();
            if end.is_none_or(|end| end < offset) {
                found.push(broken(
                    &said,
                    format!(
                        "tail removed: partition {partition} ends at {}, checkpoint {} saw an event at offset {offset}",
                        end.map_or("no record".to_owned(), |e| format!("offset {e}")),
                        said.sequence
                    ),
                ));
            }
        }
        found
    }
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
        claims: Claims::default(),
        ends: HashMap::new(),
    };
    let mut walk = read_to_end(kafka, topic, walk, move |walk, record| {
        walk.audit.events += 1;
        walk.ends.insert(record.partition, record.offset);
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
            return Ok(());
        }
        // Signed by the writer and in its chain: what it says is held
        // against the log once all of it is read.
        if let Some(Payload::ChainCheckpoint(checkpoint)) = &event.payload {
            let said = Said {
                partition: record.partition,
                offset: record.offset,
                event_id: event.event_id.clone(),
                sequence: checkpoint.sequence,
            };
            walk.claims.note(checkpoint, &said);
        }
        Ok(())
    })
    .await?;
    let claims = std::mem::take(&mut walk.claims);
    let unmet = claims.unmet(&walk, topic);
    let mut audit = walk.audit;
    audit.broken.extend(unmet);
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
