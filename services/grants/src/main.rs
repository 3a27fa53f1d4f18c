use anyhow::Context;
use clap::Parser;
use ledger_grants::{App, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ledger_telemetry::init_tracing();
    let config = Config::parse();
    let shutdown = ledger_telemetry::shutdown_on_signals();
    let app = App::build(config)
        .await
        .context("grants service failed to start")?;
    tracing::info!(address = %app.local_addr(), "grants service listening");
    app.run(shutdown).await.context("grants service failed")
}
