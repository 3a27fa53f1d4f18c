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
        let body = match EventEnvelope::decode(bytes) {
            Ok(event) => {
                let context =
                    Context::of_topic(&topic).map_or("(not an event topic)", Context::name);
                match ring.check(context, &event, bytes) {
                    Ok(()) => Body::Event(Box::new(event)),
                    Err(err) => Body::Undecodable(format!(
                        "record is not an event the writer of {topic} signed: {err}"
                    )),
                }
            }
            Err(err) => {
                Body::Undecodable(format!("record is not a ledger.v1.EventEnvelope: {err}"))
            }
        };
        Record {
            topic,
            partition,
            offset,
            body,
        }
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
