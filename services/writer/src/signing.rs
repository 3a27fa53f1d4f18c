//! A writer's keys, loaded from files kept outside the log, and the check
//! every record read back or followed goes through before it is acted on.

use std::{
    collections::VecDeque,
    path::Path,
    sync::{Arc, Mutex},
};

use ledger_domain::{
    pseudonyms::{PseudonymKeyError, PseudonymKeys},
    signing::{KeyError, KeyRing, Signer},
};
use ledger_proto::{registry::Context, v1::EventEnvelope};
use prost::Message;

/// How a writer signs what it appends, and which keys it trusts in what it
/// reads (its own topic and the topics it follows).
#[derive(Debug, Clone)]
pub struct Signing {
    pub signer: Signer,
    pub ring: Arc<KeyRing>,
}

/// Why the key files cannot be used: the service refuses to start.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Key { path: String, source: KeyError },
    #[error("no signing key: set LEDGER_SIGNING_KEY_FILE (and LEDGER_TRUSTED_KEYS_FILE)")]
    Missing,
    #[error("{path}: {source}")]
    Pseudonyms {
        path: String,
        source: PseudonymKeyError,
    },
    #[error("this service's commands name persons: set LEDGER_PSEUDONYM_KEY_FILE")]
    MissingPseudonyms,
}

fn read(path: &Path) -> Result<String, KeyFileError> {
    std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// The key ring of `path`.
pub fn load_ring(path: &Path) -> Result<KeyRing, KeyFileError> {
    KeyRing::parse(&read(path)?).map_err(|source| KeyFileError::Key {
        path: path.display().to_string(),
        source,
    })
}

/// The personal-data store's pseudonym keys of `path`.
pub fn load_pseudonyms(path: &Path) -> Result<PseudonymKeys, KeyFileError> {
    PseudonymKeys::parse(&read(path)?).map_err(|source| KeyFileError::Pseudonyms {
        path: path.display().to_string(),
        source,
    })
}

impl Signing {
    /// The writer of `context`: its private key (PKCS#8 PEM) must be one the
    /// ring trusts for `context`.
    pub fn load(
        key_file: &Path,
        ring_file: &Path,
        context: Context,
    ) -> Result<Signing, KeyFileError> {
        let ring = load_ring(ring_file)?;
        let signer =
            Signer::from_pem(&read(key_file)?, &ring, context.name()).map_err(|source| {
                KeyFileError::Key {
                    path: key_file.display().to_string(),
                    source,
                }
            })?;
        Ok(Signing {
            signer,
            ring: Arc::new(ring),
        })
    }
}

/// A record left out because its topic's writer did not sign it: what an
/// emitting service's `/v1/status` lists for ops.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RefusedRecord {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub why: String,
}

/// The records refused in this process, the latest last (at most
/// [`KEPT`]): the log and the metric count them all.
static REFUSED: Mutex<VecDeque<RefusedRecord>> = Mutex::new(VecDeque::new());
const KEPT: usize = 1000;

/// The records refused on any of `topics`, oldest first.
pub fn refused_records(topics: &[String]) -> Vec<RefusedRecord> {
    REFUSED
        .lock()
        .map(|all| {
            all.iter()
                .filter(|r| topics.contains(&r.topic))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn remember(record: RefusedRecord) {
    if let Ok(mut all) = REFUSED.lock() {
        if all.contains(&record) {
            return;
        }
        if all.len() == KEPT {
            all.pop_front();
        }
        all.push_back(record);
    }
}

/// An event read from `topic`, if it is one: decoded, hashed as written and
/// signed by a key trusted for the topic's context. Anything else is left
/// out, and said so (log and metric): a record its writer did not write
/// must neither shape the state nor stop the service.
pub fn admit(
    ring: &KeyRing,
    topic: &str,
    partition: i32,
    offset: i64,
    bytes: &[u8],
) -> Option<EventEnvelope> {
    let refused = |why: String| {
        tracing::error!(%topic, partition, offset, %why, "record left out: not an event its writer signed");
        metrics::counter!("ledger_writer_refused_records_total", "topic" => topic.to_owned())
            .increment(1);
        remember(RefusedRecord {
            topic: topic.to_owned(),
            partition,
            offset,
            why,
        });
        None
    };
    let event = match EventEnvelope::decode(bytes) {
        Ok(event) => event,
        Err(err) => return refused(format!("not a ledger.v1.EventEnvelope: {err}")),
    };
    let Some(context) = Context::of_topic(topic) else {
        return refused("not an event topic".into());
    };
    match ring.check(context.name(), &event, bytes) {
        Ok(()) => Some(event),
        Err(err) => refused(err.to_string()),
    }
}
