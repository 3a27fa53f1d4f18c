//! Commands accepted per second, end to end through the grants service's
//! HTTP interface into Kafka (transactions, `acks=all`, idempotence, group
//! commit), on the local stack. Run by `tests/bench/commands.sh`, which puts
//! Kafka's own producer perf tool beside it.
//!
//!     bench-commands [commands] [concurrency] [batch]
//!
//! With `batch` > 1 the commands go `batch` at a time as protobuf
//! `CommandBatch`es to `POST /v1/commands:batch`, `concurrency` batches in
//! flight.

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
    let batch: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1);

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
    if batch > 1 {
        return batches(ledger, bodies, concurrency, batch).await;
    }
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
    report(
        ledger,
        commands,
        elapsed,
        &format!("concurrency {concurrency}"),
    )
    .await
}

/// The same commands as protobuf batches of `size`.
async fn batches(
    ledger: TestLedger,
    bodies: Vec<serde_json::Value>,
    concurrency: usize,
    size: usize,
) -> anyhow::Result<()> {
    use ledger_proto::v1::{
        inbound_command::Command, CommandBatch, CommandBatchResult, InboundCommand,
    };
    use prost::Message;
    let commands = bodies.len();
    let encoded: Vec<Vec<u8>> = bodies
        .chunks(size)
        .enumerate()
        .map(|(b, chunk)| {
            CommandBatch {
                commands: chunk
                    .iter()
                    .enumerate()
                    .map(|(i, body)| InboundCommand {
                        command_id: format!("k-{}", b * size + i),
                        command: Some(Command::AwardGrant(
                            serde_json::from_value(body.clone()).unwrap(),
                        )),
                        ..Default::default()
                    })
                    .collect(),
            }
            .encode_to_vec()
        })
        .collect();
    let url = ledger.service_url("grants", "/v1/commands:batch");
    let started = Instant::now();
    let accepted: usize = stream::iter(encoded)
        .map(|body| {
            let (ledger, url) = (&ledger, &url);
            async move {
                let response = ledger
                    .http
                    .post(url)
                    .header("Content-Type", "application/x-protobuf")
                    .header("Accept", "application/x-protobuf")
                    .body(body)
                    .send()
                    .await?;
                anyhow::ensure!(
                    response.status().as_u16() == 200,
                    "batch: {}",
                    response.status()
                );
                let answer = CommandBatchResult::decode(response.bytes().await?)?;
                Ok(answer
                    .results
                    .iter()
                    .filter(|r| r.rejection.is_none())
                    .count())
            }
        })
        .buffer_unordered(concurrency)
        .map(|accepted: anyhow::Result<usize>| accepted.unwrap())
        .fold(0, |sum, n| async move { sum + n })
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    ensure!(
        accepted == commands,
        "only {accepted} of {commands} commands were accepted"
    );
    report(
        ledger,
        commands,
        elapsed,
        &format!("batches of {size}, {concurrency} in flight"),
    )
    .await
}

async fn report(
    ledger: TestLedger,
    commands: usize,
    elapsed: f64,
    how: &str,
) -> anyhow::Result<()> {
    // An award's size (the log also holds the writer's checkpoints).
    let record_size = ledger
        .grants_events()
        .await?
        .iter()
        .rev()
        .find(|e| {
            matches!(
                e.payload,
                Some(ledger_proto::v1::event_envelope::Payload::GrantAwarded(_))
            )
        })
        .map(prost::Message::encoded_len)
        .unwrap_or(0);
    println!("ledger: {commands} commands accepted in {elapsed:.2} s = {:.0} commands/s ({how}, event size {record_size} bytes)", commands as f64 / elapsed);
    println!("ledger_commands_per_sec={:.0}", commands as f64 / elapsed);
    println!("ledger_event_bytes={record_size}");
    ledger.shutdown().await;
    Ok(())
}
