//! A rebuild in a process of its own, for tests that kill it midway:
//!
//!     test-rebuild <database url> <schema> <topic namespace>

#![allow(clippy::unwrap_used)] // a test helper: a failed step should stop it loudly

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let kafka = ledger_kafka::KafkaConfig::new(ledger_tests::brokers());
    let topics = ledger_kafka::Topics::new(&args[3]);
    // Small batches: many transactions, so that a kill lands between two.
    ledger_ctl::rebuild::rebuild(&args[1], &args[2], &kafka, &topics, None, 5, |_| {})
        .await
        .unwrap();
}
