//! Kafka plumbing shared by the ledger's services.
//!
//! Emitting services append through [`TxProducer`] (transactional, idempotent,
//! `acks=all`); consumers read `read_committed` with offsets managed by the
//! caller (the projector keeps them in PostgreSQL, the emitting services
//! re-read their own topic from the start).

mod access;
mod admin;
mod config;
mod context;
mod error;
mod producer;
mod reader;
mod tail;
mod topics;

pub use access::check_access;
pub use admin::ensure_topics;
pub use config::{KafkaConfig, Secret, SecurityProtocol};
pub use context::LedgerContext;
pub use error::KafkaError;
pub use producer::{OutboundRecord, TxProducer};
pub use reader::{end_offsets, partitions, read_from, read_one, read_to_end, ReadRecord};
pub use tail::{follow, follow_from, TailRecord};
pub use topics::{Position, TopicSpec, Topics, EVENT_TYPE_HEADER};

/// Re-exported so that dependants name one rdkafka version.
pub use rdkafka;
