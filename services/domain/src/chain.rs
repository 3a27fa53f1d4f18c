//! The per-stream hash chain: each event's hash covers its content and the
//! previous event's hash, so rewriting any event breaks every later link.

use crate::collections::Map;

use ledger_proto::v1::{EventEnvelope, StreamRef};
use prost::Message;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The envelope's field numbers that its hash leaves out: the hash itself
/// and the signature of it (proto/ledger/v1/event.proto).
const HASH_FIELD: u32 = 15;
const SIGNATURE_FIELD: u32 = 17;

/// SHA-256 of an envelope as `bytes` hold it, without its `hash` and
/// `signature` fields. Computed on the bytes, not on a re-encoding, so that
/// fields this build does not know (a later schema's) are covered too.
/// `None` when the bytes are not a protobuf message.
pub fn hash_of_bytes(bytes: &[u8]) -> Option<[u8; 32]> {
    let mut hasher = Sha256::new();
    for field in crate::wire::fields(bytes) {
        let field = field.ok()?;
        if field.number != HASH_FIELD && field.number != SIGNATURE_FIELD {
            hasher.update(field.bytes);
        }
    }
    Some(hasher.finalize().into())
}

/// The hash of an envelope this process holds: its encoding is exactly what
/// will be written (prost encodes in tag order; the contract has no maps).
pub fn event_hash(event: &EventEnvelope) -> Vec<u8> {
    digest(event).to_vec()
}

fn digest(event: &EventEnvelope) -> [u8; 32] {
    hash_of_bytes(&event.encode_to_vec()).unwrap_or_default()
}

/// Fills `prev_hash`, `hash` and the signature by `signer`.
pub fn seal(event: &mut EventEnvelope, prev_hash: Vec<u8>, signer: &crate::signing::Signer) {
    event.prev_hash = prev_hash;
    event.signing_key_id = signer.key_id().to_owned();
    event.signature.clear();
    event.hash = event_hash(event);
    event.signature = signer.sign(&event.hash);
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

    /// Checks that `event`, read from `bytes`, is the valid next link of its
    /// stream and advances the head: the hash is computed on the bytes as
    /// written. Used when rebuilding state and by the auditor's verify.
    pub fn advance_read(&mut self, event: &EventEnvelope, bytes: &[u8]) -> Result<(), ChainError> {
        self.advance_hashed(event, hash_of_bytes(bytes).unwrap_or_default())
    }

    /// Like [`StreamHeads::advance_read`], for an event this process made.
    pub fn advance(&mut self, event: &EventEnvelope) -> Result<(), ChainError> {
        self.advance_hashed(event, digest(event))
    }

    fn advance_hashed(&mut self, event: &EventEnvelope, hash: [u8; 32]) -> Result<(), ChainError> {
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

    fn signer() -> crate::signing::Signer {
        let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        let ring = crate::signing::KeyRing::parse(&format!(
            "k grants {}",
            hex::encode(key.verifying_key().as_bytes())
        ))
        .unwrap();
        crate::signing::Signer::from_seed([9; 32], &ring, "grants").unwrap()
    }

    #[test]
    fn a_sealed_chain_verifies_and_a_tampered_one_does_not() {
        let signer = signer();
        let mut writer = StreamHeads::default();
        let mut log = Vec::new();
        for v in 1..=3 {
            let mut e = event("a", v);
            let prev = writer.head(e.stream.as_ref().unwrap()).hash;
            seal(&mut e, prev, &signer);
            writer.advance(&e).unwrap();
            log.push(e);
        }

        let mut reader = StreamHeads::default();
        assert!(log.iter().all(|e| reader.advance(e).is_ok()));
        // Read back as bytes, the same chain.
        let mut reader = StreamHeads::default();
        assert!(log
            .iter()
            .all(|e| reader.advance_read(e, &e.encode_to_vec()).is_ok()));

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
