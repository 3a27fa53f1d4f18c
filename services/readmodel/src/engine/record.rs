//! A record as consumed from an event topic, with its coordinates.

use std::sync::Arc;

use ledger_domain::signing::KeyRing;
use ledger_proto::{registry::Context, v1::EventEnvelope};
use prost::Message;

/// One partition of one topic.
pub type PartitionKey = (Arc<str>, i32);

/// What a record holds.
#[derive(Debug, Clone)]
pub enum Body {
    Event(Box<EventEnvelope>),
    /// Bytes that are not an event of the contract, or not one its writer
    /// signed: the partition stops at them.
    Undecodable(String),
    /// A record to pass over without applying it (a rebuild `--until` a
    /// date leaves later events out, but their offsets are passed).
    Skip,
}

#[derive(Debug, Clone)]
pub struct Record {
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: i64,
    pub body: Body,
}

impl Record {
    /// Decodes the bytes of a record of an event topic and checks that the
    /// topic's writer signed them (a key of `ring` trusted for its context).
    pub fn decode(
        topic: Arc<str>,
        partition: i32,
        offset: i64,
        bytes: &[u8],
        ring: &KeyRing,
    ) -> Record {
        let lost = Record {
            topic: topic.clone(),
            partition,
            offset,
            body: Body::Undecodable("record could not be checked".into()),
        };
        Record::decode_many(&[(topic, partition, offset, bytes)], ring)
            .pop()
            .unwrap_or(lost)
    }

    /// [`Record::decode`] for many records, their signatures verified in one
    /// batch (the cost of verification dominates a rebuild).
    pub fn decode_many(raws: &[(Arc<str>, i32, i64, &[u8])], ring: &KeyRing) -> Vec<Record> {
        let decoded: Vec<Result<EventEnvelope, String>> = raws
            .iter()
            .map(|(_, _, _, bytes)| {
                EventEnvelope::decode(*bytes)
                    .map_err(|err| format!("record is not a ledger.v1.EventEnvelope: {err}"))
            })
            .collect();
        let context =
            |topic: &str| Context::of_topic(topic).map_or("(not an event topic)", Context::name);
        let items: Vec<(&str, &EventEnvelope, &[u8])> = raws
            .iter()
            .zip(&decoded)
            .filter_map(|((topic, _, _, bytes), event)| {
                event.as_ref().ok().map(|e| (context(topic), e, *bytes))
            })
            .collect();
        let mut checks = ring.check_many(&items).into_iter();
        raws.iter()
            .zip(decoded)
            .map(|((topic, partition, offset, _), event)| {
                let body = match event {
                    Ok(event) => match checks.next() {
                        Some(Ok(())) => Body::Event(Box::new(event)),
                        Some(Err(err)) => Body::Undecodable(format!(
                            "record is not an event the writer of {topic} signed: {err}"
                        )),
                        None => Body::Undecodable("record could not be checked".into()),
                    },
                    Err(reason) => Body::Undecodable(reason),
                };
                Record {
                    topic: topic.clone(),
                    partition: *partition,
                    offset: *offset,
                    body,
                }
            })
            .collect()
    }

    pub fn key(&self) -> PartitionKey {
        (self.topic.clone(), self.partition)
    }

    pub fn event_id(&self) -> Option<&str> {
        match &self.body {
            Body::Event(e) => Some(e.event_id.as_str()),
            Body::Undecodable(_) | Body::Skip => None,
        }
    }
}
