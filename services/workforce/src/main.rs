use anyhow::Context;
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ledger_telemetry::init_tracing();
    let config = ledger_workforce::Config::parse();
    let shutdown = ledger_telemetry::shutdown_on_signals();
    let service = ledger_workforce::build(config)
        .await
        .context("workforce service failed to start")?;
    tracing::info!(address = %service.local_addr(), "workforce service listening");
    service
        .run(shutdown)
        .await
        .context("workforce service failed")
}
