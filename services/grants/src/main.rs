use anyhow::Context;
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ledger_telemetry::init_tracing();
    let config = ledger_grants::Config::parse();
    let shutdown = ledger_telemetry::shutdown_on_signals();
    let service = ledger_grants::build(config)
        .await
        .context("grants service failed to start")?;
    tracing::info!(address = %service.local_addr(), "grants service listening");
    service.run(shutdown).await.context("grants service failed")
}
