//! How long an emitting service takes to start on a long history: appends
//! N awards through the grants writer (no HTTP), then times a fresh start,
//! which fences the old instance and rebuilds the state from the topic.
//!
//!     bench-rebuild [events]

#![allow(clippy::unwrap_used)] // a benchmark: a failed step should stop it loudly

use std::time::Instant;

use futures::{stream, StreamExt};
use ledger_domain::{
    command_digest,
    grants::{GrantsBook, GrantsCommand},
};
use ledger_kafka::KafkaConfig;
use ledger_proto::v1::{AwardGrant, DeclareProgramme, OpenEnvelope};
use ledger_tests::{brokers, TestLedger};
use ledger_writer::{CommandMeta, Writer, WriterConfig};
use tokio_util::sync::CancellationToken;

fn meta(id: String) -> CommandMeta {
    CommandMeta {
        command_id: id,
        source_system: "bench".into(),
        actor: "bench".into(),
        correlation_id: None,
        causation_id: None,
        expected_version: None,
    }
}

fn json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).unwrap()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let events: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let ledger = TestLedger::empty().await?;
    let config = WriterConfig {
        kafka: KafkaConfig::new(brokers()),
        topic: ledger.topics.grants.clone(),
        transactional_id: ledger.transactional_id("bench"),
        max_batch: 5_000,
        follow: Vec::new(),
    };

    let stop = CancellationToken::new();
    let (writer, task) =
        Writer::<GrantsCommand>::start::<GrantsBook>(config.clone(), stop.clone()).await?;
    let programme: DeclareProgramme = json(ledger_tests::declare_programme());
    writer
        .submit(
            meta("p".into()),
            command_digest("DeclareProgramme", &programme),
            GrantsCommand::DeclareProgramme(programme),
        )
        .await?;
    let envelope: OpenEnvelope = json(ledger_tests::open_envelope("cvl-msp", i64::MAX / 4));
    writer
        .submit(
            meta("e".into()),
            command_digest("OpenEnvelope", &envelope),
            GrantsCommand::OpenEnvelope(envelope),
        )
        .await?;
    let template: AwardGrant = json(ledger_tests::award("g", "cvl-msp", 100));

    let started = Instant::now();
    let written = stream::iter(0..events)
        .map(|i| {
            let writer = writer.clone();
            let command = AwardGrant {
                grant_id: format!("g-{i}"),
                amount_cents: 100 + i as i64,
                ..template.clone()
            };
            async move {
                let digest = command_digest("AwardGrant", &command);
                writer
                    .submit(
                        meta(format!("k-{i}")),
                        digest,
                        GrantsCommand::AwardGrant(command),
                    )
                    .await
            }
        })
        .buffer_unordered(4_000)
        .filter(|r| std::future::ready(r.is_ok()))
        .count()
        .await;
    let write_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        written == events,
        "only {written} of {events} awards were appended"
    );
    println!("appended {events} events in {write_secs:.1} s ({:.0} events/s, through the writer, no HTTP)", events as f64 / write_secs);
    stop.cancel();
    let _ = task.await;

    let started = Instant::now();
    let stop = CancellationToken::new();
    let (_writer, task) =
        Writer::<GrantsCommand>::start::<GrantsBook>(config, stop.clone()).await?;
    let start_secs = started.elapsed().as_secs_f64();
    println!(
        "start-up on {} events: {start_secs:.2} s ({:.0} events/s folded, hash chains verified)",
        events + 2,
        (events + 2) as f64 / start_secs
    );
    stop.cancel();
    let _ = task.await;
    Ok(())
}
