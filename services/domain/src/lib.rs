//! Domain rules of the programme ledger.
//!
//! Everything here is pure: it parses commands into typed values, decides
//! which event a command produces given the current state, and folds events
//! into state. Kafka, PostgreSQL and HTTP live in other crates.

pub mod centres;
pub mod chain;
pub mod collections;
pub mod dates;
mod decision;
pub mod error;
pub mod grants;
pub mod ids;
pub mod money;
pub mod obligations;
pub mod pseudonyms;
pub mod signing;
pub mod wire;
pub mod workforce;

pub use decision::{
    command_digest, event_date, stream_ref, ApplyError, Decider, Decision, Reaction,
};
pub use error::{DomainError, ErrorCode};
pub use money::Cents;
