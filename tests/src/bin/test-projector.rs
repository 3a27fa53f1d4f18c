//! The projector process, for tests that kill it with SIGKILL.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ledger_projector::main_from_env().await
}
