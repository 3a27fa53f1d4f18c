use anyhow::Context;
use clap::Parser;
use ledger_projector::{Config, Projector};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ledger_telemetry::init_tracing();
    let config = Config::parse();
    let shutdown = ledger_telemetry::shutdown_on_signals();
    let projector = Projector::build(config)
        .await
        .context("projector failed to start")?;
    tracing::info!(address = %projector.local_addr(), "projector running");
    projector.run(shutdown).await.context("projector failed")
}
