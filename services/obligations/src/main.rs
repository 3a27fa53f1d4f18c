use anyhow::Context;
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ledger_telemetry::init_tracing();
    let config = ledger_obligations::Config::parse();
    let shutdown = ledger_telemetry::shutdown_on_signals();
    let service = ledger_obligations::build(config)
        .await
        .context("obligations service failed to start")?;
    tracing::info!(address = %service.local_addr(), "obligations service listening");
    service
        .run(shutdown)
        .await
        .context("obligations service failed")
}
