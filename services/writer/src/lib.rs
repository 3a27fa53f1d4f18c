//! The kernel of an emitting service.
//!
//! A context's rules ([`ledger_domain::Decider`]) run in one task that owns
//! the state: commands queue up, each batch is decided in order against the
//! state as the previous commands left it, and the resulting events are
//! appended in one Kafka transaction (group commit). The state is rebuilt from
//! the context's own topic at start and after a failed transaction.

pub mod http;
mod log;
mod meta;
mod writer;

pub use log::{CommandLog, WriterState};
pub use meta::{Accepted, CommandMeta, WriteError};
pub use writer::{Writer, WriterConfig};
