use anyhow::Context;
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ledger_telemetry::init_tracing();
    let config = ledger_centres::Config::parse();
    let shutdown = ledger_telemetry::shutdown_on_signals();
    let service = ledger_centres::build(config)
        .await
        .context("centres service failed to start")?;
    tracing::info!(address = %service.local_addr(), "centres service listening");
    service
        .run(shutdown)
        .await
        .context("centres service failed")
}
