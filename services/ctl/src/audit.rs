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
}

/// Reads `topic` from offset zero to its end and checks every chain.
/// `progress` is called with the number of events read so far.
pub async fn audit_topic(
    kafka: &KafkaConfig,
    ring: &KeyRing,
    topic: &str,
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
    Ok(audit)
}
