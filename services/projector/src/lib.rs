//! The projector: reads every event topic `read_committed` and applies the
//! events to the PostgreSQL read model in batches, storing the consumed
//! offsets in the same transaction. It never commits offsets to Kafka: the
//! database is the only record of how far it got.

mod batch;
mod config;
mod projector;
mod status;

pub use config::Config;
pub use projector::{Projector, ProjectorError};
