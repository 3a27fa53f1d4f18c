//! Signed checkpoints of the log's heads (`ChainCheckpoint`).
//!
//! The hash chains and signatures show any event altered or slipped in, but
//! not one taken away from the end: a stream whose last events are gone
//! still verifies up to where it stops. So every so many events, and after a
//! quiet while, the writer appends to its own topic a signed statement of
//! where it had come: the head of each stream it appended to since its
//! previous checkpoint, and the last committed event of each partition.
//! `ledgerctl verify-chain` holds the log to every checkpoint it finds.

use std::collections::BTreeSet;

use ledger_domain::chain::StreamHeads;
use ledger_proto::v1::{ChainCheckpoint, CheckpointHead, CheckpointTip, StreamRef};
use serde::{Deserialize, Serialize};

use crate::Tip;

/// The stream type of checkpoints; its id is the context's name.
pub const STREAM_TYPE: &str = "checkpoint";

/// Most stream heads in one checkpoint: a head takes at most about 150
/// bytes (a 64-character id, a 32-byte hash), so even the longest ids keep
/// a checkpoint well below the largest event
/// ([`crate::limits::MAX_EVENT_BYTES`]); more streams make more checkpoints.
pub const MOST_HEADS: usize = 300;

/// When to write checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointPolicy {
    /// Streams appended to since the last checkpoint that call for one.
    pub every: usize,
    /// A quiet writer with anything unchecked writes one after this long.
    pub quiet: std::time::Duration,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        Self {
            every: MOST_HEADS,
            quiet: std::time::Duration::from_secs(60),
        }
    }
}

/// The streams appended to since the last checkpoint that covered them.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Unchecked {
    streams: BTreeSet<(String, String)>,
}

impl Unchecked {
    /// Notes an event folded (a checkpoint's own stream is left out: it
    /// would call for a checkpoint of itself, for ever).
    pub fn appended(&mut self, stream: &StreamRef) {
        if stream.r#type != STREAM_TYPE {
            self.streams
                .insert((stream.r#type.clone(), stream.id.clone()));
        }
    }

    /// Folds a checkpoint: the streams it saw at their current head are
    /// covered. (Reading the topic back, partitions come in any order: a
    /// stream that moved on since stays unchecked.)
    pub fn covered(&mut self, checkpoint: &ChainCheckpoint, heads: &StreamHeads) {
        for head in &checkpoint.heads {
            let stream = head.stream.clone().unwrap_or_default();
            if heads.head(&stream).version == head.version {
                self.streams.remove(&(stream.r#type, stream.id));
            }
        }
    }

    pub fn len(&self) -> usize {
        self.streams.len()
    }

    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// The next checkpoint: up to [`MOST_HEADS`] unchecked streams at their
    /// heads, and every partition's last committed event.
    pub fn checkpoint(
        &self,
        sequence: u64,
        heads: &StreamHeads,
        tips: &std::collections::BTreeMap<i32, Tip>,
    ) -> ChainCheckpoint {
        ChainCheckpoint {
            sequence,
            heads: self
                .streams
                .iter()
                .take(MOST_HEADS)
                .map(|(kind, id)| {
                    let stream = StreamRef {
                        r#type: kind.clone(),
                        id: id.clone(),
                    };
                    let head = heads.head(&stream);
                    CheckpointHead {
                        stream: Some(stream),
                        version: head.version,
                        hash: head.hash,
                    }
                })
                .collect(),
            partitions: tips
                .iter()
                .map(|(&partition, tip)| CheckpointTip {
                    partition,
                    offset: tip.offset,
                    hash: tip.hash.clone(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_proto::v1::{event_envelope::Payload, EventEnvelope};
    use prost::Message;

    #[test]
    fn a_checkpoint_of_the_longest_ids_stays_below_the_largest_event() {
        let mut unchecked = Unchecked::default();
        let mut heads = StreamHeads::default();
        for n in 0..2 * MOST_HEADS {
            let stream = StreamRef {
                r#type: "obligation".into(),
                id: format!("{n:0>64}"),
            };
            let mut event = EventEnvelope {
                stream: Some(stream.clone()),
                stream_version: 1,
                ..Default::default()
            };
            event.hash = ledger_domain::chain::event_hash(&event);
            heads.advance(&event).unwrap();
            unchecked.appended(&stream);
        }
        let tips = (0..64)
            .map(|p| {
                (
                    p,
                    Tip {
                        offset: i64::MAX,
                        hash: vec![0xff; 32],
                    },
                )
            })
            .collect();
        let checkpoint = unchecked.checkpoint(u64::MAX, &heads, &tips);
        assert_eq!(checkpoint.heads.len(), MOST_HEADS);
        let event = EventEnvelope {
            stream: Some(StreamRef {
                r#type: STREAM_TYPE.into(),
                id: "obligations".into(),
            }),
            prev_hash: vec![0; 32],
            hash: vec![0; 32],
            signature: vec![0; 64],
            payload: Some(Payload::ChainCheckpoint(checkpoint.clone())),
            ..Default::default()
        };
        assert!(
            event.encoded_len() < crate::limits::MAX_EVENT_BYTES * 3 / 4,
            "{} bytes",
            event.encoded_len()
        );
        // Folding it covers exactly the streams it names.
        unchecked.covered(&checkpoint, &heads);
        assert_eq!(unchecked.len(), MOST_HEADS);
    }
}
