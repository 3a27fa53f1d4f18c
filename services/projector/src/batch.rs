//! Turning consumed records into one unit of work for the read model.

use std::collections::BTreeMap;

use ledger_proto::v1::EventEnvelope;
use ledger_readmodel::{ConsumedEvent, PartitionOffset};
use prost::Message;

/// A record whose bytes are not an event of the contract.
#[derive(Debug, Clone)]
pub struct Undecodable {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub error: String,
}

/// Events in consumption order, plus records that could not be decoded.
#[derive(Debug, Default)]
pub struct Batch {
    pub events: Vec<ConsumedEvent>,
    pub undecodable: Vec<Undecodable>,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.events.len() + self.undecodable.len()
    }

    pub fn push(&mut self, topic: &str, partition: i32, offset: i64, payload: &[u8]) {
        match EventEnvelope::decode(payload) {
            Ok(event) => self.events.push(ConsumedEvent {
                topic: topic.to_owned(),
                partition,
                offset,
                event,
            }),
            Err(err) => self.undecodable.push(Undecodable {
                topic: topic.to_owned(),
                partition,
                offset,
                error: format!("record is not a ledger.v1.EventEnvelope: {err}"),
            }),
        }
    }

    /// The next offset of every partition the given events cover.
    pub fn advance_over(events: &[ConsumedEvent]) -> Vec<PartitionOffset> {
        let mut next: BTreeMap<(&str, i32), i64> = BTreeMap::new();
        for e in events {
            let slot = next.entry((e.topic.as_str(), e.partition)).or_insert(0);
            *slot = (*slot).max(e.offset + 1);
        }
        next.into_iter()
            .map(|((topic, partition), next_offset)| PartitionOffset {
                topic: topic.to_owned(),
                partition,
                next_offset,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_covers_the_highest_offset_of_each_partition() {
        let mut batch = Batch::default();
        let event = EventEnvelope::default().encode_to_vec();
        batch.push("t", 0, 4, &event);
        batch.push("t", 0, 7, &event);
        batch.push("t", 2, 1, &event);
        batch.push("t", 1, 3, b"\xff\xff");
        assert_eq!(batch.len(), 4);
        let advance = Batch::advance_over(&batch.events);
        assert_eq!(
            advance,
            vec![
                PartitionOffset {
                    topic: "t".into(),
                    partition: 0,
                    next_offset: 8
                },
                PartitionOffset {
                    topic: "t".into(),
                    partition: 2,
                    next_offset: 2
                },
            ]
        );
        assert_eq!(batch.undecodable[0].offset, 3);
    }
}
