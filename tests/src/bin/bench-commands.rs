//! Commands accepted per second, end to end through the grants service's
//! HTTP interface into Kafka (transactions, `acks=all`, idempotence, group
//! commit), on the local stack. Run by `tests/bench/commands.sh`, which puts
//! Kafka's own producer perf tool beside it.
//!
//!     bench-commands [commands] [concurrency]

#![allow(clippy::unwrap_used)] // a benchmark: a failed step should stop it loudly

use std::time::Instant;

use anyhow::{ensure, Context};
use futures::{stream, StreamExt};
use ledger_tests::{award, declare_programme, open_envelope, TestLedger};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let commands: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(20_000);
    let concurrency: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(64);

    let mut ledger = TestLedger::empty()
        .await
        .context("is the stack up? deploy/local/stack.sh up")?;
    ledger.start_grants().await?;
    ledger
        .command("declare-programme", Some("p"), &declare_programme())
        .await?;
    ledger
        .command(
            "open-envelope",
            Some("e"),
            &open_envelope("cvl-msp", i64::MAX / 4),
        )
        .await?;
    // Warm-up: connections and the producer's first transaction.
    ledger
        .command("award-grant", Some("w"), &award("warm-up", "cvl-msp", 1))
        .await?;

    let bodies: Vec<_> = (0..commands)
        .map(|i| award(&format!("g-{i}"), "cvl-msp", 100 + i as i64))
        .collect();
    let started = Instant::now();
    let accepted = stream::iter(bodies.iter().enumerate())
        .map(|(i, body)| {
            let ledger = &ledger;
            async move {
                ledger
                    .command("award-grant", Some(&format!("k-{i}")), body)
                    .await
                    .map(|(s, _)| s)
            }
        })
        .buffer_unordered(concurrency)
        .filter(|status| std::future::ready(matches!(status, Ok(201))))
        .count()
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    ensure!(
        accepted == commands,
        "only {accepted} of {commands} commands were accepted"
    );
    let record_size = ledger
        .grants_events()
        .await?
        .last()
        .map(prost::Message::encoded_len)
        .unwrap_or(0);
    println!("ledger: {commands} commands accepted in {elapsed:.2} s = {:.0} commands/s (concurrency {concurrency}, event size {record_size} bytes)", commands as f64 / elapsed);
    println!("ledger_commands_per_sec={:.0}", commands as f64 / elapsed);
    println!("ledger_event_bytes={record_size}");
    ledger.shutdown().await;
    Ok(())
}
