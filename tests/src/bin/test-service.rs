//! Any ledger service as a process of its own, configured from the
//! environment, for tests that kill it with SIGKILL.
//!
//!     test-service grants|workforce|centres|obligations|projector

use anyhow::{bail, Context};
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let name = std::env::args()
        .nth(1)
        .context("usage: test-service <service>")?;
    // Configuration comes from the environment alone.
    let args = [name.as_str()];
    if name == "projector" {
        return ledger_projector::serve(ledger_projector::Config::parse_from(args)).await;
    }
    ledger_telemetry::init_tracing();
    let shutdown = ledger_telemetry::shutdown_on_signals();
    let service = match name.as_str() {
        "grants" => ledger_grants::build(ledger_grants::Config::parse_from(args)).await?,
        "workforce" => ledger_workforce::build(ledger_workforce::Config::parse_from(args)).await?,
        "centres" => ledger_centres::build(ledger_centres::Config::parse_from(args)).await?,
        "obligations" => {
            ledger_obligations::build(ledger_obligations::Config::parse_from(args)).await?
        }
        other => bail!("no service {other}"),
    };
    service.run(shutdown).await?;
    Ok(())
}
