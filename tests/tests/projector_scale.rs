//! Two projector processes share the partitions of one projection; one is
//! SIGKILLed mid-stream and the other takes its partitions over once its
//! lease runs out. Every award is projected exactly once.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use std::{collections::HashMap, time::Duration};

use ledger_tests::{award, declare_programme, open_envelope, spawn_projector_process, TestLedger};

const SERVICE: &str = env!("CARGO_BIN_EXE_test-service");
const ENVELOPES: usize = 6;
const AWARDS: i64 = 300;

/// Owner of every partition of the grants topic, by partition.
async fn owners(ledger: &TestLedger) -> HashMap<i32, Option<String>> {
    sqlx::query_as::<_, (i32, Option<String>)>(
        "SELECT partition, owner FROM projection_offsets WHERE topic = $1",
    )
    .bind(&ledger.topics.grants)
    .fetch_all(&ledger.pool)
    .await
    .unwrap_or_default()
    .into_iter()
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_projectors_share_partitions_and_one_takes_over_when_the_other_dies() {
    let mut ledger = TestLedger::empty().await.unwrap();
    ledger.start_grants().await.unwrap();
    let (status, answer) = ledger
        .command("declare-programme", Some("p"), &declare_programme())
        .await
        .unwrap();
    assert_eq!(status, 201, "{answer}");
    for e in 0..ENVELOPES {
        let id = format!("env-{e}");
        let (status, answer) = ledger
            .command(
                "open-envelope",
                Some(&id),
                &open_envelope(&id, 1_000_000_000),
            )
            .await
            .unwrap();
        assert_eq!(status, 201, "{answer}");
    }
    let mut first = spawn_projector_process(SERVICE, &ledger, 20).unwrap();
    let second = spawn_projector_process(SERVICE, &ledger, 20).unwrap();

    // Both end up holding partitions (of all four topics: 12 in all).
    let mut shared = false;
    for _ in 0..150 {
        let all: Vec<Option<String>> = sqlx::query_scalar("SELECT owner FROM projection_offsets")
            .fetch_all(&ledger.pool)
            .await
            .unwrap_or_default();
        let distinct: std::collections::HashSet<_> = all.iter().flatten().collect();
        if all.len() == 12 && all.iter().all(Option::is_some) && distinct.len() == 2 {
            shared = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(shared, "the two instances share the partitions");

    let mut killed = false;
    for chunk in (1..=AWARDS).collect::<Vec<_>>().chunks(10) {
        let answers = futures::future::join_all(chunk.iter().map(|&i| {
            let ledger = &ledger;
            async move {
                let envelope = format!("env-{}", i as usize % ENVELOPES);
                let body = award(&format!("g-{i}"), &envelope, 10_000 + i);
                ledger
                    .command("award-grant", Some(&format!("k-{i}")), &body)
                    .await
                    .unwrap()
            }
        }))
        .await;
        for (status, body) in answers {
            assert_eq!(status, 201, "{body}");
        }
        if !killed && chunk[0] > AWARDS / 3 {
            first.kill();
            killed = true;
        }
    }

    // The survivor holds every partition once the dead one's leases ran out,
    // and everything is projected exactly once.
    let expected: i64 = (1..=AWARDS).map(|i| 10_000 + i).sum();
    let mut done = (0, 0);
    for _ in 0..300 {
        done = sqlx::query_as::<_, (i64, i64)>(
            "SELECT count(*), COALESCE(sum(amount_cents), 0)::int8 FROM grants",
        )
        .fetch_one(&ledger.pool)
        .await
        .unwrap();
        if done.0 == AWARDS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(done, (AWARDS, expected), "nothing lost, nothing doubled");
    let committed: i64 = sqlx::query_scalar("SELECT sum(committed_cents)::int8 FROM envelopes")
        .fetch_one(&ledger.pool)
        .await
        .unwrap();
    assert_eq!(committed, expected);
    let owners = owners(&ledger).await;
    let survivors: std::collections::HashSet<_> = owners.values().flatten().collect();
    assert_eq!(
        survivors.len(),
        1,
        "one instance holds them all now: {owners:?}"
    );
    let faults: i64 = sqlx::query_scalar("SELECT count(*) FROM projection_faults")
        .fetch_one(&ledger.pool)
        .await
        .unwrap();
    assert_eq!(faults, 0);
    drop(second);
    ledger.shutdown().await;
}
