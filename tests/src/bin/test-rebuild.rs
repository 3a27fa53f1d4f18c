//! A rebuild in a process of its own, for tests that kill it midway:
//!
//!     test-rebuild <database url> <schema> <topic namespace>

#![allow(clippy::unwrap_used)] // a test helper: a failed step should stop it loudly

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let kafka = ledger_tests::kafka();
    let topics = ledger_kafka::Topics::new(&args[3]);
    let ring = ledger_tests::key_ring();
    // Small batches: many transactions, so that a kill lands between two.
    let plan = ledger_ctl::rebuild::Plan {
        database_url: &args[1],
        schema: &args[2],
        projection: "ledger",
        kafka: &kafka,
        topics: &topics,
        ring: &ring,
        until: None,
        batch: 5,
    };
    ledger_ctl::rebuild::rebuild(plan, |_| {}).await.unwrap();
}
