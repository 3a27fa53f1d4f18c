//! Live freshness: under a steady load of commands per second over HTTP, the
//! time from a command's `201` to its event being in the read model (the
//! projection's stored offset past the event's offset). Run by
//! `tests/bench/freshness.sh`, which puts Kafka's own end-to-end latency
//! tool beside it.
//!
//!     bench-freshness [commands/s] [seconds]
//!
//! The first three seconds are a warm-up (the projector's first fetches,
//! connection pools, the JIT-less but cold caches of the broker) and are
//! left out of the figures.

#![allow(clippy::unwrap_used)] // a benchmark: a failed step should stop it loudly

use std::{collections::HashMap, sync::Arc, time::Duration};

use anyhow::{ensure, Context};
use ledger_tests::{award, declare_programme, open_envelope, TestLedger};
use sqlx::postgres::PgPoolOptions;
use tokio::{sync::Mutex, time::Instant};
use tokio_util::sync::CancellationToken;

/// When the observer saw the stored offsets change, and to what.
type Observation = (Instant, HashMap<i32, i64>);

const WARM_UP: Duration = Duration::from_secs(3);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let rate: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(2_000);
    let seconds: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(30);
    ensure!(seconds > WARM_UP.as_secs(), "run longer than the warm-up");

    // Installed first, so that this process's figures can be read at the end.
    let metrics = ledger_telemetry::metrics_handle();
    let mut ledger = TestLedger::empty()
        .await
        .context("is the stack up? deploy/local/stack.sh up")?;
    ledger.start_grants().await?;
    for (command, key, body) in [
        ("declare-programme", "p", declare_programme()),
        ("open-envelope", "e", open_envelope("cvl-msp", i64::MAX / 4)),
    ] {
        let (status, answer) = ledger.command(command, Some(key), &body).await?;
        ensure!(status == 201, "{command}: {status} {answer}");
    }
    // The projector with its defaults (linger 2 ms), in this process.
    let config = ledger_projector::Config {
        linger: Duration::from_millis(2),
        max_batch: 5_000,
        ..ledger.projector_config()
    };
    let projector = ledger_projector::Projector::build(config).await?;
    let stop = CancellationToken::new();
    let projecting = tokio::spawn(projector.run(stop.clone()));

    // The observer: the projection's offsets, polled every millisecond.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&ledger.database_url)
        .await?;
    let topic = ledger.topics.grants.clone();
    let seen: Arc<Mutex<Vec<Observation>>> = Arc::default();
    let observing = {
        let (seen, stop, topic) = (seen.clone(), stop.clone(), topic.clone());
        tokio::spawn(async move {
            let mut last: HashMap<i32, i64> = HashMap::new();
            while !stop.is_cancelled() {
                let rows: Vec<(i32, i64)> = sqlx::query_as(
                    "SELECT partition, next_offset FROM projection_offsets WHERE topic = $1",
                )
                .bind(&topic)
                .fetch_all(&pool)
                .await
                .unwrap_or_default();
                let now: HashMap<i32, i64> = rows.into_iter().collect();
                if now != last {
                    seen.lock().await.push((Instant::now(), now.clone()));
                    last = now;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    };

    // The load: `rate` commands a second, sent on a fixed schedule whatever
    // the answers' latency (an open loop, as clients are).
    let ledger = Arc::new(ledger);
    let answered: Arc<Mutex<Vec<(i32, i64, Instant)>>> = Arc::default();
    let total = rate * seconds;
    let started = Instant::now();
    let mut sent = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = started + Duration::from_micros(i * 1_000_000 / rate);
        tokio::time::sleep_until(due).await;
        let (ledger, answered) = (ledger.clone(), answered.clone());
        sent.push(tokio::spawn(async move {
            let body = award(&format!("g-{i}"), "cvl-msp", 100);
            let (status, answer) = ledger
                .command("award-grant", Some(&format!("k-{i}")), &body)
                .await
                .unwrap();
            let at = Instant::now();
            assert_eq!(status, 201, "{answer}");
            let e = &answer["events"][0];
            let position = (
                e["partition"].as_i64().unwrap() as i32,
                e["offset"].as_i64().unwrap(),
            );
            answered.lock().await.push((position.0, position.1, at));
        }));
    }
    for task in sent {
        task.await?;
    }
    let sending = started.elapsed().as_secs_f64();
    // Let the last ones land.
    let last: HashMap<i32, i64> =
        answered
            .lock()
            .await
            .iter()
            .fold(HashMap::new(), |mut m, (p, o, _)| {
                let slot = m.entry(*p).or_insert(*o);
                *slot = (*slot).max(*o);
                m
            });
    for _ in 0..200 {
        let now = seen
            .lock()
            .await
            .last()
            .map(|(_, o)| o.clone())
            .unwrap_or_default();
        if last.iter().all(|(p, o)| now.get(p).is_some_and(|n| n > o)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.cancel();
    observing.await?;
    let _ = projecting.await;

    let seen = seen.lock().await;
    let answered = answered.lock().await;
    // Per partition, the stored next offset over time (it only grows).
    let mut history: HashMap<i32, Vec<(Instant, i64)>> = HashMap::new();
    for (when, offsets) in seen.iter() {
        for (partition, next) in offsets {
            history.entry(*partition).or_default().push((*when, *next));
        }
    }
    let warm = started + WARM_UP;
    let measured: Vec<_> = answered.iter().filter(|(_, _, at)| *at >= warm).collect();
    let mut latencies: Vec<f64> = Vec::with_capacity(measured.len());
    for (partition, offset, at) in measured.iter().copied() {
        let steps = history
            .get(partition)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let first = steps.partition_point(|(_, next)| next <= offset);
        let visible = steps.get(first).map(|(when, _)| *when);
        let Some(visible) = visible else { continue };
        // Seen before the answer reached the client: fresh at once.
        let ms = visible.saturating_duration_since(*at).as_secs_f64() * 1000.0;
        if let Ok(path) = std::env::var("FRESHNESS_TRACE") {
            use std::io::Write;
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                let _ = writeln!(f, "{:.3} {ms:.2}", at.duration_since(started).as_secs_f64());
            }
        }
        latencies.push(ms);
    }
    ensure!(
        latencies.len() == measured.len(),
        "every command became visible"
    );
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "freshness_p50_ms={:.2} freshness_p99_ms={:.2} freshness_max_ms={:.2} commands={} measured={} offered_per_sec={} achieved_per_sec={:.0}",
        pct(0.50),
        pct(0.99),
        latencies[latencies.len() - 1],
        answered.len(),
        latencies.len(),
        rate,
        answered.len() as f64 / sending
    );
    for line in metrics.render().lines() {
        if line.starts_with("ledger_projector_batch") && !line.starts_with('#') {
            eprintln!("{line}");
        }
    }
    Ok(())
}
