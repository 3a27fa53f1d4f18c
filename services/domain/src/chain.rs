//! The per-stream hash chain: each event's hash covers its content and the
//! previous event's hash, so rewriting any event breaks every later link.

use crate::collections::Map;

use ledger_proto::v1::{EventEnvelope, StreamRef};
use prost::Message;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// SHA-256 over the envelope encoded with its `hash` field empty.
///
/// prost encodes fields in tag order and the contract has no map fields, so
/// the encoding of a given message is deterministic.
pub fn event_hash(event: &EventEnvelope) -> Vec<u8> {
    digest(event).to_vec()
}

fn digest(event: &EventEnvelope) -> [u8; 32] {
    let mut unsealed = event.clone();
    unsealed.hash.clear();
    Sha256::digest(unsealed.encode_to_vec()).into()
}

/// Fills `prev_hash` and `hash`.
pub fn seal(event: &mut EventEnvelope, prev_hash: Vec<u8>) {
    event.prev_hash = prev_hash;
    event.hash = event_hash(event);
}

/// The last version and hash of each stream: what the next event must follow.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StreamHeads {
    heads: Map<(String, String), Link>,
}

/// What is kept per stream: a fixed-size hash (every link's hash is a
/// SHA-256 once verified) keeps millions of streams compact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Link {
    version: u64,
    hash: [u8; 32],
}

/// The head of one stream: its version and last hash (empty before the
/// first event).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub version: u64,
    pub hash: Vec<u8>,
}

/// A link that does not follow its stream's head.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("stream {stream}: expected version {expected}, found {found}")]
    VersionGap {
        stream: String,
        expected: u64,
        found: u64,
    },
    #[error(
        "stream {stream} version {version}: prev_hash does not match the previous event's hash"
    )]
    BrokenLink { stream: String, version: u64 },
    #[error("stream {stream} version {version}: hash does not match the event's content")]
    BadHash { stream: String, version: u64 },
}

fn key(stream: &StreamRef) -> (String, String) {
    (stream.r#type.clone(), stream.id.clone())
}

impl StreamHeads {
    pub fn head(&self, stream: &StreamRef) -> Head {
        self.heads
            .get(&key(stream))
            .map(|link| Head {
                version: link.version,
                hash: link.hash.to_vec(),
            })
            .unwrap_or_default()
    }

    /// Checks that `event` is the valid next link of its stream and advances
    /// the head. Used both when rebuilding state and by the auditor's verify.
    pub fn advance(&mut self, event: &EventEnvelope) -> Result<(), ChainError> {
        let stream = event.stream.clone().unwrap_or_default();
        let name = || format!("{}/{}", stream.r#type, stream.id);
        let head = self.heads.get(&key(&stream)).copied().unwrap_or_default();
        if event.stream_version != head.version + 1 {
            return Err(ChainError::VersionGap {
                stream: name(),
                expected: head.version + 1,
                found: event.stream_version,
            });
        }
        let previous: &[u8] = if head.version == 0 { &[] } else { &head.hash };
        if event.prev_hash != previous {
            return Err(ChainError::BrokenLink {
                stream: name(),
                version: event.stream_version,
            });
        }
        let hash = digest(event);
        if hash.as_slice() != event.hash {
            return Err(ChainError::BadHash {
                stream: name(),
                version: event.stream_version,
            });
        }
        let link = Link {
            version: event.stream_version,
            hash,
        };
        self.heads.insert(key(&stream), link);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, version: u64) -> EventEnvelope {
        EventEnvelope {
            event_id: format!("e-{id}-{version}"),
            stream: Some(StreamRef {
                r#type: "envelope".into(),
                id: id.into(),
            }),
            stream_version: version,
            ..Default::default()
        }
    }

    #[test]
    fn a_sealed_chain_verifies_and_a_tampered_one_does_not() {
        let mut writer = StreamHeads::default();
        let mut log = Vec::new();
        for v in 1..=3 {
            let mut e = event("a", v);
            let prev = writer.head(e.stream.as_ref().unwrap()).hash;
            seal(&mut e, prev);
            writer.advance(&e).unwrap();
            log.push(e);
        }

        let mut reader = StreamHeads::default();
        assert!(log.iter().all(|e| reader.advance(e).is_ok()));

        let mut tampered = log.clone();
        tampered[1].effective_date = "2020-01-01".into();
        let mut reader = StreamHeads::default();
        reader.advance(&tampered[0]).unwrap();
        assert!(matches!(
            reader.advance(&tampered[1]),
            Err(ChainError::BadHash { version: 2, .. })
        ));

        let mut gap = StreamHeads::default();
        gap.advance(&log[0]).unwrap();
        assert!(matches!(
            gap.advance(&log[2]),
            Err(ChainError::VersionGap {
                expected: 2,
                found: 3,
                ..
            })
        ));
    }
}
