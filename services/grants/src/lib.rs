//! The grants service: validates grants-context commands and appends their
//! events to `ledger.grants.v1`, of which it is the only writer.

mod app;
mod config;
mod routes;

pub use app::{App, StartError};
pub use config::Config;
