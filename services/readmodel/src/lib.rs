//! The PostgreSQL read model.
//!
//! The projection engine ([`engine`]) writes it, folding batches of events
//! through one module per bounded context ([`contexts`]); the read API
//! queries it ([`queries`]); the schema lives in `migrations/`.

mod contexts;
pub mod engine;
mod error;
pub mod journal;
pub mod queries;
mod swap;

pub use engine::{Applied, Body, Claims, Fault, PartitionKey, Projection, Record, Written};
pub use error::{classify, ErrorClass, ReadModelError};
pub use swap::{connect, connect_in, connect_reader, SWAP_CHANNEL};

/// The schema migrations, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
