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

/// Most stream heads in one checkpoint, which keeps it far below the
/// largest record (about 100 bytes a head); the rest wait for the next.
const MOST_HEADS: usize = 2_000;

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
            every: 1_000,
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
