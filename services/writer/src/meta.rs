//! What travels with a command, and what comes back.

use ledger_domain::DomainError;
use ledger_kafka::Position;
use ledger_proto::v1::StreamRef;
use serde::Serialize;

/// Who sent a command, how to recognise it again, and what it expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandMeta {
    /// Idempotency key, unique per source system.
    pub command_id: String,
    pub source_system: String,
    pub actor: String,
    pub correlation_id: Option<String>,
    pub causation_id: Option<String>,
    /// Refuse unless the target stream is at exactly this version.
    pub expected_version: Option<u64>,
}

/// An accepted command: the event it appended and where it landed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accepted {
    pub command_id: String,
    pub event_id: String,
    pub event_type: String,
    pub stream_type: String,
    pub stream_id: String,
    pub stream_version: u64,
    pub position: Position,
}

impl Accepted {
    pub fn stream(&self) -> StreamRef {
        StreamRef {
            r#type: self.stream_type.clone(),
            id: self.stream_id.clone(),
        }
    }

    /// Where the event landed, as a `CommandResult` carries it.
    pub fn appended(&self) -> ledger_proto::v1::AppendedEvent {
        ledger_proto::v1::AppendedEvent {
            event_id: self.event_id.clone(),
            stream: Some(self.stream()),
            stream_version: self.stream_version,
            topic: self.position.topic.clone(),
            partition: self.position.partition,
            offset: self.position.offset,
        }
    }
}

/// Why a command was not accepted.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    /// The rules refused it; nothing was appended.
    #[error(transparent)]
    Rejected(#[from] DomainError),
    /// Kafka could not take the batch; nothing was appended and the command
    /// may be retried with the same idempotency key.
    #[error("the event log is unavailable: {0}")]
    Unavailable(String),
    /// The service is stopping (or was fenced by a newer instance).
    #[error("the service is shutting down")]
    ShuttingDown,
}
