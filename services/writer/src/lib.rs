//! The kernel of an emitting service.
//!
//! A context's rules ([`ledger_domain::Decider`]) run in one task that owns
//! the state: commands queue up, each batch is decided in order against the
//! state as the previous commands left it, and the resulting events are
//! appended in one Kafka transaction (group commit). The state is rebuilt from
//! the context's own topic at start and after a failed transaction.

mod args;
pub mod batch;
mod checkpoint;
pub mod http;
pub mod limits;
mod log;
mod meta;
mod restore;
pub mod service;
pub mod signing;
mod snapshot;
mod writer;

pub use args::EmitterArgs;
pub use checkpoint::CheckpointPolicy;
pub use log::{CommandLog, Tip, WriterState};
pub use meta::{Accepted, CommandMeta, WriteError};
pub use service::{EmittingService, ParseCommand, ServiceError, ServiceSpec};
pub use signing::{load_pseudonyms, KeyFileError, Signing};
pub use snapshot::{SnapshotConfig, SnapshotError, SnapshotStore};
pub use writer::{Writer, WriterConfig};

/// Source system of the commands a context issues by itself (reactions).
pub const REACTIONS_SOURCE: &str = "ledger";
