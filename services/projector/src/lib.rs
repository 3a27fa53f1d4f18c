//! The projector: reads every event topic `read_committed` and applies the
//! events to the PostgreSQL read model in batches, storing the consumed
//! offsets in the same transaction. It never commits offsets to Kafka: the
//! database is the only record of how far it got.

mod config;
mod projector;
mod status;

pub use config::Config;
pub use projector::{Projector, ProjectorError};

/// The whole process: configuration from flags and environment, logs,
/// signals. The `projector` binary is this function.
pub async fn main_from_env() -> anyhow::Result<()> {
    use clap::Parser;
    serve(Config::parse()).await
}

/// Runs the projector with `config` until SIGINT or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    use anyhow::Context;

    ledger_telemetry::init_tracing();
    let shutdown = ledger_telemetry::shutdown_on_signals();
    let projector = Projector::build(config)
        .await
        .context("projector failed to start")?;
    tracing::info!(address = %projector.local_addr(), "projector running");
    projector.run(shutdown).await.context("projector failed")
}
