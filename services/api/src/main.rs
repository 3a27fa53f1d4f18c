use anyhow::Context;
use clap::Parser;
use ledger_api::{Api, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ledger_telemetry::init_tracing();
    let config = Config::parse();
    let shutdown = ledger_telemetry::shutdown_on_signals();
    let api = Api::build(config)
        .await
        .context("read API failed to start")?;
    tracing::info!(address = %api.local_addr(), "read API listening");
    api.run(shutdown).await.context("read API failed")
}
