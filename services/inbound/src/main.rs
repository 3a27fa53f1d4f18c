#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ledger_inbound::main_from_env().await
}
