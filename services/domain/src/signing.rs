//! Who may write a topic. Each emitting service signs the hash of every
//! event it appends with an Ed25519 key that only it holds; every reader
//! checks the signature against the key ring, which says which key may sign
//! for which context. An event appended by anyone else — however correct
//! its hash — fails the check and is never acted upon.
//!
//! The key ring is text, one key per line (`#` starts a comment):
//!
//! ```text
//! # key id     context   Ed25519 public key (hex)
//! grants-1     grants    3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29
//! ```
//!
//! Rotation adds a line and points the writer at the new private key; the
//! old line stays so that the events it signed still verify.

use ed25519_dalek::{
    pkcs8::DecodePrivateKey, Signature, Signer as _, SigningKey, Verifier, VerifyingKey,
};
use ledger_proto::v1::EventEnvelope;

use crate::{chain::hash_of_bytes, collections::Map};

/// A writer's private key and the id the ring knows it by.
#[derive(Clone)]
pub struct Signer {
    key_id: String,
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// Why a key or a key ring cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key ring line {line}: {why}")]
    Ring { line: usize, why: String },
    #[error("the signing key is not a PKCS#8 Ed25519 private key: {0}")]
    Private(String),
    #[error("the signing key is not in the key ring: its public key is {0}")]
    Untrusted(String),
    #[error("the signing key {key_id} is trusted for {trusted}, not for {context}")]
    OtherContext {
        key_id: String,
        trusted: String,
        context: String,
    },
}

/// Why an event read from a topic is not its writer's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the event is not signed")]
    Unsigned,
    #[error("the event is signed with key {0}, which the key ring does not know")]
    UnknownKey(String),
    #[error("the event is signed with key {key_id}, trusted for {trusted}, not for {context}")]
    OtherWriter {
        key_id: String,
        trusted: String,
        context: String,
    },
    #[error("the event's hash does not match its bytes")]
    BadHash,
    #[error("the signature does not match the event's hash (key {0})")]
    BadSignature(String),
}

impl Signer {
    /// The writer of `context`, from its PKCS#8 PEM private key; its id is
    /// the ring's line for its public key, which must be trusted for
    /// `context` (a key given to the wrong service refuses to start).
    pub fn from_pem(pem: &str, ring: &KeyRing, context: &str) -> Result<Signer, KeyError> {
        let key = SigningKey::from_pkcs8_pem(pem).map_err(|e| KeyError::Private(e.to_string()))?;
        Signer::from_key(key, ring, context)
    }

    /// Like [`Signer::from_pem`], from the key's 32-byte seed.
    pub fn from_seed(seed: [u8; 32], ring: &KeyRing, context: &str) -> Result<Signer, KeyError> {
        Signer::from_key(SigningKey::from_bytes(&seed), ring, context)
    }

    fn from_key(key: SigningKey, ring: &KeyRing, context: &str) -> Result<Signer, KeyError> {
        let public = key.verifying_key();
        let (key_id, trusted) = ring
            .keys
            .iter()
            .find(|(_, trusted)| trusted.key == public)
            .ok_or_else(|| KeyError::Untrusted(hex::encode(public.as_bytes())))?;
        if trusted.context != context {
            return Err(KeyError::OtherContext {
                key_id: key_id.clone(),
                trusted: trusted.context.clone(),
                context: context.to_owned(),
            });
        }
        Ok(Signer {
            key_id: key_id.clone(),
            key,
        })
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The signature of `hash`.
    pub fn sign(&self, hash: &[u8]) -> Vec<u8> {
        self.key.sign(hash).to_bytes().to_vec()
    }

    /// The public half, hex, as the key ring writes it.
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }
}

/// One trusted public key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Trusted {
    context: String,
    key: VerifyingKey,
}

/// Which key may sign for which context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRing {
    keys: Map<String, Trusted>,
}

impl KeyRing {
    pub fn parse(text: &str) -> Result<KeyRing, KeyError> {
        let mut keys = Map::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let bad = |why: String| KeyError::Ring { line: n + 1, why };
            let cols: Vec<&str> = line.split_whitespace().collect();
            let [key_id, context, public] = cols[..] else {
                return Err(bad("expected: key id, context, public key (hex)".into()));
            };
            let bytes: [u8; 32] = hex::decode(public)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| bad("the public key is not 32 bytes of hex".into()))?;
            let key = VerifyingKey::from_bytes(&bytes).map_err(|e| bad(e.to_string()))?;
            let trusted = Trusted {
                context: context.to_owned(),
                key,
            };
            if keys.insert(key_id.to_owned(), trusted).is_some() {
                return Err(bad(format!("key id {key_id} appears twice")));
            }
        }
        Ok(KeyRing { keys })
    }

    /// Checks that `event`, read as `bytes` from the topic of `context`, was
    /// hashed as written and signed by a key trusted for `context`.
    pub fn check(
        &self,
        context: &str,
        event: &EventEnvelope,
        bytes: &[u8],
    ) -> Result<(), SignatureError> {
        let (hash, signature, key) = self.precheck(context, event, bytes)?;
        key.verify(&hash, &signature)
            .map_err(|_| SignatureError::BadSignature(event.signing_key_id.clone()))
    }

    /// [`KeyRing::check`] for many events at once, with one batch
    /// verification of their signatures (about a third of the cost of one
    /// by one); when the batch fails, each is checked alone to say which.
    pub fn check_many(
        &self,
        items: &[(&str, &EventEnvelope, &[u8])],
    ) -> Vec<Result<(), SignatureError>> {
        let mut results: Vec<Result<(), SignatureError>> = Vec::with_capacity(items.len());
        let mut batch: Vec<(usize, [u8; 32], Signature, VerifyingKey)> = Vec::new();
        for (i, (context, event, bytes)) in items.iter().enumerate() {
            match self.precheck(context, event, bytes) {
                Ok((hash, signature, key)) => {
                    batch.push((i, hash, signature, key));
                    results.push(Ok(()));
                }
                Err(err) => results.push(Err(err)),
            }
        }
        if batch.is_empty() {
            return results;
        }
        let messages: Vec<&[u8]> = batch.iter().map(|(_, h, _, _)| h.as_slice()).collect();
        let signatures: Vec<Signature> = batch.iter().map(|(_, _, s, _)| *s).collect();
        let keys: Vec<VerifyingKey> = batch.iter().map(|(_, _, _, k)| *k).collect();
        if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_err() {
            for (i, hash, signature, key) in &batch {
                if key.verify(hash, signature).is_err() {
                    results[*i] = Err(SignatureError::BadSignature(
                        items[*i].1.signing_key_id.clone(),
                    ));
                }
            }
        }
        results
    }

    /// Everything [`KeyRing::check`] does but the signature's arithmetic.
    fn precheck(
        &self,
        context: &str,
        event: &EventEnvelope,
        bytes: &[u8],
    ) -> Result<([u8; 32], Signature, VerifyingKey), SignatureError> {
        if event.signing_key_id.is_empty() || event.signature.is_empty() {
            return Err(SignatureError::Unsigned);
        }
        let key_id = &event.signing_key_id;
        let key = self.key_for(context, key_id)?;
        let hash = hash_of_bytes(bytes).ok_or(SignatureError::BadHash)?;
        if hash.as_slice() != event.hash {
            return Err(SignatureError::BadHash);
        }
        let signature = Signature::from_slice(&event.signature)
            .map_err(|_| SignatureError::BadSignature(key_id.clone()))?;
        Ok((hash, signature, key))
    }

    /// The public key `key_id`, if the ring trusts it for `context`.
    fn key_for(&self, context: &str, key_id: &str) -> Result<VerifyingKey, SignatureError> {
        let trusted = self
            .keys
            .get(key_id)
            .ok_or_else(|| SignatureError::UnknownKey(key_id.to_owned()))?;
        if trusted.context != context {
            return Err(SignatureError::OtherWriter {
                key_id: key_id.to_owned(),
                trusted: trusted.context.clone(),
                context: context.to_owned(),
            });
        }
        Ok(trusted.key)
    }

    /// Checks a signature over `message` (not an event: a writer's snapshot)
    /// by key `key_id`, which must be trusted for `context`.
    pub fn check_detached(
        &self,
        context: &str,
        key_id: &str,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureError> {
        let key = self.key_for(context, key_id)?;
        let signature = Signature::from_slice(signature)
            .map_err(|_| SignatureError::BadSignature(key_id.to_owned()))?;
        key.verify(message, &signature)
            .map_err(|_| SignatureError::BadSignature(key_id.to_owned()))
    }

    /// Whether any key is trusted at all.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::seal;
    use ledger_proto::v1::StreamRef;
    use prost::Message;

    fn ring() -> (KeyRing, Signer, Signer) {
        let grants = SigningKey::from_bytes(&[1; 32]);
        let workforce = SigningKey::from_bytes(&[2; 32]);
        let text = format!(
            "# id context key\ngrants-1 grants {}\nworkforce-1 workforce {} # rotated 2026\n",
            hex::encode(grants.verifying_key().as_bytes()),
            hex::encode(workforce.verifying_key().as_bytes())
        );
        let ring = KeyRing::parse(&text).unwrap();
        let g = Signer::from_seed([1; 32], &ring, "grants").unwrap();
        let w = Signer::from_seed([2; 32], &ring, "workforce").unwrap();
        (ring, g, w)
    }

    fn event() -> EventEnvelope {
        EventEnvelope {
            event_id: "e1".into(),
            stream: Some(StreamRef {
                r#type: "envelope".into(),
                id: "cvl-msp".into(),
            }),
            stream_version: 1,
            ..Default::default()
        }
    }

    #[test]
    fn an_event_signed_by_its_writer_verifies_and_nothing_else_does() {
        let (ring, grants, workforce) = ring();
        let mut good = event();
        seal(&mut good, Vec::new(), &grants);
        let bytes = good.encode_to_vec();
        assert_eq!(ring.check("grants", &good, &bytes), Ok(()));

        // The workforce service's key may not write the grants topic.
        let mut other = event();
        seal(&mut other, Vec::new(), &workforce);
        assert!(matches!(
            ring.check("grants", &other, &other.encode_to_vec()),
            Err(SignatureError::OtherWriter { .. })
        ));

        // A correct hash without a valid signature: a forgery.
        let mut forged = good.clone();
        forged.stream_version = 2;
        forged.signature.clear();
        forged.hash = crate::chain::event_hash(&forged);
        forged.signature = vec![0; 64];
        assert_eq!(
            ring.check("grants", &forged, &forged.encode_to_vec()),
            Err(SignatureError::BadSignature("grants-1".into()))
        );
        let mut unsigned = event();
        unsigned.hash = crate::chain::event_hash(&unsigned);
        assert_eq!(
            ring.check("grants", &unsigned, &unsigned.encode_to_vec()),
            Err(SignatureError::Unsigned)
        );
    }

    #[test]
    fn many_at_once_say_the_same_as_one_by_one() {
        let (ring, grants, workforce) = ring();
        let mut events = Vec::new();
        for v in 1..=5 {
            let mut e = event();
            e.stream_version = v;
            seal(
                &mut e,
                Vec::new(),
                if v == 4 { &workforce } else { &grants },
            );
            if v == 2 {
                e.signature[0] ^= 1;
            }
            events.push(e);
        }
        let bytes: Vec<Vec<u8>> = events.iter().map(|e| e.encode_to_vec()).collect();
        let items: Vec<(&str, &EventEnvelope, &[u8])> = events
            .iter()
            .zip(&bytes)
            .map(|(e, b)| ("grants", e, b.as_slice()))
            .collect();
        let alone: Vec<_> = items.iter().map(|(c, e, b)| ring.check(c, e, b)).collect();
        assert_eq!(ring.check_many(&items), alone);
        assert!(alone[0].is_ok() && alone[2].is_ok() && alone[4].is_ok());
        assert!(matches!(alone[1], Err(SignatureError::BadSignature(_))));
        assert!(matches!(alone[3], Err(SignatureError::OtherWriter { .. })));
        let good: Vec<_> = [0, 2, 4].iter().map(|&i| items[i]).collect();
        assert!(ring.check_many(&good).iter().all(Result::is_ok));
    }

    #[test]
    fn fields_a_later_schema_adds_are_covered_by_the_hash() {
        let (ring, grants, _) = ring();
        let mut event = event();
        seal(&mut event, Vec::new(), &grants);
        // Field 50, unknown to this build, as a later writer would add it:
        // key (50 << 3 | 2), length 3, "new". Signed over the new bytes.
        let mut bytes = event.encode_to_vec();
        bytes.extend_from_slice(&[0x92, 0x03, 3, b'n', b'e', b'w']);
        let hash = hash_of_bytes(&bytes).unwrap();
        let mut later = EventEnvelope::decode(bytes.as_slice()).unwrap();
        later.hash = hash.to_vec();
        later.signature = grants.sign(&hash);
        let mut written = Vec::new();
        for field in crate::wire::fields(&bytes) {
            let field = field.unwrap();
            match field.number {
                15 => prost::encoding::bytes::encode(15, &later.hash, &mut written),
                17 => prost::encoding::bytes::encode(17, &later.signature, &mut written),
                _ => written.extend_from_slice(field.bytes),
            }
        }
        let read = EventEnvelope::decode(written.as_slice()).unwrap();
        assert_eq!(ring.check("grants", &read, &written), Ok(()));
        // Changing the unknown field breaks it.
        let at = written.len() - 1;
        written[at] = b'X';
        assert_eq!(
            ring.check("grants", &read, &written),
            Err(SignatureError::BadHash)
        );
    }

    #[test]
    fn a_key_ring_line_that_is_not_a_key_is_refused_with_its_number() {
        assert!(matches!(
            KeyRing::parse("grants-1 grants nothex"),
            Err(KeyError::Ring { line: 1, .. })
        ));
        let (ring, _, _) = ring();
        assert!(matches!(
            Signer::from_seed([2; 32], &ring, "grants"),
            Err(KeyError::OtherContext { .. })
        ));
        assert!(matches!(
            Signer::from_seed([3; 32], &ring, "grants"),
            Err(KeyError::Untrusted(_))
        ));
    }
}
