//! How long an emitting service takes to start on a long history, and how
//! much memory it holds: appends N awards through the grants writer (no
//! HTTP), then times fresh starts — each in a process of its own, so that its
//! peak memory is its own — which fence the old instance and restore the
//! state: from offset zero, from a snapshot at the end of the topic, and from
//! a snapshot one snapshot interval behind it (the worst case).
//!
//!     bench-rebuild [events]
//!     bench-rebuild start <namespace> <snapshot dir | -> <snapshot every>

#![allow(clippy::unwrap_used)] // a benchmark: a failed step should stop it loudly

use std::{path::PathBuf, process::Command, time::Instant};

use futures::{stream, StreamExt};
use ledger_domain::{
    command_digest,
    grants::{GrantsBook, GrantsCommand},
};
use ledger_kafka::Topics;
use ledger_proto::v1::{AwardGrant, DeclareProgramme, OpenEnvelope};
use ledger_tests::{kafka, TestLedger};
use ledger_writer::{CommandMeta, SnapshotConfig, Writer, WriterConfig};
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

fn config(namespace: &str, snapshots: Option<SnapshotConfig>) -> WriterConfig {
    WriterConfig {
        kafka: kafka(),
        topic: Topics::new(namespace).grants,
        transactional_id: format!("{namespace}-bench"),
        max_batch: 5_000,
        follow: Vec::new(),
        snapshots,
        signing: ledger_writer::Signing::load(
            &ledger_tests::keys_dir().join("grants.pem"),
            &ledger_tests::trusted_keys_file(),
            ledger_proto::registry::Context::Grants,
        )
        .unwrap(),
        pseudonyms: None,
        checkpoints: ledger_writer::CheckpointPolicy::default(),
    }
}

/// Peak resident memory of this process, from the kernel.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Appends `count` awards numbered from `first`.
async fn append(writer: &Writer<GrantsCommand>, first: usize, count: usize) -> f64 {
    let template: AwardGrant = json(ledger_tests::award("g", "cvl-msp", 100));
    let started = Instant::now();
    let written = stream::iter(first..first + count)
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
    assert_eq!(written, count, "every award is appended");
    started.elapsed().as_secs_f64()
}

/// Child process: one start, timed; prints `seconds peak_mb`.
async fn start(namespace: &str, dir: &str, every: u64) -> anyhow::Result<()> {
    let snapshots = (dir != "-").then(|| SnapshotConfig {
        dir: PathBuf::from(dir),
        every,
    });
    let started = Instant::now();
    let stop = CancellationToken::new();
    let (_writer, task) =
        Writer::<GrantsCommand>::start::<GrantsBook>(config(namespace, snapshots), stop.clone())
            .await?;
    let seconds = started.elapsed().as_secs_f64();
    println!("bench-start {seconds:.3} {:.0}", peak_rss_mb());
    stop.cancel();
    let _ = task.await;
    Ok(())
}

fn timed_start(namespace: &str, dir: &str, every: u64) -> (f64, f64) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["start", namespace, dir, &every.to_string()])
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "start failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    // The child's logs go to stdout too; its figures are on one line.
    for log in text.lines().filter(|l| !l.starts_with("bench-start ")) {
        eprintln!("{log}");
    }
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("bench-start "))
        .unwrap();
    let mut figures = line.split_whitespace().map(|f| f.parse::<f64>().unwrap());
    (figures.next().unwrap(), figures.next().unwrap())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("start") {
        ledger_telemetry::init_tracing();
        return start(&args[2], &args[3], args[4].parse()?).await;
    }
    let events: usize = args
        .get(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let every = (events as u64 / 10).max(1);
    let ledger = TestLedger::empty().await?;
    let namespace = ledger.namespace.clone();
    let dir = std::env::temp_dir().join(format!("ledger-bench-{namespace}"));
    let dir_arg = dir.display().to_string();

    // The history, with snapshots off: only the starts below take them.
    let stop = CancellationToken::new();
    let (writer, task) =
        Writer::<GrantsCommand>::start::<GrantsBook>(config(&namespace, None), stop.clone())
            .await?;
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
    let head = events - every as usize;
    let mut write_secs = append(&writer, 0, head).await;
    stop.cancel();
    let _ = task.await;

    // A start with snapshots on reads everything, then snapshots at once.
    let (first_secs, first_mb) = timed_start(&namespace, &dir_arg, every);
    let snapshot_mb = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len() as f64 / 1e6)
        .sum::<f64>();

    // One snapshot interval more, written with snapshots off, so that the
    // snapshot is `every` events behind the topic's end.
    let stop = CancellationToken::new();
    let (writer, task) =
        Writer::<GrantsCommand>::start::<GrantsBook>(config(&namespace, None), stop.clone())
            .await?;
    write_secs += append(&writer, head, every as usize).await;
    stop.cancel();
    let _ = task.await;
    let total = events + 2;
    println!(
        "appended {total} events in {write_secs:.1} s ({:.0} events/s, through the writer, no HTTP)",
        events as f64 / write_secs
    );

    let (full_secs, full_mb) = timed_start(&namespace, "-", every);
    println!(
        "start-up, whole topic ({total} events, no snapshot): {full_secs:.2} s, peak {full_mb:.0} MB ({:.0} events/s folded, hash chains verified)",
        total as f64 / full_secs
    );
    let (behind_secs, behind_mb) = timed_start(&namespace, &dir_arg, every);
    println!(
        "start-up, snapshot {every} events behind the end: {behind_secs:.2} s, peak {behind_mb:.0} MB (snapshot {snapshot_mb:.0} MB on disk)"
    );
    // That start read more than `every` events, so it snapshotted at once.
    let (end_secs, end_mb) = timed_start(&namespace, &dir_arg, every);
    println!("start-up, snapshot at the end: {end_secs:.2} s, peak {end_mb:.0} MB");
    println!(
        "first start with snapshots on (whole topic, then a snapshot): {first_secs:.2} s, peak {first_mb:.0} MB"
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
