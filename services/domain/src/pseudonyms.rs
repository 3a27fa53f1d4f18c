//! Pseudonyms the personal-data store issues, recognisable without asking it.
//!
//! A pseudonym is a UUID of version 8 (RFC 9562's free layout): 60 random
//! bits, and in the other 62 a tag, HMAC-SHA256 of the random bits under
//! the store's pseudonym key. A writer holding the key tells a pseudonym the
//! store issued from anything a caller could make up (an RPPS pasted by
//! mistake, a UUID of its own, a readable name) on its own, with no round
//! trip to the store on the decision path; nobody without the key can make
//! one that passes (a guess succeeds once in 2⁶²). The key is held by the
//! store and by the writers whose commands name persons (docs/security.md).
//!
//! Rotation: the key file lists keys one per line; the first issues, every
//! one verifies, so pseudonyms issued under an older key stay valid for as
//! long as it is listed.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{ids::EntityId, DomainError};

/// Separates this use of the key from any other.
const CONTEXT: &[u8] = b"ledger pseudonym v1";

/// The store's pseudonym keys: the first issues, all verify.
#[derive(Clone)]
pub struct PseudonymKeys {
    keys: Vec<[u8; 32]>,
}

impl std::fmt::Debug for PseudonymKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys themselves.
        write!(f, "PseudonymKeys({} keys)", self.keys.len())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PseudonymKeyError {
    #[error("line {0}: a pseudonym key is 64 hexadecimal digits (32 bytes)")]
    Malformed(usize),
    #[error("no pseudonym key in the file")]
    Empty,
}

impl PseudonymKeys {
    /// Reads a key file: one key per line in hexadecimal, newest first;
    /// blank lines and `#` comments ignored.
    pub fn parse(text: &str) -> Result<Self, PseudonymKeyError> {
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut key = [0u8; 32];
            hex::decode_to_slice(line, &mut key)
                .map_err(|_| PseudonymKeyError::Malformed(n + 1))?;
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(PseudonymKeyError::Empty);
        }
        Ok(Self { keys })
    }

    /// A new pseudonym from 8 random bytes (the caller draws them: this
    /// crate does no I/O). Only 60 of the 64 bits are used.
    pub fn issue(&self, random: [u8; 8]) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&random);
        // Version 8 in the high nibble of byte 6.
        bytes[6] = 0x80 | (bytes[6] & 0x0f);
        let tag = tag(&self.keys[0], &bytes[..8]);
        bytes[8..].copy_from_slice(&tag);
        // Variant 0b10 in the top bits of byte 8.
        bytes[8] = 0x80 | (bytes[8] & 0x3f);
        format_uuid(&bytes)
    }

    /// The pseudonym of a fictional person named `name`, the same for the
    /// same key: for generated histories, which have nobody to register.
    pub fn derive(&self, name: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.keys[0]).expect("any key length");
        mac.update(b"ledger fictional person v1");
        mac.update(name.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut random = [0u8; 8];
        random.copy_from_slice(&digest[..8]);
        self.issue(random)
    }

    /// Whether `raw` is, spelled exactly, a pseudonym issued under one of
    /// the keys.
    pub fn is_issued(&self, raw: &str) -> bool {
        let Some(bytes) = parse_uuid(raw) else {
            return false;
        };
        if bytes[6] >> 4 != 8 || bytes[8] >> 6 != 0b10 {
            return false;
        }
        self.keys.iter().any(|key| {
            let mut expected = tag(key, &bytes[..8]);
            expected[0] = 0x80 | (expected[0] & 0x3f);
            // Constant time: the comparison does not say how close a guess was.
            expected
                .iter()
                .zip(&bytes[8..])
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
        })
    }

    /// Checks a person id in a command: the shape first (an identifying
    /// number gets its own message), then the tag. No error repeats the value.
    pub fn check(&self, field: &str, raw: &str) -> Result<(), DomainError> {
        EntityId::parse_person(field, raw)?;
        if self.is_issued(raw) {
            Ok(())
        } else {
            Err(DomainError::invalid(
                field,
                "is not a pseudonym the personal-data store issued: register the person \
                 (POST /v1/persons) and send the person_id it answers",
            ))
        }
    }
}

fn tag(key: &[u8; 32], random: &[u8]) -> [u8; 8] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(CONTEXT);
    mac.update(random);
    let digest = mac.finalize().into_bytes();
    let mut tag = [0u8; 8];
    tag.copy_from_slice(&digest[..8]);
    tag
}

/// Lowercase, hyphenated: the one spelling a pseudonym has (it names a stream).
fn format_uuid(b: &[u8; 16]) -> String {
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn parse_uuid(raw: &str) -> Option<[u8; 16]> {
    let s = raw.as_bytes();
    if s.len() != 36 || [8, 13, 18, 23].iter().any(|&i| s[i] != b'-') {
        return None;
    }
    let digits: String = raw.chars().filter(|&c| c != '-').collect();
    if digits
        .bytes()
        .any(|c| !matches!(c, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    let mut bytes = [0u8; 16];
    hex::decode_to_slice(digits, &mut bytes).ok()?;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keys(text: &str) -> PseudonymKeys {
        PseudonymKeys::parse(text).unwrap()
    }

    const K1: &str = "0101010101010101010101010101010101010101010101010101010101010101";
    const K2: &str = "0202020202020202020202020202020202020202020202020202020202020202";

    #[test]
    fn an_issued_pseudonym_is_a_version_8_uuid_that_verifies() {
        let store = keys(K1);
        let id = store.issue([7; 8]);
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "8", "version 8: {id}");
        assert!(
            matches!(&id[19..20], "8" | "9" | "a" | "b"),
            "variant: {id}"
        );
        assert!(store.is_issued(&id));
        assert!(store.check("person_id", &id).is_ok());
    }

    #[test]
    fn made_up_ids_are_refused_without_being_repeated() {
        let store = keys(K1);
        let issued = store.issue([7; 8]);
        let other_store = keys(K2).issue([7; 8]);
        for made_up in [
            "medecin-41-009".to_owned(),
            "0193a2b4-5c6d-4e7f-8a9b-0c1d2e3f4a5b".to_owned(), // a v4 UUID
            issued.to_uppercase(),                             // another spelling
            other_store,                                       // another key
            format!("{}0", &issued[..35]),                     // one digit changed
        ] {
            let err = store.check("person_id", &made_up).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("person_id"));
            assert!(!err.message.contains(&made_up), "{}", err.message);
        }
        let rpps = store.check("person_id", "10003456789").unwrap_err();
        assert!(rpps.message.contains("RPPS"), "{}", rpps.message);
    }

    #[test]
    fn an_older_key_still_verifies_after_rotation() {
        let before = keys(K1);
        let old = before.issue([1; 8]);
        let after = keys(&format!("# rotated\n{K2}\n{K1}\n"));
        assert!(after.is_issued(&old));
        assert!(after.is_issued(&after.issue([2; 8])));
        assert!(
            !before.is_issued(&after.issue([2; 8])),
            "issued under the new key"
        );
    }

    #[test]
    fn a_fictional_name_always_gets_the_same_pseudonym() {
        let store = keys(K1);
        assert_eq!(
            store.derive("medecin-41-009"),
            store.derive("medecin-41-009")
        );
        assert_ne!(
            store.derive("medecin-41-009"),
            store.derive("medecin-41-010")
        );
        assert!(store.is_issued(&store.derive("medecin-41-009")));
    }

    #[test]
    fn malformed_key_files_are_refused() {
        assert_eq!(
            PseudonymKeys::parse("# none\n").unwrap_err(),
            PseudonymKeyError::Empty
        );
        assert_eq!(
            PseudonymKeys::parse(&format!("{K1}\nabc\n")).unwrap_err(),
            PseudonymKeyError::Malformed(2)
        );
        assert!(
            !format!("{:?}", keys(K1)).contains("0101"),
            "Debug shows no key"
        );
    }

    proptest! {
        #[test]
        fn every_issued_pseudonym_verifies_and_no_bit_flip_does(random in any::<[u8; 8]>(), bit in 0usize..122) {
            let store = keys(K1);
            let id = store.issue(random);
            prop_assert!(store.is_issued(&id));
            // Flip one of the 122 bits outside the version and variant.
            let mut bytes = parse_uuid(&id).unwrap();
            let position = [0..48, 52..64, 66..128].into_iter().flatten().nth(bit).unwrap();
            bytes[position / 8] ^= 0x80 >> (position % 8);
            let flipped = format_uuid(&bytes);
            prop_assert!(!store.is_issued(&flipped), "{} verified", flipped);
        }
    }
}
